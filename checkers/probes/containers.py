"""Containers: LXC (lxc-info) and Docker or podman (inspect JSON)."""

from __future__ import annotations

import json
import shlex

from checkers.probes.registry import Arg, Verdict, probe
from checkers.probes.values import excerpt, shown, walk
from checkers.shell import Shell


@probe(
    "lxc.container",
    "an LXC container exists, in a state, with optional config values",
    name=Arg(str, help="container name"),
    state=Arg(str, required=False, help="RUNNING, STOPPED or FROZEN"),
    key=Arg(str, required=False, help="a config key, e.g. lxc.start.auto or lxc.cgroup.memory.limit_in_bytes"),
    equals=Arg(str, required=False, help="the key's expected value"),
)
def lxc_container(
    shell: Shell, name: str, state: str | None = None, key: str | None = None, equals: str | None = None
) -> Verdict:
    quoted = shlex.quote(name)
    info = shell.run(f"lxc-info -n {quoted} -s", merge=False)
    wanted = " ".join(filter(None, [f"container {name}", state, key and f"{key} = {equals}"]))
    if info.status != 0:
        return Verdict(False, wanted, (info.errors or info.output).strip() or f"no container {name}")
    seen_state = info.output.split(":", 1)[-1].strip()
    seen = [f"container {name} {seen_state}"]
    ok = state is None or seen_state == state
    if key:
        value = shell.run(f"lxc-info -n {quoted} -c {shlex.quote(key)}", merge=False).output.strip()
        seen_value = value.split("=", 1)[1].strip() if "=" in value else ""
        seen.append(f"{key} = {seen_value or 'unset'}")
        ok = ok and seen_value == (equals or "")
    return Verdict(ok, wanted, ", ".join(seen))


@probe(
    "container.inspect",
    "a value from `docker inspect` (or podman): state, image, limits, mounts, networks",
    name=Arg(str, help="container, image, network or volume name"),
    key=Arg(str, help="dotted key, e.g. State.Running, HostConfig.Memory, HostConfig.RestartPolicy.Name"),
    equals=Arg(str, help="expected value as text (numbers and booleans as JSON writes them)"),
    kind=Arg(
        str,
        required=False,
        help="container (default), image, network or volume",
        pattern="container|image|network|volume",
    ),
    engine=Arg(str, required=False, help="docker (default) or podman", pattern="docker|podman"),
)
def container_inspect(
    shell: Shell, name: str, key: str, equals: str, kind: str = "container", engine: str = "docker"
) -> Verdict:
    result = shell.run(f"{engine} inspect --type {kind} {shlex.quote(name)}", merge=False)
    wanted = f"{kind} {name}: {key} = {equals}"
    if result.status != 0:
        return Verdict(False, wanted, (result.errors or result.output).strip()[-300:] or f"no {kind} {name}")
    try:
        found = walk(json.loads(result.output), f"0.{key}")
    except json.JSONDecodeError:
        return Verdict(False, wanted, f"unreadable {engine} output: {excerpt(result.output)}")
    seen = shown(found)
    return Verdict(seen == equals, wanted, f"{key} = {seen}")
