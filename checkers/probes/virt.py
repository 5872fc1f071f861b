"""libvirt (through virsh) and disk images (through qemu-img): state, XML fields, pools, snapshots."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET

from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.sizes import UNIT_PATTERN, in_unit, libvirt_bytes
from checkers.probes.values import MISSING, parsed_json, shown, walk
from checkers.shell import CommandResult, Shell

_URI = Arg(str, required=False, help="libvirt connection URI (default qemu:///system)")


def _virsh(uri: str, args: str) -> str:
    return f"virsh -q -c {shlex.quote(uri)} {args}"


def _failed(result: CommandResult, fallback: str) -> str:
    return (result.errors or result.output).strip()[-300:] or fallback


def _fields(output: str) -> dict[str, str]:
    """The ``Key: value`` lines of ``virsh dominfo``/``net-info``/``pool-info``."""
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in output.splitlines())}


def _image_info(result: CommandResult) -> object:
    """The parsed ``qemu-img info`` JSON, or None when the command failed or printed something else."""
    return parsed_json(result.output) if result.status == 0 else None


@probe(
    "libvirt.domain",
    "a libvirt domain exists, in a given state (running, shut off, paused)",
    name=Arg(str, help="domain name"),
    state=Arg(str, required=False, help="as virsh domstate prints it"),
    persistent=Arg(bool, required=False, help="true: defined (persistent); false: transient"),
    autostart=Arg(bool, required=False, help="true: marked to start with libvirtd (virsh autostart); false: not"),
    uri=_URI,
)
def libvirt_domain(
    shell: Shell,
    name: str,
    state: str | None = None,
    persistent: bool | None = None,
    autostart: bool | None = None,
    uri: str = "qemu:///system",
) -> Verdict:
    """What libvirtd itself says (dominfo): an autostart link made by hand is not known to it."""
    info = shell.run(_virsh(uri, f"dominfo {shlex.quote(name)}"), merge=False)
    wanted = " ".join(
        filter(
            None,
            [
                f"domain {name}",
                state,
                None if persistent is None else "persistent" if persistent else "transient",
                None if autostart is None else "autostart " + ("enabled" if autostart else "disabled"),
            ],
        )
    )
    if info.status != 0:
        return Verdict(False, wanted, _failed(info, f"no domain {name}"))
    fields = _fields(info.output)
    seen_state, seen_persistent = fields.get("State", "?"), fields.get("Persistent") == "yes"
    seen_autostart = fields.get("Autostart") == "enable"
    ok = (
        (state is None or seen_state == state)
        and (persistent is None or seen_persistent == persistent)
        and (autostart is None or seen_autostart == autostart)
    )
    seen = f"domain {name} {seen_state}, {'persistent' if seen_persistent else 'transient'}"
    if autostart is not None:
        seen += f", autostart {'enabled' if seen_autostart else 'disabled'}"
    return Verdict(ok, wanted, seen)


# The virsh command that prints each kind of object's XML.
_DUMPXML = {
    "domain": "dumpxml",
    "net": "net-dumpxml",
    "pool": "pool-dumpxml",
    "vol": "vol-dumpxml",
    "save": "save-image-dumpxml",
}


@probe(
    "libvirt.xml",
    "a field of a libvirt object's XML (dumpxml) has a value",
    name=Arg(str, help="object name"),
    kind=Arg(
        str,
        required=False,
        help="domain (default), net, pool, vol (name: pool/volume) or save (name: a file virsh save wrote)",
        pattern="domain|net|pool|vol|save",
    ),
    path=Arg(str, help="ElementTree path below the root, e.g. 'memory', 'devices/disk/source', 'forward'"),
    attribute=Arg(str, required=False, help="read this attribute instead of the element's text"),
    unit=Arg(
        str,
        required=False,
        pattern=UNIT_PATTERN,
        not_with=("attribute",),
        help="the element's amount, counted in its unit attribute (libvirt writes KiB for memory, bytes for "
        "a volume's capacity), in this unit: <memory unit='KiB'>1048576</memory> is 1024 in MiB",
    ),
    fields=Arg(
        list,
        required=False,
        pattern=r"[\w.-]+(/[\w.-]+)*(@[\w:-]+)?|@[\w:-]+",
        not_with=("attribute", "unit"),
        help="a field of each element found: 'child@attribute', 'child' (its text) or '@attribute'; the "
        "matcher then judges the list of these maps ([target@dev, source@file] with contains: {target@dev: vdb})",
    ),
    **MATCHER,
    inactive=Arg(
        bool,
        required=False,
        help="true: the persistent definition (dumpxml --inactive: what the next start uses), not the live state",
    ),
    uri=_URI,
)
def libvirt_xml(
    shell: Shell,
    name: str,
    path: str,
    kind: str = "domain",
    attribute: str | None = None,
    unit: str | None = None,
    fields: list[str] | None = None,
    inactive: bool = False,
    uri: str = "qemu:///system",
    **match: object,
) -> Verdict:
    """Without ``inactive`` the live XML (what runs now); with it the persistent definition, so a
    change made with ``--live`` only (gone at the next start) does not pass a task about the
    configuration. A transient object has no persistent definition: it fails then. Where ``path``
    finds several elements (the disks of a domain), one of them matching is enough; with ``fields``
    the matcher judges them all as one list of maps (a disk with this target, bus, format and
    file; no disk with that file)."""
    matcher = Match.of(match)
    layer = " (persistent definition)" if inactive else ""
    where = f"{path}{'@' + attribute if attribute else ''}{' in ' + unit if unit else ''}"
    wanted = f"{kind} {name}{layer}: {where} {matcher.describe()}"
    pool, slash, volume = name.partition("/")
    if kind == "vol" and not (pool and slash and volume):
        return Verdict.not_judged(wanted, f"the check names a volume {name!r}: it takes pool/volume")
    target = f"--pool {shlex.quote(pool)} {shlex.quote(volume)}" if kind == "vol" else shlex.quote(name)
    if inactive and kind == "save":
        return Verdict(False, wanted, "a save file holds one definition: inactive does not apply to it")
    if inactive:
        info = shell.run(_virsh(uri, f"{'dom' if kind == 'domain' else kind + '-'}info {target}"), merge=False)
        if _fields(info.output).get("Persistent") == "no":
            return Verdict(False, wanted, f"{kind} {name} is transient: no definition")
        target += " --inactive"
    result = shell.run(_virsh(uri, f"{_DUMPXML[kind]} {target}"), merge=False)
    if result.status != 0:
        return Verdict(False, wanted, _failed(result, "no such object"))
    try:
        root = ET.fromstring(result.output)
    except ET.ParseError as exc:
        return Verdict(False, wanted, f"unreadable XML: {exc}")
    elements = root.findall(path) if path != "." else [root]
    if fields:
        found = [{f: v for f in fields if (v := _field(e, f)) is not None} for e in elements]
        listed = "; ".join(" ".join(item.get(f, "-") for f in fields) for item in found) or "none"
        return Verdict(matcher.judge(found), wanted, f"{where}{layer}, {' '.join(fields)} = {listed}")
    read = [_amount(e, unit) if unit else e.get(attribute) if attribute else (e.text or "").strip() for e in elements]
    values = [v for v in read if v is not None]
    passed = any(matcher.judge(v) for v in values) if matcher.kind != "absent" else matcher.judge(values or MISSING)
    return Verdict(passed, wanted, f"{where}{layer} = {', '.join(values) if values else 'absent'}")


def _field(element: ET.Element, field: str) -> str | None:
    """``child@attribute``, ``child`` (its text) or ``@attribute`` of ``element``; None when not there."""
    child, _, attribute = field.partition("@")
    node = element.find(child) if child else element
    if node is None:
        return None
    return node.get(attribute) if attribute else (node.text or "").strip()


def _amount(element: ET.Element, unit: str) -> str:
    """The size an element holds (``<memory unit='KiB'>``, ``<capacity unit='bytes'>``) in ``unit``;
    what was written, with its unit, when libvirt would not read it as a size."""
    text, written = (element.text or "").strip(), element.get("unit", "")
    count = libvirt_bytes(text, written)
    return in_unit(count, unit) if count is not None else f"{text} {written or '(no unit)'}"


@probe(
    "libvirt.active",
    "a libvirt network or storage pool is active (or, with active: false, not)",
    name=Arg(str, help="network or pool name"),
    kind=Arg(str, help="net or pool", pattern="net|pool"),
    active=Arg(bool, required=False, help="false: must be defined but inactive"),
    autostart=Arg(bool, required=False, help="true: must start with libvirtd"),
    uri=_URI,
)
def libvirt_active(
    shell: Shell, name: str, kind: str, active: bool = True, autostart: bool | None = None, uri: str = "qemu:///system"
) -> Verdict:
    result = shell.run(_virsh(uri, f"{kind}-info {shlex.quote(name)}"), merge=False)
    wanted = f"{kind} {name} {'active' if active else 'inactive'}" + (
        "" if autostart is None else f", autostart {'on' if autostart else 'off'}"
    )
    if result.status != 0:
        return Verdict(False, wanted, _failed(result, f"no {kind} {name}"))
    fields = _fields(result.output)
    is_active = fields.get("Active") == "yes" or fields.get("State") == "running"
    is_auto = fields.get("Autostart") == "yes"
    ok = is_active == active and (autostart is None or is_auto == autostart)
    return Verdict(
        ok, wanted, f"{kind} {name} {'active' if is_active else 'inactive'}, autostart {'on' if is_auto else 'off'}"
    )


@probe(
    "libvirt.snapshot",
    "a domain has a snapshot of the given name",
    domain=Arg(str, help="domain name"),
    name=Arg(str, help="snapshot name"),
    state=Arg(str, required=False, help="the domain's state it recorded, as snapshot-info prints it: running, shutoff"),
    uri=_URI,
)
def libvirt_snapshot(
    shell: Shell, domain: str, name: str, state: str | None = None, uri: str = "qemu:///system"
) -> Verdict:
    result = shell.run(_virsh(uri, f"snapshot-list --name {shlex.quote(domain)}"), merge=False)
    names = result.output.split() if result.status == 0 else []
    if state is not None and name in names:
        info = shell.run(_virsh(uri, f"snapshot-info {shlex.quote(domain)} {shlex.quote(name)}"), merge=False)
        seen_state = _fields(info.output).get("State", "?") if info.status == 0 else _failed(info, "no snapshot")
        return Verdict(
            seen_state == state, f"snapshot {name} of {domain}, state {state}", f"snapshot {name}, state {seen_state}"
        )
    return Verdict(
        name in names,
        f"snapshot {name} of {domain}" + (f", state {state}" if state else ""),
        f"snapshots: {', '.join(names) or 'none'}" if result.status == 0 else _failed(result, "no domain"),
    )


@probe(
    "image.info",
    "a value from `qemu-img info --output=json` of a disk image",
    path=Arg(str, help="image file"),
    key=Arg(
        str,
        help="dotted key: format, virtual-size, backing-filename-format"
        ", full-backing-filename, format-specific.data.compat",
    ),
    unit=Arg(
        str,
        required=False,
        pattern=UNIT_PATTERN,
        help="a size in bytes (virtual-size, actual-size, cluster-size) in this unit: 536870912 is 512 in MiB",
    ),
    **MATCHER,
)
def image_info(shell: Shell, path: str, key: str, unit: str | None = None, **match: object) -> Verdict:
    result = shell.run(f"qemu-img info -U --output=json {shlex.quote(path)}", merge=False)
    info, matcher = _image_info(result), Match.of(match)
    asked = f"{key} in {unit}" if unit else key
    wanted = f"{path}: {asked} {matcher.describe()}"
    if info is None:
        return Verdict(False, wanted, _failed(result, "cannot read image"))
    found = walk(info, key)
    if unit and isinstance(found, int) and not isinstance(found, bool):
        found = in_unit(found, unit)
    return Verdict(matcher.judge(found), wanted, f"{path}: {asked} = {shown(found)}")


@probe(
    "image.snapshot",
    "a disk image holds an internal snapshot (qemu-img snapshot -l)",
    path=Arg(str, help="image file"),
    name=Arg(str, help="snapshot tag"),
    present=Arg(bool, required=False, help="false: must not hold it"),
)
def image_snapshot(shell: Shell, path: str, name: str, present: bool = True) -> Verdict:
    result = shell.run(f"qemu-img info -U --output=json {shlex.quote(path)}", merge=False)
    info = _image_info(result)
    if not isinstance(info, dict):
        return Verdict(False, f"snapshot {name} in {path}", _failed(result, "cannot read image"))
    tags = [str(s.get("name")) for s in info.get("snapshots", []) if isinstance(s, dict)]
    return Verdict(
        (name in tags) == present,
        f"snapshot {name} {'in' if present else 'not in'} {path}",
        f"snapshots: {', '.join(tags) or 'none'}",
    )
