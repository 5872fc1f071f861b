"""Kubernetes: objects in manifest files, judged as the API server would take them, with no cluster.

No Kubernetes server runs here (Debian 12 packages none), and ``kubectl`` may be missing too, so a
lab judges the files a learner writes. They are read on the target with ``cat`` and parsed in
lpic3's own process with PyYAML (YAML 1.1, as Kubernetes' own reader), so the target needs nothing
else. A folder is read as ``kubectl apply -f DIR`` reads it: every ``*.json``, ``*.yaml`` and
``*.yml`` file in it (not below it), each possibly holding several documents separated by ``---``,
and ``kind: List`` objects unpacked into their items. Spelling never matters (key order, quoting,
flow or block style, JSON); what the API server makes of a value does: a field typed as an integer
takes no string (``replicas: "3"`` is refused), a resource quantity is its amount (``128Mi`` is
``134217728``, not ``128M``), an image reference is what the container runtime pulls (``nginx:1.25``
is ``docker.io/library/nginx:1.25``; no tag means ``:latest``), and a selector selects what the
label selector rules say it selects.
"""

from __future__ import annotations

import re
import shlex
from fractions import Fraction
from functools import partial

import yaml

from checkers.probes.matchers import Match
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import MISSING, as_text, excerpt, shown, walk
from checkers.shell import Shell

Objects = dict[tuple[str, str], list[dict[str, object]]]  # (kind, name) -> every object so named


