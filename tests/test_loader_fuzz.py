"""Property: whatever a question file holds, the loader answers with problems, never a crash."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_lint_errors import FILL, GOOD_SINGLE, MULTI
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.problems import ContentError
from trainer.curriculum.questions import load_questions

SEED_TEXT = (GOOD_SINGLE + MULTI + FILL).lstrip("\n")
OBJECTIVES = load_curriculum().objectives

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["A", "B", "Z", "351.5", "single", "multi", "fill", "qemu-img", "Choose two.", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "objective",
                    "terms",
                    "difficulty",
                    "stem",
                    "options",
                    "answer",
                    "accept",
                    "match",
                    "explanation",
                    "ignore_case",
                    "equivalent",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _load(tmp: Path, text: str) -> None:
    path = tmp / "questions.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_questions(path, "351.5", OBJECTIVES, [])
    except ContentError as exc:  # the one exception the loader may raise, always with a located problem
        assert exc.problem.path == path and exc.problem.message


settings_ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(data=st.data())
def test_mutated_question_text_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    text = SEED_TEXT
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "swap-lines"]))
        if op == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = (
                text[:at]
                + data.draw(
                    st.sampled_from(
                        [
                            ":",
                            "- ",
                            "[",
                            "]",
                            "{",
                            "&a",
                            "*a",
                            "!!binary ",
                            "\t",
                            "\n",
                            "  ",
                            "'",
                            '"',
                            "? ",
                            "|",
                            "#",
                            "\x00",
                            "é",
                        ]
                    )
                )
                + text[at:]
            )
        elif op == "replace":
            text = text[:at] + data.draw(st.text(max_size=5)) + text[at + 1 :]
        else:
            lines = text.splitlines()
            i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    _load(tmp_path, text)


@settings_
@given(document=st.lists(values, max_size=4))
def test_arbitrary_yaml_structures_never_crash(tmp_path: Path, document: list[object]) -> None:
    _load(tmp_path, yaml.safe_dump(document, allow_unicode=True))


def test_recursive_alias_is_a_content_error(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text("- &a [*a]\n")
    problems: list = []
    try:
        load_questions(path, "351.5", OBJECTIVES, problems)
    except ContentError as exc:
        assert "questions.yaml" in str(exc)
    else:
        assert problems
