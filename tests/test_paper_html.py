"""Printable papers (``lpic3 exam new --html``): the page parses back to the exam that was drawn, says
nothing of the answers without ``--with-key``, escapes what the content says, and prints cleanly: a
real headless Chromium prints it to PDF on Letter and on A4, and no question is split across pages."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import run_lpic3
from tests.study_fixtures import synthetic  # noqa: F401 (a fixture)
from trainer.cli import main
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.curriculum.questions import LETTERS
from trainer.study.exam import ExamItem, ExamPaper, draw_exam
from trainer.study.paper_html import render_paper_html

SEED = 4242
_VOID = {"meta", "br", "hr", "img", "input", "link", "wbr"}


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = dataclasses.field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, cls: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if cls in child.classes:
                    found.append(child)
                found += child.find_all(cls)
        return found

    def tags(self) -> list[str]:
        return [self.tag] + [t for c in self.children if isinstance(c, Node) for t in c.tags()]


class _TreeBuilder(HTMLParser):
    """A document tree; a closing tag that does not close the innermost open element fails the test."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(node)
        if tag not in _VOID:
            self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.open == [builder.root], "elements left open"
    return builder.root


def words(text: str) -> str:
    return " ".join(text.split())


def letters_only(text: str) -> str:
    """Letters and digits: what survives a line break in the PDF ("--log-" / "driver" reads back as
    "-log-driver" once pdftotext joins the hyphenated line)."""
    return re.sub(r"[^0-9A-Za-z]+", "", text)


@pytest.fixture(scope="module")
def bundled() -> Curriculum:
    return load_curriculum()


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real command's pages for the bundled curriculum, without and with the key."""
    folder = tmp_path_factory.mktemp("papers")
    written = {}
    for name, extra in (("plain", ()), ("key", ("--with-key",))):
        path = folder / f"{name}.html"
        result = run_lpic3("exam", "new", "--seed", str(SEED), "--html", str(path), *extra)
        assert result.returncode == 0, result.stderr
        assert f"mock exam {SEED}" in result.stdout and str(path) in result.stdout
        written[name] = path
    return written


def test_the_page_holds_the_drawn_exam_in_order_with_its_letters(papers: dict[str, Path], bundled: Curriculum) -> None:
    doc = parse(papers["plain"].read_text(encoding="utf-8"))
    paper = draw_exam(bundled, SEED)
    questions = doc.find_all("question")
    assert len(questions) == len(paper.items) == 60
    for number, (section, item) in enumerate(zip(questions, paper.items, strict=True), 1):
        assert section.attrs["id"] == f"q{number}"
        q = item.question
        assert words(section.text()).startswith(f"Question {number} (")
        letters = [words(span.text()) for span in section.find_all("letter")]
        texts = [words(span.text()) for span in section.find_all("text")]
        if q.type == "fill":
            assert letters == [] and len(section.find_all("fill-line")) == 1
            continue
        assert letters == [f"{LETTERS[i]}." for i in range(len(q.options))]
        for shown, index in zip(texts, item.order, strict=True):
            plain = q.options[index].strip()
            if not re.search(r"[*_\\\[&<]", plain):  # what Markdown leaves as it is, less the backticks
                assert shown == words(plain.replace("`", ""))
    rows = doc.find_all("grid-row")
    assert [int(r.attrs["data-question"]) for r in rows] == list(range(1, 61))
    for row, item in zip(rows, paper.items, strict=True):
        boxes = [words(b.text()) for b in row.find_all("box")]
        if item.question.type == "fill":
            assert boxes == [] and len(row.find_all("line")) == 1
        else:
            assert boxes == list(LETTERS[: len(item.order)])
    assert [f.text().split()[0] for f in doc.find_all("field")][:3] == ["Name", "Candidate", "Date"]