def _manifests(shell: Shell, path: str) -> Objects | str:
    """The objects of the manifest file at ``path``, or of the manifest files of the folder ``path``;
    or what is wrong: a file that does not parse, a document that is no Kubernetes object."""
    quoted = shlex.quote(path)
    listing = shell.run(
        f"if test -d {quoted}; then for f in {quoted}/*.json {quoted}/*.yaml {quoted}/*.yml; do "
        "if test -f \"$f\"; then printf '%s\\n' \"$f\"; fi; done; else printf '%s\\n' {quoted}; fi"
    )
    names = sorted(listing.output.splitlines())
    if not names:
        return f"no *.yaml, *.yml or *.json file in {path}"
    objects: Objects = {}
    for name in names:
        text = shell.run(f"cat {shlex.quote(name)}", merge=False)
        if text.status != 0:
            return f"cannot read {name}: {(text.errors or text.output).strip() or 'no such file'}"
        try:
            documents = list(yaml.load_all(text.output, Loader=_StrictLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            return f"{name}{where}: not valid YAML: {excerpt(str(getattr(exc, 'problem', None) or exc))}"
        for number, document in enumerate(documents, 1):
            if document is None:  # an empty document (a leading or trailing ---): kubectl skips it
                continue
            found = _objects(document)
            if isinstance(found, str):
                return f"{name}, document {number}: {found}"
            for obj in found:
                objects.setdefault((str(obj["kind"]), str(walk(obj, "metadata.name"))), []).append(obj)
    return objects


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping as kubectl does (its YAML
    reader stops with 'mapping key "replicas" already defined'); PyYAML alone keeps the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        keys = [self.construct_object(key, deep=True) for key, _ in node.value]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice in one mapping", node.value[index][0].start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _objects(document: object) -> list[dict[str, object]] | str:
    """The objects one document holds (a ``List``'s items), or why it is no Kubernetes object."""
    if not isinstance(document, dict):
        return f"not an object but {excerpt(as_text(document))}"
    for field in ("apiVersion", "kind"):
        if not isinstance(document.get(field), str) or not document[field]:
            return f"the object has no {field}"
    if document["kind"] == "List" or (document["kind"].endswith("List") and "items" in document):
        items = document.get("items") or []
        found: list[dict[str, object]] = []
        for item in items if isinstance(items, list) else [items]:
            inner = _objects(item)
            if isinstance(inner, str):
                return f"an item of the {document['kind']}: {inner}"
            found.extend(inner)
        return found
    if not isinstance(walk(document, "metadata.name"), str):
        return f"the {document['kind']} has no metadata.name"
    return [document]


def _one(objects: Objects, kind: str, name: str) -> dict[str, object] | str:
    """The one object ``kind``/``name``, or why there is not exactly one."""
    found = objects.get((kind, name), [])
    if len(found) == 1:
        return found[0]
    if found:
        return f"{kind} {name} is defined {len(found)} times"
    present = ", ".join(f"{k}/{n}" for k, n in sorted(objects)) or "none"
    return f"no {kind} named {name} (objects found: {present})"


# A resource quantity: a decimal number, then a binary (Ki..Ei) or decimal (n..E) suffix or an exponent.
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)
_FACTORS: dict[str, int | Fraction] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Fraction(1, 10**9),
}
_FACTORS |= {"u": Fraction(1, 10**6), "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_FACTORS |= {"P": 10**15, "E": 10**18}


def quantity(value: object) -> Fraction | None:
    """The amount a Kubernetes resource quantity stands for (``128Mi`` -> 134217728), or None when
    the API server would refuse it. A YAML number is a quantity too."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, float):
        return Fraction(repr(value))
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    number, suffix = match.groups()
    if suffix and suffix[0] in "eE" and len(suffix) > 1:  # an exponent (E alone is exa)
        return Fraction(number) * Fraction(10) ** int(suffix[1:])
    return Fraction(number) * Fraction(_FACTORS.get(suffix or "", 1))


def image(reference: str) -> str:
    """An image reference as the container runtime pulls it: the registry and ``library/`` Docker Hub
    implies written out, ``:latest`` when neither a tag nor a digest is given."""
    first, slash, rest = reference.partition("/")
    if not slash or ("." not in first and ":" not in first and first != "localhost"):
        first, rest = "docker.io", reference
    if first in ("docker.io", "index.docker.io"):
        first = "docker.io"
        rest = rest if "/" in rest else f"library/{rest}"
    if "@" not in rest and ":" not in rest.rpartition("/")[2]:
        rest += ":latest"
    return f"{first}/{rest}"


def _typed(value: object, kind: str) -> tuple[str, str]:
    """``value`` as the API server takes a field of type ``kind``: its normal form, or ('', why not)."""
    if value is MISSING:
        return "", "absent"
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (str(value), "") if ok else ("", f"{as_text(value)!r}: not an integer (the API server refuses it)")
    if kind == "quantity":
        amount = quantity(value)
        return (str(amount), "") if amount is not None else ("", f"{as_text(value)!r}: not a quantity")
    if not isinstance(value, str):
        return "", f"{as_text(value)}: not a string (the API server refuses it)"
    return (image(value), "") if kind == "image" else (value, "")


_PATH = Arg(str, help="a manifest file, or a folder whose *.json, *.yaml and *.yml files kubectl apply -f would read")
_WORKLOAD = Arg(str, help="Kind/name of the object whose pod template makes the pods: Deployment/web")


@probe(
    "kube.field",
    "a field of a Kubernetes object in manifest files, typed as the API server takes it (no cluster)",
    path=_PATH,
    kind=Arg(str, help="the object's kind: Deployment, Service, Pod ..."),
    name=Arg(str, help="the object's metadata.name"),
    key=Arg(
        str,
        help="dotted path: apiVersion, spec.replicas, spec.template.spec.containers.0.image, a key with dots "
        "as it is (metadata.labels.app.kubernetes.io/name); a list item by a "
        "field's value: spec.template.spec.containers.name=web.resources.limits.memory",
    ),
    type=Arg(
        str,
        required=False,
        pattern="string|integer|quantity|image",
        help="string (default: a YAML string, as written); integer (a YAML integer, never a string); quantity "
        "(compared by amount: 128Mi = 134217728); image (docker.io/library/ and :latest filled in)",
    ),
    **MATCHER,
)
def kube_field(
    shell: Shell, path: str, kind: str, name: str, key: str, type: str = "string", **match: object
) -> Verdict:
    """The matcher judges the value in its type's normal form (134217728 for 128Mi); ``equals`` is
    put in that form too, so any spelling the API server reads as the same value matches."""
    matcher = Match.of(match)
    asked = matcher.describe()
    if matcher.kind == "equals" and _wanted(str(matcher.operand), type) != matcher.operand:
        asked += f" = {_wanted(str(matcher.operand), type)}"
    wanted = f"{path}: {kind} {name}: {key} {asked}" + (f" ({type})" if type != "string" else "")
    objects = _manifests(shell, path)
    obj = _one(objects, kind, name) if not isinstance(objects, str) else objects
    if isinstance(obj, str):
        return Verdict(False, wanted, obj)
    value = walk(obj, key)
    if value is MISSING:
        return Verdict(matcher.judge(MISSING), wanted, f"{key} = absent")
    seen, refused = _typed(value, type)
    if refused:
        return Verdict(False, wanted, f"{key} = {refused}")
    written = "" if as_text(value) == seen else f"{as_text(value)} = "
    return Verdict(matcher.judge(seen, partial(_same, type)), wanted, f"{key} = {written}{seen}")


def _same(type: str, seen: str, equals: str) -> bool:
    return seen == _wanted(equals, type)


def _wanted(equals: str, type: str) -> str:
    """What a check asks for in the normal form of the field's type (quantity, image)."""
    return str(quantity(equals)) if type == "quantity" else image(equals) if type == "image" else equals


def _selector(obj: dict[str, object]) -> tuple[dict[str, str], list[dict[str, object]]] | str:
    """A selector's label pairs and expressions: a Service's ``spec.selector`` is a plain map, any
    other kind's a LabelSelector (``matchLabels``, ``matchExpressions``); or why it is unusable."""
    spec = walk(obj, "spec.selector")
    service = obj["kind"] == "Service"
    pairs = spec if service else walk(spec, "matchLabels")
    expressions = [] if service else walk(spec, "matchExpressions")
    pairs = {} if pairs is MISSING or pairs is None else pairs
    expressions = [] if expressions is MISSING or expressions is None else expressions
    if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
        return f"selector {as_text(pairs)}: label values must be strings"
    if not isinstance(expressions, list) or not all(isinstance(e, dict) for e in expressions):
        return f"matchExpressions {as_text(expressions)} is not a list of expressions"
    if not pairs and not expressions:
        return "no selector (it selects no pod)"
    return {str(k): v for k, v in pairs.items()}, expressions


def _unmatched(pairs: dict[str, str], expressions: list[dict[str, object]], labels: dict[object, object]) -> list[str]:
    """The parts of a selector the ``labels`` do not satisfy (none: the selector selects them)."""
    missed = [f"{k}={v}" for k, v in pairs.items() if labels.get(k) != v]
    for expression in expressions:
        label, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
        values = values if isinstance(values, list) else []
        has = label in labels
        ok = {
            "In": has and labels.get(label) in values,
            "NotIn": not has or labels.get(label) not in values,
            "Exists": has,
            "DoesNotExist": not has,
        }.get(str(operator), False)
        if not ok:
            missed.append(f"{label} {operator} {as_text(values)}")
    return missed


def _pair(shell: Shell, path: str, first: str, second: str) -> tuple[dict[str, object], dict[str, object]] | str:
    """The objects ``first`` and ``second`` (each ``Kind/name``) of the manifests at ``path``, or why not."""
    objects = _manifests(shell, path)
    if isinstance(objects, str):
        return objects
    one = _one(objects, *first.partition("/")[::2])
    other = _one(objects, *second.partition("/")[::2])
    return one if isinstance(one, str) else other if isinstance(other, str) else (one, other)


def _namespace(obj: dict[str, object]) -> str:
    """The object's namespace; none written is taken as ``default`` (kubectl's context may say otherwise)."""
    namespace = walk(obj, "metadata.namespace")
    return namespace if isinstance(namespace, str) and namespace else "default"


@probe(
    "kube.selects",
    "whether a Kubernetes object's selector selects the pods a workload's pod template makes (no cluster)",
    path=_PATH,
    kind=Arg(str, help="the selecting object's kind: Service (spec.selector), Deployment (spec.selector.matchLabels)"),
    name=Arg(str, help="the selecting object's metadata.name"),
    workload=_WORKLOAD,
)
def kube_selects(shell: Shell, path: str, kind: str, name: str, workload: str) -> Verdict:
    wanted = f"{kind} {name} selects the pods of {workload}"
    pair = _pair(shell, path, f"{kind}/{name}", workload)
    if isinstance(pair, str):
        return Verdict(False, wanted, pair)
    selecting, pods = pair
    selector = _selector(selecting)
    labels = walk(pods, "spec.template.metadata.labels")
    if isinstance(selector, str):
        return Verdict(False, wanted, f"{kind} {name}: {selector}")
    if not isinstance(labels, dict) or not labels:
        return Verdict(False, wanted, f"{workload}: its pod template has no labels")
    if _namespace(selecting) != _namespace(pods):
        where = f"namespace {_namespace(selecting)}, the pods in {_namespace(pods)}"
        return Verdict(False, wanted, f"{kind} {name} is in {where}")
    pairs, expressions = selector
    missed = _unmatched(pairs, expressions, labels)
    seen = f"selector {as_text(pairs)}" + (f" {as_text(expressions)}" if expressions else "")
    seen += f", pod labels {as_text(labels)}: " + (f"not matched: {', '.join(missed)}" if missed else "selected")
    return Verdict(not missed, wanted, seen)


@probe(
    "kube.target_port",
    "the pod port a Service's port sends traffic to: its targetPort, a number or a container port's name",
    path=_PATH,
    service=Arg(str, help="the Service's metadata.name"),
    port=Arg(str, help="the Service's port (the port field of one of its ports)"),
    workload=_WORKLOAD,
    equals=Arg(str, help="the pod's port number the traffic must reach"),
)
def kube_target_port(shell: Shell, path: str, service: str, port: str, workload: str, equals: str) -> Verdict:
    wanted = f"Service {service} port {port} reaches port {equals} of the pods of {workload}"
    pair = _pair(shell, path, f"Service/{service}", workload)
    if isinstance(pair, str):
        return Verdict(False, wanted, pair)
    svc, pods = pair
    ports = walk(svc, "spec.ports")
    ports = [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []
    entry = next((p for p in ports if _typed(p.get("port", MISSING), "integer")[0] == port), None)
    if entry is None:
        listed = as_text([p.get("port") for p in ports])
        return Verdict(False, wanted, f"Service {service} has no port {port} (an integer); its ports: {listed}")
    target = entry.get("targetPort", entry["port"])
    if isinstance(target, int) and not isinstance(target, bool):
        how = "" if "targetPort" in entry else " (no targetPort: the port's own number)"
        return Verdict(str(target) == equals, wanted, f"port {port} -> targetPort {target}{how}")
    containers = walk(pods, "spec.template.spec.containers")
    named = [
        p.get("containerPort")
        for c in (containers if isinstance(containers, list) else [])
        if isinstance(c, dict) and isinstance(c.get("ports"), list)
        for p in c["ports"]
        if isinstance(p, dict) and isinstance(target, str) and p.get("name") == target
    ]
    if not named:
        return Verdict(False, wanted, f"port {port} -> targetPort {as_text(target)!r}: no container port has that name")
    reached = _typed(named[0], "integer")[0]
    return Verdict(reached == equals, wanted, f"port {port} -> targetPort {target} -> containerPort {shown(named[0])}")
