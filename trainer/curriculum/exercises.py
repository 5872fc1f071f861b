"""Loading a hands-on lab: ``exercises/<objective>/<name>.yaml``, one exercise per file.

The format follows the lab contract in docs/design.md. Running it is the lab runner's job; here it is
only read and validated, including that every check names a probe that exists and fits its
arguments, and every known wrong answer names checks that exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from checkers.features import FEATURES
from checkers.probes import REGISTRY, argument_problems
from trainer.curriculum.fields import Fields
from trainer.curriculum.identity import ID_PATTERN, item_objective, resolve_terms
from trainer.curriculum.model import Alternative, Check, Exercise, Location, Objective, Param, WrongAnswer
from trainer.curriculum.problems import Problem, Severity
from trainer.curriculum.quoting import excerpt, shorten
from trainer.curriculum.shellwords import COMMENT, UNQUOTED, placements
from trainer.curriculum.yamlfile import LineList, LineMap, load_yaml

# {{name}}: a parameter. Go templates such as docker's {{.State.Running}} do not match.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
# {{workdir}}: the attempt's own private working folder, given by the runner to every lab.
WORKDIR = "workdir"
# {{attempt}}: the attempt's own short token (8 hex digits, the end of its workdir's name), for naming what
# a lab makes outside its folder (a domain lpic3-web-{{attempt}}, a cgroup, a container), so two attempts
# of one lab on one host never touch each other's objects.
ATTEMPT = "attempt"
GIVEN = (WORKDIR, ATTEMPT)  # the parameters every lab has without declaring them
_REQUIRED = (
    "id",
    "objective",
    "title",
    "terms",
    "difficulty",
    "task",
    "requires",
    "checks",
    "solution",
    "reset",
    "wrong_answers",
)
_OPTIONAL = ("params", "setup", "hints", "note", "alternatives")


def load_exercise(
    path: Path, folder: str, objectives: dict[str, Objective], problems: list[Problem]
) -> Exercise | None:
    data = load_yaml(path)
    if not isinstance(data, LineMap):
        problems.append(Problem(path, 1, Severity.ERROR, "an exercise file must be a YAML mapping", folder))
        return None
    eid = data.get("id")
    f = Fields(data, path, f"exercise {eid if isinstance(eid, str) else path.stem}", problems, folder)
    f.check_keys(_REQUIRED, _OPTIONAL)
    eid = f.text("id")
    if eid is not None and not ID_PATTERN.match(eid):
        f.problem("id", f"id {eid!r} may hold only lower-case letters, digits, '.', '-' and '_'")
    objective = item_objective(f, folder, objectives)
    terms = resolve_terms(f, objective)
    title, task, difficulty = f.text("title"), f.text("task"), f.number("difficulty", 1, 3)
    requires = _requires(f)
    params = _params(f)
    setup, solution, reset, note = f.text("setup") or "", f.text("solution"), f.text("reset"), f.text("note") or ""
    hints = f.strings("hints") or ()
    checks = _checks(f)
    # Every check id written in the file, valid or not: a broken check is reported once, at itself.
    written = data.get("checks")
    items = written if isinstance(written, list) else []
    wrong = _wrong_answers(f, {c["id"] for c in items if isinstance(c, dict) and isinstance(c.get("id"), str)})
    alternatives = _alternatives(f)
    _check_placeholders(f, {p.name for p in params} | set(GIVEN))
    _check_quoting(f, params)
    if not (f.ok and eid and objective and title and task and difficulty and solution and reset):
        return None  # every missing or wrong field has been reported
    return Exercise(
        eid,
        objective.id,
        title,
        terms,
        difficulty,
        task,
        requires,
        params,
        setup,
        checks,
        hints,
        solution,
        reset,
        wrong,
        note,
        Location(path, data.line),
        alternatives,
    )


def _requires(f: Fields) -> tuple[str, ...]:
    names = f.strings("requires") or ()
    for name in names:
        if name not in FEATURES:
            f.problem("requires", f"unknown feature {excerpt(name)} (known: {', '.join(FEATURES)})")
    return names


def _params(f: Fields) -> tuple[Param, ...]:
    data = f.get("params", dict, {})
    params = []
    for name, spec in (data or {}).items():
        line = data.line_of(name)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*", name):
            f.problem("params", f"parameter name {excerpt(name)} must be a word (letters, digits, '_')", line=line)
            continue
        if name in GIVEN:
            f.problem("params", f"parameter name {name!r} is taken: every lab has {{{{{name}}}}}", line=line)
            continue
        if (
            isinstance(spec, dict)
            and set(spec) == {"choices"}
            and isinstance(spec["choices"], LineList)
            and spec["choices"]
            and all(isinstance(c, str | int) and not isinstance(c, bool) for c in spec["choices"])
        ):
            params.append(Param(name, choices=_choices(f, name, spec["choices"])))
        elif (
            isinstance(spec, dict)
            and set(spec) == {"range"}
            and isinstance(spec["range"], list)
            and len(spec["range"]) == 2
            and all(type(x) is int for x in spec["range"])
            and spec["range"][0] <= spec["range"][1]
        ):
            params.append(Param(name, range=(spec["range"][0], spec["range"][1])))
        else:
            f.problem(
                "params", f"parameter {name!r} must be {{choices: [a, b, ...]}} or {{range: [low, high]}}", line=line
            )
    return tuple(params)


def _choices(f: Fields, name: str, items: LineList) -> tuple[str, ...]:
    """The values of a ``choices`` parameter as text: each one a line of printable characters. Any
    of them may need quoting; the runner quotes it where it goes (``trainer.labs.render``), and
    ``_check_quoting`` says where a lab puts it in a place where that quoting would be wrong."""
    values = tuple(excerpt(c) if isinstance(c, int) and c.bit_length() > 64 else str(c) for c in items)
    for index, value in enumerate(values):
        if not value or not value.isprintable():
            f.problem(
                "params",
                f"parameter {name!r}: choice {excerpt(value)} must be one line of printable characters",
                line=items.line_of(index),
            )
    return values


def _checks(f: Fields) -> tuple[Check, ...]:
    items = f.get("checks", list)
    if items is not None and not items:
        f.problem("checks", "an exercise needs at least one check")
    checks: list[Check] = []
    for index, item in enumerate(items or []):
        line = items.line_of(index)
        if not isinstance(item, LineMap):
            f.problem("checks", f"check {index + 1} must be a mapping", line=line)
            continue
        label = item.get("id")
        shown = label if isinstance(label, str) else index + 1
        c = Fields(item, f.path, f"{f.what} check {shown}", f.problems, f.objective)
        c.check_keys(("id", "probe", "hint"), ("args", "wait"))
        cid, probe, hint = c.text("id"), c.text("probe"), c.text("hint")
        args = c.get("args", dict, {})
        wait = c.number("wait", 0, 300) if "wait" in item else 0
        if probe is not None and args is not None:
            at = "args" if probe in REGISTRY and "args" in item else "probe"
            for message in argument_problems(probe, dict(args)):
                c.problem(at, message)
        if cid is not None and any(existing.id == cid for existing in checks):
            c.problem("id", f"check id {excerpt(cid)} is used twice")
        if not c.ok:
            f.ok = False
            continue
        checks.append(Check(cid, probe, dict(args), hint, Location(f.path, line), float(wait or 0)))  # type: ignore[arg-type]
    return tuple(checks)


def _wrong_answers(f: Fields, check_ids: set[str]) -> tuple[WrongAnswer, ...]:
    items = f.get("wrong_answers", list)
    if items is not None and not items:
        f.problem("wrong_answers", "list at least one known wrong answer and the check that catches it")
    wrong: list[WrongAnswer] = []
    for index, item in enumerate(items or []):
        if not isinstance(item, LineMap):
            f.problem("wrong_answers", f"wrong answer {index + 1} must be a mapping", line=items.line_of(index))
            continue
        label = item.get("name")
        shown = excerpt(label) if isinstance(label, str) else index + 1
        w = Fields(item, f.path, f"{f.what} wrong answer {shown}", f.problems, f.objective)
        w.check_keys(("name", "script", "fails"))
        name, script, fails = w.text("name"), w.text("script"), w.strings("fails", allow_empty=False)
        for cid in fails or ():
            if check_ids and cid not in check_ids:
                w.problem("fails", f"names check {excerpt(cid)}, which this exercise does not have")
        if not w.ok:
            f.ok = False
            continue
        wrong.append(WrongAnswer(name, script, fails))  # type: ignore[arg-type]
    return tuple(wrong)


def _alternatives(f: Fields) -> tuple[Alternative, ...]:
    """``alternatives``: other correct solutions, each ``{name, script}``; optional, but when given,
    not empty (an empty list promises a proof that is not there)."""
    items = f.get("alternatives", list)
    if items is not None and not items:
        f.problem("alternatives", "list at least one other correct solution, or leave the key out")
    found: list[Alternative] = []
    for index, item in enumerate(items or []):
        if not isinstance(item, LineMap):
            f.problem("alternatives", f"alternative {index + 1} must be a mapping", line=items.line_of(index))
            continue
        label = item.get("name")
        a = Fields(
            item,
            f.path,
            f"{f.what} alternative {excerpt(label) if isinstance(label, str) else index + 1}",
            f.problems,
            f.objective,
        )
        a.check_keys(("name", "script"))
        name, script = a.text("name"), a.text("script")
        if not a.ok:
            f.ok = False
            continue
        found.append(Alternative(name, script))  # type: ignore[arg-type]
    return tuple(found)


def _check_placeholders(f: Fields, names: set[str]) -> None:
    """Every ``{{placeholder}}`` anywhere in the exercise must be a declared parameter."""

    def walk(value: object, line: int) -> None:
        if isinstance(value, str):
            for found in PLACEHOLDER.findall(value):
                if found not in names:
                    f.problem(None, f"placeholder {{{{{shorten(found)}}}}} is not a parameter", line=line)
        elif isinstance(value, LineMap):
            for key, item in value.items():
                walk(item, value.line_of(key))
        elif isinstance(value, LineList):
            for index, item in enumerate(value):
                walk(item, value.line_of(index))

    walk(f.data, f.data.line)


def _check_quoting(f: Fields, params: tuple[Param, ...]) -> None:
    """A value that needs shell quoting (a blank, a quote, ``$`` ...) is quoted where it goes into
    shell text, which is right outside quotes only: its placeholder inside quotes, back quotes or a
    here-document (where the quotes would stay as text, or the text is parsed again, as by
    ``sh -c '...'``) is a problem at its line. Values that need no quoting may go anywhere."""
    needy = {}  # parameter: its first value that needs quoting
    for param in params:
        value = next((v for v in param.choices if shlex.quote(v) != v), None)
        if value is not None:
            needy[param.name] = value
    if not needy:
        return
    texts: list[tuple[object, int]] = [(f.data.get(key), f.data.line_of(key)) for key in ("setup", "solution", "reset")]
    for key in ("wrong_answers", "alternatives"):
        scripts = f.data.get(key)
        if isinstance(scripts, LineList):
            texts += [(w.get("script"), w.line_of("script")) for w in scripts if isinstance(w, LineMap)]
    items = f.data.get("checks")
    for item in items if isinstance(items, LineList) else []:
        args = item.get("args") if isinstance(item, LineMap) and item.get("probe") in REGISTRY else None
        if isinstance(args, LineMap):
            spec = REGISTRY[item["probe"]].args
            texts += [(v, args.line_of(k)) for k, v in args.items() if k in spec and spec[k].shell]
    reported = set()
    for text, line in texts:
        if not isinstance(text, str):
            continue
        for placed in placements(text, PLACEHOLDER):
            if placed.name in needy and placed.context not in (UNQUOTED, COMMENT) and (placed, line) not in reported:
                reported.add((placed, line))
                f.problem(
                    None,
                    f"parameter {placed.name!r} has values that need shell quoting ({excerpt(needy[placed.name])}): "
                    f"{{{{{placed.name}}}}} is quoted for you in shell text, so it must stand outside quotes "
                    f"(here it is in {placed.context})",
                    line=line,
                )
