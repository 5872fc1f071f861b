"""Every class of content error is reported as one line naming the file and the line, never a crash."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, Tree
from trainer.curriculum.coverage import coverage, coverage_problems
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.problems import Severity

GOOD_SINGLE = """
- id: 351.5-good
  type: single
  objective: "351.5"
  terms: [qemu-img]
  difficulty: 1
  stem: Which tool converts a raw image to qcow2?
  options: [qemu-img, virt-df, guestfish, virt-cat]
  answer: A
  explanation: qemu-img converts; the others only read images.
"""


def errors(tree: Tree) -> list[str]:
    cur = load_curriculum(tree.root)
    return [p.format(tree.root) for p in cur.problems if p.severity is Severity.ERROR]


def one_error(tree: Tree) -> str:
    found = errors(tree)
    assert len(found) == 1, found
    return found[0]


def test_a_valid_question_loads_cleanly(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    cur = load_curriculum(tree.root)
    assert errors(tree) == []
    (question,) = cur.questions
    assert question.answer == (0,) and question.terms == ("qemu-img",) and question.source.line == 1


def test_yaml_syntax_error_names_file_and_line(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE + "- id: [broken\n  type: single\n")
    assert one_error(tree).startswith("content/351.5/questions.yaml:11: error: YAML syntax")


def test_unknown_field_is_named_at_its_line(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace("  difficulty: 1", "  dificulty: 1"))
    found = errors(tree)
    assert "content/351.5/questions.yaml:5: error: question 351.5-good: unknown field 'dificulty'" in found[0]
    assert any("missing field 'difficulty'" in e for e in found)


def test_missing_field(tree: Tree) -> None:
    tree.write(
        "content/351.5/questions.yaml",
        GOOD_SINGLE.replace("  explanation: qemu-img converts; the others only read images.\n", ""),
    )
    assert one_error(tree) == "content/351.5/questions.yaml:1: error: question 351.5-good: missing field 'explanation'"


def test_duplicate_ids_across_files(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE + GOOD_SINGLE)
    message = one_error(tree)
    assert message.startswith("content/351.5/questions.yaml:11: error: duplicate question id '351.5-good'")
    assert "first at" in message and "questions.yaml:1" in message


def test_duplicate_key_in_a_mapping(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace("  answer: A", "  answer: A\n  answer: B"))
    assert "questions.yaml:9: error: duplicate key 'answer' (first at line 8)" in one_error(tree)


def test_objective_that_is_not_one_of_the_13(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace('objective: "351.5"', 'objective: "351.9"'))
    assert "questions.yaml:3: error: question 351.5-good: objective '351.9' is not one of the 13" in one_error(tree)


def test_folder_that_is_not_an_objective(tree: Tree) -> None:
    tree.write("content/354.1/questions.yaml", GOOD_SINGLE)
    assert "content/354.1: error: folder '354.1' is not an objective id" in one_error(tree)


def test_objective_not_matching_its_folder(tree: Tree) -> None:
    tree.write("content/351.4/questions.yaml", GOOD_SINGLE)
    found = errors(tree)
    assert any("objective '351.5' does not match its folder '351.4'" in e for e in found)


def test_unquoted_objective_id_is_accepted(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace('objective: "351.5"', "objective: 351.5"))
    assert errors(tree) == []


def test_single_answer_out_of_range(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace("answer: A", "answer: E"))
    assert one_error(tree) == (
        "content/351.5/questions.yaml:8: error: question 351.5-good: answer E is out of "
        "range: there are 4 options (A-D)"
    )


def test_single_answer_given_as_a_number(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace("answer: A", "answer: 1"))
    assert "is one letter (A is the first option)" in one_error(tree)


MULTI = """
- id: 351.5-multi
  type: multi
  objective: "351.5"
  terms: [qemu-img, virt-df]
  difficulty: 2
  stem: Which two commands only read an image? Choose two.
  options: [virt-df, virt-cat, virt-resize, virt-sysprep]
  answer: [A, B]
  explanation: virt-df and virt-cat read; virt-resize and virt-sysprep change images.