def test_the_key_only_with_with_key_and_after_a_page_break(papers: dict[str, Path], bundled: Curriculum) -> None:
    plain = papers["plain"].read_text(encoding="utf-8")
    keyed = papers["key"].read_text(encoding="utf-8")
    assert parse(plain).find_all("key") == [] and "Answer key" not in plain
    paper = draw_exam(bundled, SEED)
    explained = next(i for i in paper.items if len(i.question.explanation) > 80 and "`" not in i.question.explanation)
    assert words(explained.question.explanation)[:60] not in words(parse(plain).text())

    doc = parse(keyed)
    sections = [n for n in _walk(doc) if n.tag in ("section", "main") and n.classes]
    order = [n.classes[0] for n in sections if n.classes[0] in ("questions", "grid", "key")]
    assert order == ["questions", "grid", "key"], order
    (key,) = doc.find_all("key")
    entries = key.find_all("key-entry")
    assert [int(e.attrs["data-question"]) for e in entries] == list(range(1, 61))
    for entry, item in zip(entries, paper.items, strict=True):
        q = item.question
        answer = words(entry.find_all("answer")[0].text())
        if q.type == "fill":
            assert answer == " | ".join(q.accept)
        else:
            assert answer == ", ".join(LETTERS[i] for i in item.displayed_answer())
        assert q.id in entry.text()
    assert words(explained.question.explanation)[:60] in words(key.text())
    css = _style(doc)
    assert re.search(r"\.grid, \.key \{[^}]*break-before: page", css)


def _walk(node: Node) -> list[Node]:
    return [node] + [n for c in node.children if isinstance(c, Node) for n in _walk(c)]


def _style(doc: Node) -> str:
    return "".join(n.text() for n in _walk(doc) if n.tag == "style")


def test_the_print_rules_are_there(papers: dict[str, Path]) -> None:
    css = _style(parse(papers["plain"].read_text(encoding="utf-8")))
    assert re.search(r"@page \{ size: auto; margin: \d+mm", css)
    assert re.search(r"\.question, \.key-entry, \.grid-row \{ break-inside: avoid;", css)
    assert "<script" not in papers["key"].read_text(encoding="utf-8")  # nothing runs, nothing is fetched
    assert not re.search(r"(src|href)=\"?https?:", papers["key"].read_text(encoding="utf-8"))


def test_content_and_names_are_escaped(synthetic: Curriculum) -> None:  # noqa: F811
    single = next(q for q in synthetic.questions if q.type == "single")
    fill = next(q for q in synthetic.questions if q.type == "fill")
    hostile = dataclasses.replace(
        single,
        stem="Which one is <script>alert('stem')</script> safe & sound?\n\n```\na && b <b>\n```",
        options=("<img src=x onerror=alert(1)>", "Tom & Jerry", "`x < y`", "<i>plain</i>"),
        explanation="Because <script>alert('why')</script> & so on; `docker run --log-driver none` too.",
    )
    typed = dataclasses.replace(fill, accept=("a<b>&c",))
    paper = ExamPaper(1, 90, (ExamItem(hostile, (0, 1, 2, 3)), ExamItem(typed, ())))
    page = render_paper_html(paper, title="<T> & Co", candidate="Ann <b>O'Neil</b> & Sons", with_key=True)
    doc = parse(page)
    assert not {"script", "img", "i", "b"} & set(doc.tags())
    text = doc.text()
    for literal in (
        "<script>alert('stem')</script>",
        "safe & sound",
        "a && b <b>",
        "<img src=x onerror=alert(1)>",
        "Tom & Jerry",
        "x < y",
        "<i>plain</i>",
        "<script>alert('why')</script> & so on",
        "a<b>&c",
        "<T> & Co: mock exam 1",
        "Ann <b>O'Neil</b> & Sons",
    ):
        assert literal in text, literal
    (question,) = [q for q in doc.find_all("question") if "safe" in q.text()]
    assert [n.tag for n in _walk(question) if n.tag in ("pre", "code")] == ["pre", "code", "code"]
    assert "&lt;script&gt;" in page and "&amp;" in page
    # a hyphenated word in code never breaks at its hyphen ("--" / "log-driver" would read as two words)
    assert [words(n.text()) for n in doc.find_all("nobr")] == ["--log-driver"]
    assert ".nobr { white-space: nowrap; }" in _style(doc)


def test_a_paper_that_cannot_be_written_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "p.html"
    result = run_lpic3("exam", "new", "--seed", "1", "--html", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lpic3: cannot write the paper {missing}: the folder {missing.parent} does not exist"
    ]
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "p.html").mkdir()  # a folder where the file should go: the rename fails
    assert main(["exam", "new", "--seed", "1", "--html", str(folder / "p.html")]) == 2
    assert capsys.readouterr().err.startswith(f"lpic3: cannot write the paper {folder / 'p.html'}:")
    assert sorted(p.name for p in folder.iterdir()) == ["p.html"]  # no temporary file left behind


# Printing with a real browser: the proof that the page prints cleanly.


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("needs Debian's chromium package (apt-get install chromium; .ci/run installs it)")
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext and pdfinfo (apt-get install poppler-utils; .ci/run installs it)")
    return found


def print_to_pdf(page: Path, pdf: Path, profile: Path) -> list[str]:
    """Print ``page`` with headless Chromium; the text of each PDF page (pdftotext, reading order)."""
    argv = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
        page.as_uri(),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert pdf.is_file() and pdf.stat().st_size > 0, err.decode(errors="replace")[-2000:]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def _page_size(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return re.search(r"Page size:\s+(.*)", info).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("size", ["Letter", "A4"])
def test_chromium_prints_it_without_splitting_a_question(
    papers: dict[str, Path], tmp_path: Path, size: str, bundled: Curriculum
) -> None:
    page = papers["key"]
    if size == "A4":  # what a printer set to A4 does: the same page, the paper size given
        page = tmp_path / "a4.html"
        page.write_text(
            papers["key"].read_text(encoding="utf-8").replace("</style>", "@page { size: A4; }</style>"),
            encoding="utf-8",
        )
    pdf = tmp_path / "paper.pdf"
    pages = print_to_pdf(page, pdf, tmp_path / "profile")
    assert _page_size(pdf).endswith({"Letter": "(letter)", "A4": "(A4)"}[size]), _page_size(pdf)
    assert 15 <= len(pages) <= 80, len(pages)
    flat = [words(p) for p in pages]
    dense = [letters_only(p) for p in pages]

    doc = parse(page.read_text(encoding="utf-8"))
    for number, section in enumerate(doc.find_all("question"), 1):
        starts = [i for i, p in enumerate(flat) if f"Question {number} (" in p]
        assert len(starts) == 1, (number, starts)
        options = section.find_all("text")
        last = words(options[-1].text() if options else section.find_all("stem")[0].text())
        tail = letters_only(last)[-25:]
        assert tail in dense[starts[0]], f"question {number} ends on another page than it starts ({tail!r})"
    grid = [i for i, p in enumerate(flat) if p.startswith("Answer grid")]
    key = [i for i, p in enumerate(flat) if p.startswith("Answer key")]
    assert len(grid) == 1 and len(key) == 1, (grid, key)
    assert key[0] == grid[0] + 1, "the answer grid fits on one page"
    grid_numbers = re.findall(r"\b(\d{1,2})\b", flat[grid[0]].split("write fill-in answers on the line.")[1])
    assert sorted(set(map(int, grid_numbers)) & set(range(1, 61))) == list(range(1, 61))
    for entry in doc.find_all("key-entry"):  # no key entry is split either
        source = letters_only(entry.find_all("source")[0].text())
        starts = [i for i, p in enumerate(dense) if source in p]
        assert len(starts) == 1 and starts[0] >= key[0], (source, starts)
        tail = letters_only(entry.find_all("explanation")[0].text())[-25:]
        assert tail in dense[starts[0]], f"the key to {source} ends on another page ({tail!r})"
