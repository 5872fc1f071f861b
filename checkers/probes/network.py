"""Network state from ``ip -j``: links (kind, state, peer, bridge), addresses, reachability."""

from __future__ import annotations

import json
import shlex
from typing import Any

from checkers.probes.registry import Arg, Verdict, probe
from checkers.probes.values import excerpt
from checkers.shell import Shell

_NETNS = Arg(str, required=False, help="network namespace to look in (default: the target's own)")


def _in(netns: str | None, command: str) -> str:
    return f"ip netns exec {shlex.quote(netns)} {command}" if netns else command


def _link(shell: Shell, name: str, netns: str | None) -> tuple[dict[str, Any] | None, str]:
    result = shell.run(_in(netns, f"ip -j -d link show dev {shlex.quote(name)}"), merge=False)
    if result.status != 0:
        return None, result.errors.strip() or f"no link {name}"
    try:
        data = json.loads(result.output)
    except json.JSONDecodeError:
        return None, f"unreadable ip output: {excerpt(result.output)}"
    return (data[0] if data else None), "" if data else f"no link {name}"


@probe(
    "net.link",
    "a network link exists, with optional kind, state and bridge",
    name=Arg(str, help="interface name"),
    netns=_NETNS,
    kind=Arg(str, required=False, help="veth, bridge, tun, dummy ..."),
    up=Arg(bool, required=False, help="true: administratively up (flag UP)"),
    master=Arg(str, required=False, help="the bridge it must be attached to"),
)
def net_link(
    shell: Shell,
    name: str,
    netns: str | None = None,
    kind: str | None = None,
    up: bool | None = None,
    master: str | None = None,
) -> Verdict:
    where = f" in netns {netns}" if netns else ""
    link, why = _link(shell, name, netns)
    wanted = " ".join(
        filter(
            None,
            [
                f"link {name}{where}",
                kind and f"kind {kind}",
                None if up is None else "up" if up else "down",
                master and f"in bridge {master}",
            ],
        )
    )
    if link is None:
        return Verdict(False, wanted, why)
    seen_kind = link.get("linkinfo", {}).get("info_kind", "")
    is_up = "UP" in link.get("flags", [])
    seen = f"link {name}{where} kind {seen_kind or 'none'}, {'up' if is_up else 'down'}" + (
        f", in bridge {link['master']}" if link.get("master") else ""
    )
    ok = (
        (kind is None or seen_kind == kind)
        and (up is None or is_up == up)
        and (master is None or link.get("master") == master)
    )
    return Verdict(ok, wanted, seen)


@probe(
    "net.address",
    "an interface has an IP address (CIDR)",
    name=Arg(str, help="interface name"),
    address=Arg(str, help="address with prefix, e.g. 10.0.0.1/24"),
    netns=_NETNS,
)
def net_address(shell: Shell, name: str, address: str, netns: str | None = None) -> Verdict:
    result = shell.run(_in(netns, f"ip -j addr show dev {shlex.quote(name)}"), merge=False)
    try:
        data = json.loads(result.output) if result.status == 0 else []
    except json.JSONDecodeError:
        data = []
    seen = [f"{a['local']}/{a['prefixlen']}" for link in data for a in link.get("addr_info", [])]
    where = f" in netns {netns}" if netns else ""
    return Verdict(
        address in seen,
        f"{name}{where} has {address}",
        f"{name}{where} has {', '.join(seen) or 'no address'}"
        if result.status == 0
        else result.errors.strip() or f"no link {name}",
    )


@probe(
    "net.ping",
    "an address answers ping (from a network namespace if given)",
    address=Arg(str, help="IP address to ping"),
    netns=_NETNS,
)
def net_ping(shell: Shell, address: str, netns: str | None = None) -> Verdict:
    result = shell.run(_in(netns, f"ping -c 1 -w 3 {shlex.quote(address)}"))
    where = f" from netns {netns}" if netns else ""
    last_line = (result.output.strip().splitlines() or [""])[-1]
    if result.status == 127 or 'exec of "ping" failed' in result.output:
        return Verdict(False, f"{address} answers ping{where}", "ping is not installed on the target")
    return Verdict(
        result.status == 0,
        f"{address} answers ping{where}",
        "it answered" if result.status == 0 else f"no answer (ping exit {result.status}): {excerpt(last_line)}",
        result.output[-500:],
    )