"""


def test_multi_stem_must_say_how_many(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", MULTI.replace(" Choose two.", ""))
    assert one_error(tree) == (
        "content/351.5/questions.yaml:6: error: question 351.5-multi: a multi-answer stem "
        "must say how many to choose ('Choose two.')"
    )


def test_multi_count_must_match_the_stem(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", MULTI.replace("[A, B]", "[A, B, C]"))
    assert "the stem says choose 2 but 'answer' lists 3" in one_error(tree)


def test_multi_answer_out_of_range(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", MULTI.replace("[A, B]", "[A, F]"))
    assert "answer F is out of range: there are 4 options (A-D)" in errors(tree)[0]


FILL = """
- id: 351.5-fill
  type: fill
  objective: "351.5"
  terms: [qemu-img]
  difficulty: 1
  stem: Type the command that prints an image's format and virtual size.
  accept: ["qemu-img info"]
  match: {command: true}
  explanation: qemu-img info shows the format, virtual size and backing file.
"""


def test_fill_needs_an_accepted_answer(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", FILL.replace('accept: ["qemu-img info"]', "accept: []"))
    assert one_error(tree) == "content/351.5/questions.yaml:7: error: question 351.5-fill: 'accept' must not be empty"


def test_fill_answers_must_be_strings(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", FILL.replace('accept: ["qemu-img info"]', "accept:\n    - on"))
    assert (
        "questions.yaml:8: error: question 351.5-fill: item 1 of 'accept' must be a non-empty string, "
        "not true (a boolean) (quote it)" in one_error(tree)
    )


def test_unknown_term_and_wrong_type(tree: Tree) -> None:
    tree.write(
        "content/351.5/questions.yaml",
        FILL.replace("terms: [qemu-img]", "terms: [qemu-nbd]").replace("difficulty: 1", "difficulty: easy"),
    )
    found = errors(tree)
    assert any("questions.yaml:4:" in e and "'qemu-nbd' is not a term of 351.5" in e for e in found)
    assert any(
        "questions.yaml:5:" in e and "'difficulty' must be a whole number, not the string 'easy'" in e for e in found
    )


def test_terms_resolve_through_aliases(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", FILL.replace("terms: [qemu-img]", "terms: [GUESTUNMOUNT]"))
    assert errors(tree) == []
    assert load_curriculum(tree.root).questions[0].terms == ("guestumount",)


def test_non_utf8_file(tree: Tree) -> None:
    path = tree.root / "content/351.5/questions.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD_SINGLE.encode() + b"# caf\xe9\n")
    assert one_error(tree) == "content/351.5/questions.yaml:11: error: is not UTF-8 text (byte 0xe9)"


def test_a_file_that_is_not_a_list(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", "id: lonely\n")
    assert one_error(tree) == "content/351.5/questions.yaml:1: error: a question file must be a YAML list of questions"


def test_unreadable_folder(tree: Tree) -> None:
    """As root, permissions do not bite; in a new user namespace root loses CAP_DAC_OVERRIDE, so they do."""
    folder = tree.root / "content/351.5"
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    folder.chmod(0)
    try:
        prefix = ["unshare", "--user"] if os.geteuid() == 0 else []
        if prefix and not shutil.which("unshare"):
            pytest.skip("unshare (util-linux) is needed to drop root's file permission override")
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "trainer", "lint", str(tree.root)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert "content/351.5: error: cannot list folder: Permission denied" in result.stdout
        assert "Traceback" not in result.stderr
    finally:
        folder.chmod(0o755)


def test_a_broken_item_does_not_hide_the_good_ones(tree: Tree) -> None:
    tree.write(
        "content/351.5/questions.yaml",
        GOOD_SINGLE.replace("351.5-good", "351.5-a").replace("answer: A", "answer: Z")
        + GOOD_SINGLE.replace("351.5-good", "351.5-b"),
    )
    cur = load_curriculum(tree.root)
    assert [q.id for q in cur.questions] == ["351.5-b"]
    assert len([p for p in cur.problems if p.severity is Severity.ERROR]) == 1


def test_lesson_front_matter(tree: Tree) -> None:
    tree.write("content/351.5/lesson.md", "# No front matter\n")
    assert one_error(tree).startswith("content/351.5/lesson.md:1: error: lesson must start with a front matter block")
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitel: Disks\n---\n# Disks\n')
    found = errors(tree)
    assert "content/351.5/lesson.md:3: error: lesson: unknown field 'titel'" in found[0]


def test_lesson_headings_and_prose_word_count(tree: Tree) -> None:
    tree.write(
        "content/351.5/lesson.md",
        """
        ---
        objective: "351.5"
        title: Disks
        ---
        # Disks

        ## Formats
        One two three qemu-img.

        ```console
        # qemu-img info disk.qcow2 with many words that are code
        ```

        ### Raw
        Four five.
        """,
    )
    lesson = load_curriculum(tree.root).lessons["351.5"]
    assert [(h.level, h.text, h.line) for h in lesson.headings] == [(1, "Disks", 5), (2, "Formats", 7), (3, "Raw", 14)]
    assert lesson.word_count == 1 + 1 + 4 + 1 + 2  # headings and prose, never the code block


def test_coverage_warnings_name_the_missing_terms(tree: Tree) -> None:
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitle: Disks\n---\nUse qemu-img and guestfish.\n')
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    cur = load_curriculum(tree.root)
    problems = coverage_problems(cur, coverage(cur))
    lesson = [p.message for p in problems if p.path.name == "lesson.md"]
    assert "the lesson never mentions term 'virt-cat'" in lesson
    assert not any("'qemu-img'" in m or "guestfish" in m for m in lesson)
    questions = [p.message for p in problems if p.path.name == "questions.yaml"]
    assert "no question covers term 'virt-cat'" in questions and not any("'qemu-img'" in m for m in questions)
    assert all(p.severity is Severity.NOTE for p in problems if p.path.name == "351.5" and "lab" in p.message)


def test_missing_objectives_file_falls_back_to_the_bundled_one(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    assert len(load_curriculum(tree.root).objectives) == 13


def test_a_broken_objectives_file_is_one_line(tree: Tree) -> None:
    tree.write("content/objectives.yaml", "exam: [\n")
    from tests.conftest import run_lpic3

    result = run_lpic3("lint", str(tree.root))
    assert result.returncode == 1
    assert (
        result.stderr.strip().endswith(
            "content/objectives.yaml:2: error: YAML syntax: did not find expected node content"
        )
        or "objectives.yaml:" in result.stderr
    )
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_path_kinds(tmp_path: Path) -> None:
    from trainer.curriculum.loader import NotACurriculum, find_root

    with pytest.raises(NotACurriculum, match="no such directory"):
        find_root(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotACurriculum, match="not a directory"):
        find_root(tmp_path / "file")
    with pytest.raises(NotACurriculum, match="no content/ or exercises/"):
        find_root(tmp_path)
    (tmp_path / "content").mkdir()
    assert find_root(tmp_path) == find_root(tmp_path / "content") == tmp_path


# Scalars PyYAML cannot build, and values too big to show: one file:line error each, never a crash.
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("difficulty: !!int abc", "questions.yaml:5: error: 'abc' is not a valid int (!!int)"),
        ("difficulty: !!bool maybe", "questions.yaml:5: error: 'maybe' is not a valid bool (!!bool)"),
        ("difficulty: !!timestamp nope", "questions.yaml:5: error: 'nope' is not a valid timestamp (!!timestamp)"),
        ("difficulty: !!float x", "questions.yaml:5: error: 'x' is not a valid float (!!float)"),
        ("difficulty: " + "9" * 5000, "questions.yaml:5: error: a number of 5,000 digits (at most 4,300)"),
        (
            "difficulty: 0x" + "f" * 5000,  # Python reads it, but could not print it
            "questions.yaml:5: error: question 351.5-good: 'difficulty' must be from 1 to 3, not a number of about",
        ),
        (
            "difficulty: " + "x" * 100_000,
            "questions.yaml:5: error: question 351.5-good: 'difficulty' must be a whole number, not the string 'xxx",
        ),
    ],
    ids=["int", "bool", "timestamp", "float", "long-number", "long-hex", "long-string"],
)
def test_unbuildable_and_huge_scalars(tree: Tree, written: str, expected: str) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE.replace("difficulty: 1", written))
    found = one_error(tree)
    assert expected in found and len(found) < 250, found


def test_a_date_like_stem_is_text(tree: Tree) -> None:
    """YAML 1.1 reads 2020-13-45 as a date (and PyYAML then fails); content has no dates: it is text."""
    tree.write(
        "content/351.5/questions.yaml",
        GOOD_SINGLE.replace("stem: Which tool converts a raw image to qcow2?", "stem: 2020-13-45"),
    )
    assert errors(tree) == []
    assert load_curriculum(tree.root).questions[0].stem == "2020-13-45"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  - id: made",
            "  - id: [made]",
            "touch.yaml:12: error: exercise 351.5-touch check 1: 'id' must be a string, not a list",
        ),
        (
            'checks:\n  - id: made\n    probe: file.exists\n    args: {path: "/tmp/lpic3-test-lab/{{name}}"}\n'
            "    hint: Use touch.\n",
            "checks: 5\n",
            "touch.yaml:11: error: exercise 351.5-touch: 'checks' must be a list, not the number 5",
        ),
    ],
    ids=["list-as-check-id", "checks-not-a-list"],
)
def test_malformed_checks(tree: Tree, old: str, new: str, expected: str) -> None:
    from tests.test_exercises import lab

    tree.write("exercises/351.5/touch.yaml", lab().replace(old, new))
    found = errors(tree)
    assert any(expected in e for e in found), found


def test_a_lab_parameter_that_could_break_shell_text(tree: Tree) -> None:
    """Quoted for the shell where it goes, a value may hold anything printable, but not inside quotes
    (tests/test_quoting.py has the rest)."""
    from tests.test_exercises import lab

    tree.write(
        "exercises/351.5/touch.yaml",
        lab()
        .replace("{choices: [alpha, beta]}", '\n    choices:\n      - alpha\n      - "a; touch /tmp/x"')
        .replace("solution: touch /tmp/lpic3-test-lab/{{name}}", 'solution: touch "/tmp/lpic3-test-lab/{{name}}"'),
    )
    assert one_error(tree) == (
        "exercises/351.5/touch.yaml:19: error: exercise 351.5-touch: parameter 'name' has values that need shell "
        "quoting ('a; touch /tmp/x'): {{name}} is quoted for you in shell text, so it must stand outside quotes "
        "(here it is in double quotes)"
    )


def test_control_characters_are_refused_and_never_printed(tree: Tree) -> None:
    tree.write(
        "content/351.5/questions.yaml",
        GOOD_SINGLE.replace("stem: Which tool", 'stem: "\\e[31mWhich\\x07 tool').replace("qcow2?", 'qcow2?"'),
    )
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitle: Disks\n---\n# Disks\n\nqemu-img \x1b[2J\n')
    from tests.conftest import run_lpic3

    result = run_lpic3("lint", str(tree.root))
    assert result.returncode == 1
    assert (
        "content/351.5/questions.yaml:6: error: question 351.5-good: 'stem' holds the control character '\\x1b' "
        "at character 1 (only newline and tab are allowed)" in result.stdout
    )
    assert "content/351.5/lesson.md:7: error: holds the control character '\\x1b'" in result.stdout
    assert not any(c in result.stdout + result.stderr for c in "\x1b\x07")


def test_a_control_character_in_a_file_name_is_escaped(tree: Tree) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    tree.write("exercises/351.5/\x1b[31mred.yaml", "id: [\n")
    from tests.conftest import run_lpic3

    result = run_lpic3("lint", str(tree.root))
    assert "exercises/351.5/\\x1b[31mred.yaml:2: error: YAML syntax" in result.stdout
    assert "\x1b" not in result.stdout + result.stderr


def test_a_weight_the_bank_cannot_fill_is_reported_at_the_weight(tree: Tree) -> None:
    bundled = (REPO / "content" / "objectives.yaml").read_text(encoding="utf-8")
    tree.write("content/objectives.yaml", bundled)
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    lines = bundled.splitlines()
    start = next(i for i, text in enumerate(lines) if re.fullmatch(r"\s*- id: \"?351\.5\"?", text))
    weight_line = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("weight:")) + 1
    weight = int(lines[weight_line - 1].split(":")[1])
    found = [p.format(tree.root) for p in load_curriculum(tree.root).problems if p.objective == "351.5"]
    assert (
        f"content/objectives.yaml:{weight_line}: warning: objective 351.5 has weight {weight} but 1 valid question: "
        "`lpic3 exam new` draws one per weight point and cannot draw a full exam" in found
    ), found


# Files that are not plain, small text: an error each, never a hang or a memory blow-up.
def test_a_fifo_named_questions_yaml_does_not_hang(tree: Tree) -> None:
    path = tree.root / "content/351.5/questions.yaml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert one_error(tree) == "content/351.5/questions.yaml: error: is a FIFO (named pipe), expected a file"


def test_a_symlink_to_dev_zero_is_not_read(tree: Tree) -> None:
    path = tree.root / "exercises/351.5/zero.yaml"
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")
    assert one_error(tree) == "exercises/351.5/zero.yaml: error: is a character device, expected a file"


def test_a_file_over_the_size_limit_is_not_read(tree: Tree) -> None:
    path = tree.root / "content/351.5/questions.yaml"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(50 * 1024 * 1024 // len(GOOD_SINGLE)):
            handle.write(GOOD_SINGLE)
    assert one_error(tree) == "content/351.5/questions.yaml: error: is larger than 2 MiB, lpic3's limit for one file"


def _unprivileged(argv: list[str]) -> list[str]:
    """``argv`` run so that file permissions bite: as root, in a new user namespace (root there has
    no CAP_DAC_OVERRIDE over the files of the real root)."""
    if os.geteuid() != 0:
        return argv
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is needed to drop root's file permission override")
    return ["unshare", "--user", *argv]


@pytest.mark.parametrize(
    ("locked", "status", "expected"),
    [
        ("", 2, "lpic3: {root}: cannot be read: permission denied"),
        ("content", 1, "content: error: cannot list folder: Permission denied"),
        ("content/351.5/lesson.md", 1, "content/351.5/lesson.md: error: cannot be read: permission denied"),
    ],
    ids=["tree", "content-folder", "lesson"],
)
def test_unreadable_trees_are_one_line(tree: Tree, locked: str, status: int, expected: str) -> None:
    tree.write("content/351.5/questions.yaml", GOOD_SINGLE)
    tree.write("content/351.5/lesson.md", '---\nobjective: "351.5"\ntitle: Disks\n---\n# Disks\n')
    (tree.root / locked).chmod(0)
    try:
        result = subprocess.run(
            _unprivileged([sys.executable, "-m", "trainer", "lint", str(tree.root)]),
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
    finally:
        (tree.root / locked).chmod(0o755)
    assert result.returncode == status, result.stderr
    assert expected.format(root=tree.root) in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
