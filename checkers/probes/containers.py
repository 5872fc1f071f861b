"""Containers: LXC (lxc-info), LXD (its REST API through `lxc query`) and Docker or podman (inspect JSON)."""

from __future__ import annotations

import json
import re
import shlex
from urllib.parse import quote, unquote

from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, matcher_needs_key, probe
from checkers.probes.values import MISSING, excerpt, parsed_json, shown, walk
from checkers.shell import Shell


@probe(
    "lxc.container",
    "an LXC container exists, in a state, with an optional config value judged by a matcher",
    name=Arg(str, help="container name"),
    state=Arg(str, required=False, help="RUNNING, STOPPED or FROZEN"),
    key=Arg(str, required=False, help="a config key, e.g. lxc.start.auto or lxc.rootfs.path (unset: absent)"),
    **MATCHER,
    path=Arg(str, required=False, help="the folder holding the container (lxc-info -P; default: the system's)"),
)
def lxc_container(
    shell: Shell, name: str, state: str | None = None, key: str | None = None, path: str = "", **match: object
) -> Verdict:
    lxc_info = "lxc-info" + (f" -P {shlex.quote(path)}" if path else "") + f" -n {shlex.quote(name)}"
    matcher = Match.of(match) if key else None
    judged = f"{key} {matcher.describe()}" if key and matcher else None
    wanted = " ".join(filter(None, [f"container {name}", state, judged]))
    info = shell.run(f"{lxc_info} -s", merge=False)
    if info.status != 0:
        return Verdict(False, wanted, (info.errors or info.output).strip() or f"no container {name}")
    seen_state = info.output.split(":", 1)[-1].strip()
    seen = [f"container {name} {seen_state}"]
    ok = state is None or seen_state == state
    if key and matcher:
        value = shell.run(f"{lxc_info} -c {shlex.quote(key)}", merge=False).output.strip()
        found: object = value.split("=", 1)[1].strip() if "=" in value else ""
        found = found or MISSING  # lxc-info prints an unset key with nothing after its "="
        seen.append(f"{key} = {shown(found)}")
        ok = ok and matcher.judge(found)
    return Verdict(ok, wanted, ", ".join(seen))


matcher_needs_key("lxc.container")


@probe(
    "container.inspect",
    "a value from `docker inspect` (or podman): state, image, limits, mounts, networks; a podman pod's",
    name=Arg(str, help="container, image, network, volume or pod name"),
    key=Arg(str, help="dotted key, e.g. State.Running, HostConfig.Memory, HostConfig.RestartPolicy.Name"),
    **MATCHER,
    kind=Arg(
        str,
        required=False,
        help="container (default), image, network, volume, or pod (podman only: State, Containers, InfraConfig)",
        pattern="container|image|network|volume|pod",
    ),
    engine=Arg(str, required=False, help="docker (default) or podman", pattern="docker|podman"),
)
def container_inspect(
    shell: Shell, name: str, key: str, kind: str = "container", engine: str = "docker", **match: object
) -> Verdict:
    result = shell.run(f"{engine} inspect --type {kind} {shlex.quote(name)}", merge=False)
    matcher = Match.of(match)
    wanted = f"{kind} {name}: {key} {matcher.describe()}"
    if result.status != 0:
        return Verdict(False, wanted, (result.errors or result.output).strip()[-300:] or f"no {kind} {name}")
    try:
        found = walk(json.loads(result.output), f"0.{key}")
    except json.JSONDecodeError:
        return Verdict(False, wanted, f"unreadable {engine} output: {excerpt(result.output)}")
    return Verdict(matcher.judge(found), wanted, f"{key} = {shown(found)}")


# LXD's byte sizes (``units.ParseByteSizeString``): decimal kB-EB, binary KiB-EiB, a bare number is bytes.
_LXD_UNITS = {
    "": 1,
    "B": 1,
    " bytes": 1,
    **{f"{prefix}B": 1000 ** (n + 1) for n, prefix in enumerate("kMGTPE")},
    **{f"{prefix}iB": 1024 ** (n + 1) for n, prefix in enumerate("KMGTPE")},
}
_LXD_SIZE = re.compile(r"(\d+)(" + "|".join(_LXD_UNITS) + ")")


def _lxd_bytes(text: str) -> int | None:
    """A size as LXD reads it (``64MiB``, ``64MB``, ``67108864``), in bytes; None when it is not one."""
    match = _LXD_SIZE.fullmatch(text)
    return int(match[1]) * _LXD_UNITS[match[2]] if match else None


def _lxd_same(seen: str, equals: str) -> bool:
    """Equal text; or, when ``equals`` is a size with a unit, the same number of bytes (64MiB is
    67108864, and 64MB is not): the task names the size, any spelling LXD reads as it will do."""
    if seen == equals:
        return True
    sized = _LXD_SIZE.fullmatch(equals)
    return bool(sized and sized[2]) and _lxd_bytes(seen) == _lxd_bytes(equals)


@probe(
    "lxd.instance",
    "an LXD instance (`lxc query`): its status, a key of its expanded config (profiles included), a snapshot",
    name=Arg(str, help="instance name (in LXD's default project)"),
    status=Arg(str, required=False, help="Running, Stopped or Frozen, as LXD reports it"),
    key=Arg(
        str,
        required=False,
        help="a key of the expanded config, what the instance's own config and its profiles make: limits.memory",
    ),
    snapshot=Arg(str, required=False, help="the name of a snapshot the instance must have"),
    **MATCHER,
)
def lxd_instance(
    shell: Shell,
    name: str,
    status: str | None = None,
    key: str | None = None,
    snapshot: str | None = None,
    **match: object,
) -> Verdict:
    """With ``key``, a matcher judges its value; ``equals`` a size with a unit (64MiB) takes any
    spelling LXD reads as that size (67108864)."""
    matcher = Match.of(match) if key else None
    judged = f"{key} {matcher.describe()}" if key and matcher else None
    wanted = " ".join(filter(None, [f"LXD instance {name}", status, judged, snapshot and f"snapshot {snapshot}"]))
    path = f"/1.0/instances/{quote(name, safe='')}"
    found = shell.run(f"lxc query {shlex.quote(path)}", merge=False)
    if found.status != 0:
        return Verdict(False, wanted, f"lxc query {path}: {excerpt(found.errors or found.output)}")
    instance = parsed_json(found.output)
    if not isinstance(instance, dict):
        return Verdict(False, wanted, f"unreadable answer from LXD: {excerpt(found.output)}")
    seen = [f"LXD instance {name} {instance.get('status', 'of unknown status')}"]
    ok = status is None or instance.get("status") == status
    if key and matcher:
        value = (instance.get("expanded_config") or {}).get(key, MISSING)
        seen.append(f"{key} = {shown(value)}")
        ok = ok and matcher.judge(value, _lxd_same)
    if snapshot:
        listing = shell.run(f"lxc query {shlex.quote(path + '/snapshots')}", merge=False)
        urls = parsed_json(listing.output) if listing.status == 0 else None
        names = [unquote(str(url).rsplit("/", 1)[-1]) for url in urls] if isinstance(urls, list) else []
        seen.append(f"snapshots: {', '.join(names) or 'none'}")
        ok = ok and snapshot in names
    return Verdict(ok, wanted, ", ".join(seen))


matcher_needs_key("lxd.instance")
