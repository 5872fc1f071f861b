"""Probes that run a command on the target: its exit status, its output, a value in its JSON output."""

from __future__ import annotations

import json
import re

import yaml

from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import MISSING, as_text, excerpt, walk
from checkers.shell import Shell


@probe(
    "command.status",
    "a command exits with the given status (0 by default)",
    command=Arg(str, help="shell command run on the target", shell=True),
    status=Arg(int, required=False, help="expected exit status, default 0"),
)
def command_status(shell: Shell, command: str, status: int = 0) -> Verdict:
    result = shell.run(command)
    return Verdict(
        result.status == status,
        f"exit status {status}",
        _status_seen(result.status, result.output),
        result.output[-2000:],
    )


def _succeeds(command: str) -> str:
    """What a check asks of its command, as a verdict line shows it: a command of several lines (a
    script a lab summarises a tool's output with) by its first line; `--explain` shows it whole."""
    first, *more = command.strip().splitlines() or [""]
    return f"`{first}{' ...' if more else ''}` succeeds"


def _status_seen(status: int, output: str) -> str:
    """An exit status as a verdict shows it, with what the command printed (errors say why)."""
    return f"exit status {status}" + (f", output {excerpt(output)}" if output.strip() else "")


@probe(
    "command.output",
    "a command succeeds and its output matches a regular expression",
    command=Arg(str, help="shell command run on the target", shell=True),
    pattern=Arg(str, help="Python regular expression searched in the output (multiline)", is_regex=True),
    present=Arg(bool, required=False, help="false to require that the output does not match"),
)
def command_output(shell: Shell, command: str, pattern: str, present: bool = True) -> Verdict:
    result = shell.run(command)
    if result.status != 0:
        return Verdict(False, _succeeds(command), _status_seen(result.status, result.output), result.output[-2000:])
    hit = re.search(pattern, result.output, re.MULTILINE)
    want = f"output matching /{pattern}/" if present else f"output not matching /{pattern}/"
    seen = f"matched {hit.group(0)!r}" if hit else f"no match in the output {excerpt(result.output)}"
    return Verdict((hit is not None) == present, want, seen, result.output[-2000:])


@probe(
    "command.json",
    "a command prints JSON (or YAML) whose value at a dotted key is what the matcher asks for",
    command=Arg(str, help="shell command printing JSON, e.g. qemu-img info --output=json IMG", shell=True),
    key=Arg(str, help="dotted path into the JSON, list items by index: 'children.0.info'"),
    **MATCHER,
    format=Arg(str, required=False, help="json (default) or yaml", pattern="json|yaml"),
)
def command_json(shell: Shell, command: str, key: str, format: str = "json", **match: object) -> Verdict:
    result = shell.run(command, merge=False)
    if result.status != 0:
        both = result.errors + result.output
        return Verdict(False, _succeeds(command), _status_seen(result.status, both), both[-2000:])
    try:
        value: object = json.loads(result.output) if format == "json" else yaml.safe_load(result.output)
    except (ValueError, yaml.YAMLError) as exc:
        return Verdict(
            False,
            f"{format.upper()} output",
            f"not {format.upper()} ({str(exc).splitlines()[0]}): {excerpt(result.output)}",
            result.output[-2000:],
        )
    found, matcher = walk(value, key), Match.of(match)
    wanted = f"{key} {matcher.describe()}"
    if found is MISSING:
        return Verdict(matcher.judge(found), wanted, f"no {key} in the output", result.output[-2000:])
    return Verdict(matcher.judge(found), wanted, f"{key} = {as_text(found)}")
