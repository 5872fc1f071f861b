"""Probes that read files on the target: existence, permission bits, content."""

from __future__ import annotations

import json
import re
import shlex

import yaml

from checkers.probes.registry import Arg, Verdict, probe
from checkers.probes.values import MISSING, as_text, walk
from checkers.shell import Shell


@probe(
    "file.exists",
    "a path exists (or, with present: false, does not)",
    path=Arg(str, help="absolute path on the target"),
    present=Arg(bool, required=False, help="false to require that the path is absent"),
)
def file_exists(shell: Shell, path: str, present: bool = True) -> Verdict:
    found = shell.run(f"test -e {shlex.quote(path)}").status == 0
    want, seen = ("exists" if present else "absent"), ("exists" if found else "absent")
    return Verdict(found == present, f"{path} {want}", f"{path} {seen}")


@probe(
    "file.mode",
    "a path has the given permission bits (octal, e.g. '640')",
    path=Arg(str, help="absolute path on the target"),
    mode=Arg(str, help="octal permission bits such as '640' or '4755'", pattern="[0-7]{3,4}"),
)
def file_mode(shell: Shell, path: str, mode: str) -> Verdict:
    result = shell.run(f"stat -c %a {shlex.quote(path)}")
    if result.status != 0:
        return Verdict(False, f"{path} with mode {mode}", f"{path} cannot be read: {result.output.strip()}")
    seen = result.output.strip()
    return Verdict(int(seen, 8) == int(mode, 8), f"mode {mode}", f"mode {seen}", result.command)


@probe(
    "file.contains",
    "a file has a line matching a regular expression",
    path=Arg(str, help="absolute path on the target"),
    pattern=Arg(str, help="Python regular expression searched line by line", is_regex=True),
    present=Arg(bool, required=False, help="false to require that no line matches"),
)
def file_contains(shell: Shell, path: str, pattern: str, present: bool = True) -> Verdict:
    result = shell.run(f"cat {shlex.quote(path)}")
    if result.status != 0:
        return Verdict(False, f"{path} readable", result.output.strip() or f"cat exited {result.status}")
    regex = re.compile(pattern)
    hit = next((line for line in result.output.splitlines() if regex.search(line)), None)
    want = f"a line matching /{pattern}/" if present else f"no line matching /{pattern}/"
    seen = f"line {hit!r}" if hit is not None else f"no matching line in {path}"
    return Verdict((hit is not None) == present, want, seen)


@probe(
    "file.key",
    "a key in a YAML or JSON file has a value (cloud-init user-data, daemon.json ...)",
    path=Arg(str, help="absolute path on the target"),
    key=Arg(str, help="dotted key, list items by index: 'users.0.name', 'log-driver'"),
    equals=Arg(str, help="expected value as text (numbers and booleans as JSON writes them)"),
    format=Arg(str, required=False, help="yaml (default; JSON is YAML too) or json", pattern="yaml|json"),
)
def file_key(shell: Shell, path: str, key: str, equals: str, format: str = "yaml") -> Verdict:
    result = shell.run(f"cat {shlex.quote(path)}")
    wanted = f"{path}: {key} = {equals}"
    if result.status != 0:
        return Verdict(False, wanted, result.output.strip() or f"cannot read {path}")
    try:
        data = json.loads(result.output) if format == "json" else yaml.safe_load(result.output)
    except (ValueError, yaml.YAMLError) as exc:
        return Verdict(False, wanted, f"{path} is not valid {format.upper()}: {str(exc).splitlines()[0]}")
    found = walk(data, key)
    seen = "absent" if found is MISSING else as_text(found)
    return Verdict(seen == equals, wanted, f"{key} = {seen}")
