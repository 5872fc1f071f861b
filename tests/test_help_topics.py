"""`lpic3 help TOPIC` prints the file formats from docs/content-format.md itself (no second copy),
`lpic3 help` lists the topics, an unknown one is one line; `lpic3 --version` also names the
bundled curriculum's exam and objectives version and where user data lives, without Textual."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checkers.probes import REGISTRY
from checkers.probes.registry import MATCHER
from tests.conftest import REPO, run_lpic3
from trainer.commands.helptopics import TOPICS

DOC = (REPO / "docs" / "content-format.md").read_text(encoding="utf-8")


def doc_section(heading_start: str) -> str:
    """The section of the document whose '## ' heading starts so, read here by position in the text."""
    start = DOC.index(f"\n## {heading_start}") + 1
    following = [m.start() + 1 for m in re.finditer(r"\n## ", DOC) if m.start() + 1 > start]
    # a '## ' inside a fenced block is an example, not a heading (the lesson example has one)
    ends = [end for end in following if DOC[start:end].count("```") % 2 == 0]
    return DOC[start : ends[0] if ends else len(DOC)].strip()


def test_help_lists_every_topic_with_its_heading() -> None:
    result = run_lpic3("help")
    assert result.returncode == 0, result.stderr
    listed = dict(line.split(None, 1) for line in result.stdout.splitlines()[2:])
    assert list(listed) == list(TOPICS)
    for topic, heading in TOPICS.items():
        assert listed[topic] == doc_section(heading).splitlines()[0].removeprefix("## ")


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_prints_its_section_of_the_document(topic: str) -> None:
    result = run_lpic3("help", topic)
    assert result.returncode == 0, result.stderr
    assert result.stdout == doc_section(TOPICS[topic]) + "\n"


def test_the_questions_page_holds_the_question_format() -> None:
    page = run_lpic3("help", "questions").stdout
    assert "| `accept` | fill |" in page and "### Naming an option in an explanation" in page
    assert "## Exercises" not in page


def test_the_labs_page_names_every_probe_that_takes_a_matcher() -> None:
    """The list a lab author reads is the registry's, so a probe given matchers is not left out."""
    listing = DOC[DOC.index("A probe that reads one value (") :].split(")", 1)[0]
    named = set(re.findall(r"`([a-z_.-]+)`", listing))
    assert named == {name for name, spec in REGISTRY.items() if MATCHER.keys() <= spec.args.keys()}


def test_an_unknown_topic_is_one_line() -> None:
    result = run_lpic3("help", "sheets")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"lpic3: no help topic 'sheets' (topics: {', '.join(TOPICS)})\n"


def test_version_names_the_curriculum_and_the_data_folder(tmp_path: Path) -> None:
    exam = yaml.safe_load((REPO / "content" / "objectives.yaml").read_text())["exam"]
    result = run_lpic3("--version", env={"LPIC3_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    from trainer import __version__

    assert result.stdout.splitlines() == [
        f"lpic3 {__version__}",
        f"curriculum: {exam['name']}, exam {exam['code']}, objectives version {exam['objectives_version']}"
        f" ({REPO / 'content'})",
        f"user data: {tmp_path / 'data'} (LPIC3_HOME)",
    ]
    assert not (tmp_path / "data").exists()  # asking for the version creates nothing


def test_version_imports_no_textual_and_loads_no_curriculum() -> None:
    probe = (
        "import sys\nfrom trainer.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m == 'trainer.curriculum.loader'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr
