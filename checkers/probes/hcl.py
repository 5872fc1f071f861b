"""Terraform: a setting of a configuration (``*.tf`` files in HCL), read with a real HCL2 parser.

Terraform itself cannot run here (no provider can be downloaded, nothing to provision), so a lab
judges the files a user writes. They are read on the target and parsed in lpic3's own process with
python-hcl2 (a dependency of lpic3, so the target needs nothing but ``cat``). Terraform reads every
``*.tf`` file of a folder as one configuration; so does this probe when given a folder. Block
labels and strings lose their quotes, a reference reads ``${libvirt_volume.root.id}`` whether it was
written bare or interpolated in a string (Terraform treats both the same), and numbers compare as
text, so ``2`` and ``"2"`` are equal (Terraform converts one into the other for a number argument).
A value that is only ``var.NAME`` or ``local.NAME`` is judged as what Terraform puts there when run
without ``-var``: the value from terraform.tfvars or ``*.auto.tfvars``, else the variable's default.
"""

from __future__ import annotations

import re
import shlex

from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import MISSING, excerpt, shown
from checkers.shell import Shell


def _find(value: object, parts: list[str]) -> object:
    """``value`` at the dotted path ``parts``. A list (HCL keeps every block and every repeated
    nested block in one) is entered by index, or, for a name, at the first item in which the rest of
    the path exists: ``resource.libvirt_domain.web`` finds that resource whatever block it is in."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        return _find(value[head], rest) if head in value else MISSING
    if isinstance(value, list):
        if head.isdigit():
            return _find(value[int(head)], rest) if int(head) < len(value) else MISSING
        for item in value:
            found = _find(item, parts)
            if found is not MISSING:
                return found
    return MISSING


_TFVARS = "(tfvars)"  # the values of terraform.tfvars and *.auto.tfvars, kept beside the blocks
_REFERENCE = re.compile(r"^\$\{(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\}$")


def _evaluated(configuration: dict[str, list[object]], value: object) -> object:
    """``value``, or, when it is only a reference to an input variable or a local value, what Terraform
    puts there without ``-var`` options: the variable's value from terraform.tfvars or *.auto.tfvars
    (the last file that sets it), else its default; the local's value. A longer expression stays as written."""
    for _ in range(8):  # a local may name a variable, and so on; a loop of references stops here
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if not match:
            return value
        kind, name = match.groups()
        if kind == "local":
            value = _find(configuration.get("locals", []), [name])
            continue
        given = [f[name] for f in configuration[_TFVARS] if isinstance(f, dict) and name in f]
        value = given[-1] if given else _find(configuration.get("variable", []), [name, "default"])
    return value


def _configuration(shell: Shell, path: str) -> dict[str, list[object]] | str:
    """The Terraform configuration at ``path`` (a file, or a folder whose ``*.tf`` files are read
    together), or what is wrong with it: the file and line the parser stopped at."""
    import hcl2  # python-hcl2: only this probe needs it, and only when it runs
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    quoted = shlex.quote(path)
    listing = shell.run(f"if test -d {quoted}; then printf '%s\\n' {quoted}/*.tf; else printf '%s\\n' {quoted}; fi")
    merged: dict[str, list[object]] = {_TFVARS: []}
    tfvars = shell.run(
        f"test -d {quoted} && for f in {quoted}/terraform.tfvars {quoted}/*.auto.tfvars; do "
        'if test -f "$f"; then printf \'%s\\n\' "$f"; fi; done'
    )
    for name in tfvars.output.splitlines():  # what Terraform loads by itself, in its order: later files win
        text = shell.run(f"cat {shlex.quote(name)}", merge=False)
        try:
            merged[_TFVARS].append(hcl2.loads(text.output, serialization_options=options))
        except Exception as exc:  # the same errors as a .tf file's
            return f"{name}: not valid HCL: {excerpt(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}"
    for name in listing.output.splitlines():
        text = shell.run(f"cat {shlex.quote(name)}", merge=False)
        if text.status != 0 and name == f"{path}/*.tf":
            return f"no *.tf file in {path}"
        if text.status != 0:
            return f"cannot read {name}: {(text.errors or text.output).strip() or 'no such file'}"
        try:
            parsed = hcl2.loads(text.output, serialization_options=options)
        except Exception as exc:  # lark's errors and hcl2's own: any of them means "not valid HCL"
            line = getattr(exc, "line", None)
            where = f":{line}" if isinstance(line, int) else ""
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"{name}{where}: not valid HCL: {excerpt(first)}"
        for key, blocks in parsed.items():
            merged.setdefault(key, []).extend(blocks if isinstance(blocks, list) else [blocks])
    return merged


@probe(
    "hcl.key",
    "a setting of a Terraform configuration (HCL), read with an HCL2 parser: a block's argument, a provider's",
    path=Arg(str, help="a .tf file, or a folder whose *.tf files make one configuration"),
    key=Arg(
        str,
        help="dotted path, block labels as names: 'provider.libvirt.uri', 'resource.libvirt_domain.web.memory', "
        "'resource.libvirt_domain.web.disk.0.volume_id', 'terraform.required_providers.libvirt.source'",
    ),
    **MATCHER,
)
def hcl_key(shell: Shell, path: str, key: str, **match: object) -> Verdict:
    """A reference is compared as ``${type.name.attribute}``, however it was written."""
    matcher = Match.of(match)
    wanted = f"{path}: {key} {matcher.describe()}"
    configuration = _configuration(shell, path)
    if isinstance(configuration, str):
        return Verdict(False, wanted, configuration)
    found = _evaluated(configuration, _find(configuration, key.split(".")))
    return Verdict(matcher.judge(found), wanted, f"{key} = {shown(found)}")
