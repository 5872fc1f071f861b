"""Probes that read files on the target: existence, permission bits, content.

A path in /proc or /sys is the kernel's: it is read in the kernel view (``checkers.kernelfiles``), and
something mounted over it fails the check as tampered.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex

import yaml

from checkers.kernelfiles import InView, is_kernel_path
from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import MISSING, excerpt, shown, walk
from checkers.shell import Shell


def _reader(shell: Shell, path: str) -> Shell:
    """The shell that reads ``path``: the kernel view for a file of /proc or /sys, else the session."""
    return InView(shell, [path]) if is_kernel_path(path) else shell


@probe(
    "file.exists",
    "a path exists (or, with present: false, does not)",
    path=Arg(str, help="absolute path on the target"),
    present=Arg(bool, required=False, help="false to require that the path is absent"),
)
def file_exists(shell: Shell, path: str, present: bool = True) -> Verdict:
    found = _reader(shell, path).run(f"test -e {shlex.quote(path)}").status == 0
    want, seen = ("exists" if present else "absent"), ("exists" if found else "absent")
    return Verdict(found == present, f"{path} {want}", f"{path} {seen}")


@probe(
    "file.link",
    "where a symbolic link points: its target as the link holds it (readlink), judged by a matcher",
    path=Arg(str, help="absolute path of the link on the target"),
    **MATCHER,
)
def file_link(shell: Shell, path: str, **match: object) -> Verdict:
    """The link's own text, not where it leads in the end: a task about a link (libvirt's autostart
    marks) is about what the link names, and a chain of links or a copy of the file is not that."""
    quoted = shlex.quote(path)
    result = _reader(shell, path).run(
        f"if test -L {quoted}; then readlink -- {quoted}; elif test -e {quoted}; then exit 3; else exit 4; fi"
    )
    matcher = Match.of(match)
    wanted = f"{path} -> {matcher.describe()}"
    if result.status != 0:
        seen = "not a symbolic link" if result.status == 3 else "absent"
        return Verdict(matcher.judge(MISSING), wanted, f"{path}: {seen}")
    target = result.output.rstrip("\n")
    return Verdict(matcher.judge(target), wanted, f"{path} -> {target}")


@probe(
    "file.mode",
    "a path has the given permission bits (octal, e.g. '640')",
    path=Arg(str, help="absolute path on the target"),
    mode=Arg(str, help="octal permission bits such as '640' or '4755'", pattern="[0-7]{3,4}"),
)
def file_mode(shell: Shell, path: str, mode: str) -> Verdict:
    result = _reader(shell, path).run(f"stat -c %a {shlex.quote(path)}")
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
    result = _reader(shell, path).run(f"cat {shlex.quote(path)}")
    if result.status != 0:
        return Verdict(False, f"{path} readable", result.output.strip() or f"cat exited {result.status}")
    regex = re.compile(pattern)
    hit = next((line for line in result.output.splitlines() if regex.search(line)), None)
    want = f"a line matching /{pattern}/" if present else f"no line matching /{pattern}/"
    seen = f"line {hit!r}" if hit is not None else f"no matching line in {path}, which holds {excerpt(result.output)}"
    return Verdict((hit is not None) == present, want, seen)


@probe(
    "file.key",
    "a key in a YAML, JSON, INI or key = value file has a value (user-data, daemon.json, xl.cfg ...)",
    path=Arg(str, help="absolute path on the target"),
    key=Arg(str, help="dotted key, list items by index: 'users.0.name'; INI: 'section.option'; conf: the name"),
    **MATCHER,
    format=Arg(
        str,
        required=False,
        help="yaml (default; JSON is YAML too), json, ini (sections) or conf (flat 'key = value' lines: "
        "xl.cfg, libvirtd.conf, an LXC config)",
        pattern="yaml|json|ini|conf",
    ),
)
def file_key(shell: Shell, path: str, key: str, format: str = "yaml", **match: object) -> Verdict:
    result = _reader(shell, path).run(f"cat {shlex.quote(path)}")
    matcher = Match.of(match)
    wanted = f"{path}: {key} {matcher.describe()}"
    if result.status != 0:
        return Verdict(False, wanted, result.output.strip() or f"cannot read {path}")
    try:
        data = _parse(result.output, format)
    except (ValueError, yaml.YAMLError, configparser.Error) as exc:
        return Verdict(False, wanted, f"{path} is not valid {format.upper()}: {str(exc).splitlines()[0]}")
    found = data.get(key, MISSING) if isinstance(data, dict) and format in ("ini", "conf") else walk(data, key)
    return Verdict(matcher.judge(found), wanted, f"{key} = {shown(found)}")


def _parse(text: str, format: str) -> object:
    """The file's content as data. INI keys become 'section.option'; in a conf file, the last
    assignment of a key wins, surrounding quotes are dropped and '#' starts a comment."""
    if format == "json":
        return json.loads(text)
    if format == "yaml":
        return yaml.safe_load(text)
    if format == "ini":
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read_string(text)
        return {
            f"{section}.{option}": value
            for section in parser.sections()
            for option, value in parser.items(section, raw=True)
        }
    values = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip("'\"")
    return values


@probe(
    "file.owner",
    "a path belongs to the given user (and group)",
    path=Arg(str, help="absolute path on the target"),
    user=Arg(str, help="user name or numeric uid"),
    group=Arg(str, required=False, help="group name or numeric gid"),
)
def file_owner(shell: Shell, path: str, user: str, group: str | None = None) -> Verdict:
    result = _reader(shell, path).run(f"stat -c '%U %G %u %g' {shlex.quote(path)}", merge=False)
    wanted = f"{path} owned by {user}" + (f":{group}" if group else "")
    if result.status != 0:
        return Verdict(False, wanted, result.errors.strip() or f"cannot stat {path}")
    uname, gname, uid, gid = result.output.split()
    ok = user in (uname, uid) and (group is None or group in (gname, gid))
    return Verdict(ok, wanted, f"{path} owned by {uname}:{gname} ({uid}:{gid})")
