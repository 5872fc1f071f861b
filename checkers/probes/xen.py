"""Xen: a domain configuration file (xl.cfg) read by Xen's own parser.

No hypervisor runs here, and ``xl`` refuses to start without one (even ``xl -N create``, the dry run,
opens the hypervisor's interface first). The parsing itself is not in ``xl`` but in libxlutil, the
library ``xl`` reads its files with: ``xlu_cfg_readfile`` for the ``KEY = VALUE`` syntax (strings,
numbers, lists) and ``xlu_disk_parse`` for a disk specification. A small python3 program on the
target calls both through ctypes, so a file judged here is read exactly as ``xl create`` reads it:
the same syntax errors with their line, a disk spec's positional and ``key=value`` forms, ``target=``
taking the rest of the spec. A ``vif`` entry is split as ``xl`` splits it: ``key=value`` items separated by
commas, only spaces before an item dropped, the key matched with its ``=`` (``bridge = br0`` or a tab before
``bridge`` sets no bridge for xl, and a blank after the value stays in it).
"""

from __future__ import annotations

import shlex

from checkers.probes.matchers import Match
from checkers.probes.parsed import Key, python_answer, remembered
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import MISSING, excerpt, shown, walk
from checkers.shell import Shell

# argv: the file. Prints {"text": what was parsed, "error": ...} or {"text": ..., "settings": {name: {"value":
# a string or a list, "number": when xl would read it as one}}}. libxlutil has no call that lists the settings,
# so every name that starts a statement (`NAME =` at a line's start or after `;`) is asked for; a name that is
# not a setting is simply not found.
_READ = r"""
import ctypes, ctypes.util, json, os, re, sys
path = sys.argv[1]
try:
    with open(path, "rb") as f:
        data = f.read()
except OSError as exc:
    print(json.dumps({"text": "", "error": "cannot read %s: %s" % (path, exc.strerror)}))
    sys.exit(0)
out = {"text": data.decode(errors="replace")}
def lib(name):
    found = ctypes.util.find_library(name)
    if not found:
        out["error"] = "lib%s (Xen's config parser, package libxenmisc) is not installed" % name
        print(json.dumps(out))
        sys.exit(0)
    return ctypes.CDLL(found)
xlu, xl, libc = lib("xlutil"), lib("xenlight"), ctypes.CDLL(None)
P, S = ctypes.c_void_p, ctypes.c_char_p
libc.fdopen.restype, libc.fdopen.argtypes = P, [ctypes.c_int, S]
libc.fflush.argtypes = [P]
xlu.xlu_cfg_init.restype, xlu.xlu_cfg_init.argtypes = P, [P, S]
xlu.xlu_cfg_readdata.argtypes = [P, S, ctypes.c_int]
xlu.xlu_cfg_get_string.argtypes = [P, S, ctypes.POINTER(S), ctypes.c_int]
xlu.xlu_cfg_get_long.argtypes = [P, S, ctypes.POINTER(ctypes.c_long), ctypes.c_int]
xlu.xlu_cfg_get_list.argtypes = [P, S, ctypes.POINTER(P), ctypes.POINTER(ctypes.c_int), ctypes.c_int]
xlu.xlu_cfg_get_listitem.restype, xlu.xlu_cfg_get_listitem.argtypes = S, [P, ctypes.c_int]
xlu.xlu_disk_parse.argtypes = [P, ctypes.c_int, P, P]
xl.libxl_device_disk_init.argtypes = [P]
xl.libxl_device_disk_to_json.restype, xl.libxl_device_disk_to_json.argtypes = S, [P, P]
read_fd, write_fd = os.pipe()
os.set_blocking(read_fd, False)
report = libc.fdopen(write_fd, b"w")
cfg = xlu.xlu_cfg_init(report, path.encode())
def messages():
    libc.fflush(report)
    try:
        return os.read(read_fd, 65536).decode(errors="replace").strip()
    except BlockingIOError:
        return ""
if xlu.xlu_cfg_readdata(cfg, data, len(data)) != 0:
    out["error"] = messages() or "syntax error"
    print(json.dumps(out))
    sys.exit(0)
def entry(key, spec):
    if spec is None:
        return None
    if key == "disk":
        disk = ctypes.create_string_buffer(8192)
        xl.libxl_device_disk_init(disk)
        if xlu.xlu_disk_parse(cfg, 1, (S * 1)(spec), disk) != 0:
            return {"error": messages() or "invalid disk specification"}
        parsed = json.loads(xl.libxl_device_disk_to_json(None, disk).decode())
        parsed.setdefault("readwrite", 0)  # libxl leaves out a field at its default
        parsed.setdefault("is_cdrom", 0)
        return parsed
    if key == "vif":
        pairs = [part.lstrip(" ") for part in spec.decode().split(",")]
        return {k: v for k, sep, v in (p.partition("=") for p in pairs) if sep}
    return spec.decode()
settings = out["settings"] = {}
for key in sorted(set(re.findall(r"(?:^|;)\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", out["text"], re.M))):
    name, text, number, items, count = key.encode(), S(), ctypes.c_long(), P(), ctypes.c_int()
    if xlu.xlu_cfg_get_string(cfg, name, ctypes.byref(text), 1) == 0:
        settings[key] = {"value": text.value.decode()}
        if xlu.xlu_cfg_get_long(cfg, name, ctypes.byref(number), 1) == 0:
            settings[key]["number"] = number.value
    elif xlu.xlu_cfg_get_list(cfg, name, ctypes.byref(items), ctypes.byref(count), 1) == 0:
        specs = [xlu.xlu_cfg_get_listitem(items, i) for i in range(count.value)]
        settings[key] = {"value": [entry(key, spec) for spec in specs]}
print(json.dumps(out))
"""

# What xl's parser made of each content of a file (checkers.probes.parsed: python3 costs far more than cat).
_PARSED: dict[Key, dict[str, object]] = {}


def _parsed(shell: Shell, path: str) -> dict[str, object]:
    """The file at ``path`` as xl's parser reads it (``_READ``'s answer); parsed once per content."""
    text = shell.run(f"cat {shlex.quote(path)}", merge=False)
    return remembered(
        _PARSED, (path, text.status, text.output), lambda: python_answer(shell, _READ, (path,), "the parser")
    )


@probe(
    "xen.cfg",
    "a setting of a Xen domain configuration file (xl.cfg) as xl's own parser (libxlutil) reads it",
    path=Arg(str, help="absolute path of the xl.cfg file on the target"),
    key=Arg(
        str,
        help="setting, then list item and field: 'memory', 'disk.0.vdev' (pdev_path, format, readwrite, "
        "is_cdrom), 'vif.0.bridge', 'boot'; an item by a field's value: 'disk.vdev=hdc.pdev_path'; a whole "
        "list as JSON: 'serial'",
    ),
    unset=Arg(
        str,
        required=False,
        help="the value xl uses when the file leaves this setting out (its documented default, e.g. vnc: 1); "
        "without it a setting left out is absent",
    ),
    **MATCHER,
)
def xen_cfg(shell: Shell, path: str, key: str, unset: str | None = None, **match: object) -> Verdict:
    """Asked to equal a whole number or to lie between two, a setting xl reads as a number is judged
    as that number (512 written "512" or 0x200); any other matcher judges the text as written."""
    matcher = Match.of(match)
    top, _, rest = key.partition(".")
    answer = _parsed(shell, path)
    wanted = f"{path}: {key} {matcher.describe()}"
    if "error" in answer:
        return Verdict(False, wanted, f"xl cannot use it: {answer['error']}")
    setting = walk(answer, f"settings.{top}")
    if setting is MISSING and unset is not None and not rest:
        return Verdict(matcher.judge(unset), wanted, f"{key} left out: xl uses {unset}")
    first, _, tail = rest.partition(".")
    if "=" in first:  # the entry whose field has this value, wherever it is in the list
        field, _, value = first.partition("=")
        entries = walk(setting, "value")
        index = (
            next(
                (i for i, e in enumerate(entries) if isinstance(e, dict) and e.get(field) == value),
                None,
            )
            if isinstance(entries, list)
            else None
        )
        if index is None:
            return Verdict(False, wanted, f"no {top} entry with {field}={value} in {shown(entries)}")
        rest = f"{index}.{tail}" if tail else str(index)
    item = walk(setting, f"value.{rest.partition('.')[0]}") if rest else None
    if isinstance(item, dict) and "error" in item:
        return Verdict(False, wanted, f"{top}: {item['error']}")
    found = walk(setting, "value" + (f".{rest}" if rest else ""))
    numeric = matcher.kind == "between" or (matcher.kind == "equals" and str(matcher.operand).isdigit())
    if numeric and not rest and isinstance(setting, dict) and "number" in setting:
        found = setting["number"]
    return Verdict(matcher.judge(found), wanted, f"{key} = {shown(found)}")


# xen-create-image --debug lists its whole configuration (built-in defaults, then
# /etc/xen-tools/xen-tools.conf, then the --config file, then the command line) as "key : value", or
# "key" alone when the value is empty or 0, and exits 127 before it checks the system or creates anything.
_LISTED: dict[Key, dict[str, str] | str] = {}


@probe(
    "xen.tools_config",
    "a setting as xen-create-image reads it from its config files (its own --debug listing; nothing is created)",
    config=Arg(str, help="the file given to xen-create-image --config= (read after /etc/xen-tools/xen-tools.conf)"),
    key=Arg(str, help="setting name as in xen-tools.conf: size, memory, swap, fs, dist, lvm, dir, gateway ..."),
    **MATCHER,
)
def xen_tools_config(shell: Shell, config: str, key: str, **match: object) -> Verdict:
    """A setting that is empty or 0 is listed as '' (equals: ''); one the files never name is absent."""
    matcher = Match.of(match)
    wanted = f"xen-create-image --config={config}: {key} {matcher.describe()}"
    files = shell.run(f"cat /etc/xen-tools/xen-tools.conf {shlex.quote(config)}", merge=False)
    listing = remembered(_LISTED, (config, files.status, files.output), lambda: _listing(shell, config))
    if isinstance(listing, str):
        return Verdict(False, wanted, listing)
    found = listing.get(key, MISSING)
    return Verdict(matcher.judge(found), wanted, f"{key} = {'absent' if found is MISSING else repr(found)}")


def _listing(shell: Shell, config: str) -> dict[str, str] | str:
    """Every setting xen-create-image reads with ``--config=config``, or why there is no listing."""
    result = shell.run(
        f"xen-create-image --debug --config={shlex.quote(config)} --hostname=lpic3-check </dev/null", merge=False
    )
    listing = {}
    for line in result.output.splitlines():
        name, _, value = line.partition(" : ")
        if name and " " not in name:
            listing[name] = value
    if "config" not in listing:
        return f"no configuration listed by xen-create-image: {excerpt(result.output)}"
    return listing
