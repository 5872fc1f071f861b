"""Matchers: a probe observes a value, the check's matcher judges it (checkers.probes.matchers).

The matcher rules on values as the tools print them, then on real state: a qcow2 overlay and a
standalone image made by qemu-img, a JSON and a YAML file, read through the probes a lab uses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from checkers.probes import FAIL, NOT_JUDGED, PASS, argument_problems, run_probe
from checkers.probes.matchers import MATCH_KINDS, Match
from checkers.probes.sizes import in_unit, libvirt_bytes
from checkers.probes.values import MISSING, walk
from checkers.session import ShellSession
from trainer.labs.render import render_args

MOUNTS = [{"Type": "bind", "Source": "/srv/a", "Destination": "/vagrant", "RW": True}]


@pytest.mark.parametrize(
    ("kind", "operand", "found", "passed"),
    [
        ("equals", "8080", 8080, True),
        ("equals", "true", True, True),
        ("equals", "/srv/a", "/srv/a/", False),
        ("matches", "/srv/a/?", "/srv/a/", True),
        ("matches", "/srv/a/?", "/srv/ab", False),  # in full, not a search
        ("matches", "65534(:\\d+)?", "65534:65534", True),
        ("contains", "APP_ROLE=web", ["PATH=/usr/bin", "APP_ROLE=web"], True),
        ("contains", "APP_ROLE=web", ["APP_ROLE=web2"], False),  # a list item in full
        ("contains", "8080/tcp", {"8080/tcp": {}}, True),  # a map's key
        ("contains", "8080/tcp", {"80/tcp": {}}, False),
        ("contains", "bridge", "lpic3-bridge-net", True),  # a text's part
        ("contains", {"Source": "/srv/a", "Destination": "/vagrant"}, MOUNTS, True),
        ("contains", {"Source": "/srv/a", "Destination": "/srv"}, MOUNTS, False),
        ("contains", {"RW": True}, MOUNTS, True),
        ("absent", True, MISSING, True),
        ("absent", True, "", False),  # an empty value is there
        ("absent", False, "x", True),
        ("equals", "", MISSING, False),  # a key not there is no value, not an empty one
        ("contains", "x", MISSING, False),
        ("has_keys", ["8080/tcp", "443/tcp"], {"8080/tcp": {}, "443/tcp": {}, "22/tcp": {}}, True),
        ("has_keys", ["8080/tcp", "443/tcp"], {"8080/tcp": {}}, False),
        ("has_keys", ["a"], ["a"], False),  # a list is no map
        ("between", [256, 1024], 512, True),
        ("between", [256, 1024], "1024", True),  # both ends included; text as a tool prints it
        ("between", [256, 1024], 1025, False),
        ("between", [0, 1], True, False),  # a boolean is no number
        ("between", [0, 1], "0x1", False),
        ("between", [0, 1], MISSING, False),
        ("all", [{"matches": "web-.*"}, {"not": {"equals": "web-old"}}], "web-new", True),
        ("all", [{"matches": "web-.*"}, {"not": {"equals": "web-old"}}], "web-old", False),
        ("any", [{"equals": "on-failure"}, {"equals": "always"}], "always", True),
        ("any", [{"equals": "on-failure"}, {"equals": "always"}], "no", False),
        ("not", {"equals": "none"}, MISSING, True),  # not: also true of a key not there
        ("all", [{"absent": False}, {"not": {"equals": "none"}}], MISSING, False),  # ... unless asked for
        ("not", {"contains": {"Source": "/srv/a"}}, MOUNTS, False),
    ],
)
def test_a_matcher_judges_the_value_a_probe_saw(kind: str, operand: object, found: object, passed: bool) -> None:
    assert Match(kind, operand).judge(found) is passed


def test_a_check_names_exactly_one_matcher_and_a_map_of_text() -> None:
    assert argument_problems("image.info", {"path": "/x", "key": "format", "equals": "qcow2"}) == []
    both = argument_problems("image.info", {"path": "/x", "key": "format", "equals": "qcow2", "matches": "q.*"})
    kinds = ", ".join(MATCH_KINDS)
    assert both == [f"probe image.info needs exactly one of {kinds} (found equals, matches)"]
    none = argument_problems("image.info", {"path": "/x", "key": "format"})
    assert none == [f"probe image.info needs exactly one of {kinds} (found none)"]
    nested = argument_problems("container.inspect", {"name": "c", "key": "Mounts", "contains": {"Source": ["/a"]}})
    assert nested == ["probe container.inspect contains: a map's keys and values must be text"]
    assert argument_problems("file.key", {"path": "/x", "key": "k", "equals": "absent"}) == [
        "probe file.key equals: absent compares with the text 'absent'; a key that is not there is absent: true"
    ]
    assert argument_problems("file.key", {"path": "/x", "key": "k", "matches": "("})[0].startswith(
        "probe file.key argument 'matches' is not a valid regular expression"
    )


def test_each_field_of_a_libvirt_element_is_checked_where_the_lab_is_read() -> None:
    disk: dict[str, object] = {"name": "d", "path": "devices/disk", "contains": {"target@dev": "vdb"}}
    assert argument_problems("libvirt.xml", disk | {"fields": ["target@dev", "@type", "source"]}) == []
    (bad,) = argument_problems("libvirt.xml", disk | {"fields": ["target@dev", "target[@dev]"]})
    assert bad.startswith("probe libvirt.xml argument 'fields': 'target[@dev]' is not a field of each element found")
    (both,) = argument_problems("libvirt.xml", disk | {"fields": ["@type"], "attribute": "type"})
    assert both == "probe libvirt.xml takes 'attribute' or 'fields', not both"
    (sized,) = argument_problems("libvirt.xml", disk | {"fields": ["@type"], "unit": "MiB"})
    assert sized == "probe libvirt.xml takes 'unit' or 'fields', not both"
    assert argument_problems("libvirt.xml", disk | {"fields": "target@dev"}) == [
        "probe libvirt.xml argument 'fields' must be a list"
    ]


def test_a_volume_named_without_its_pool_is_not_judged(local_shell: ShellSession) -> None:
    """The lab's mistake, not the learner's: no verdict, and no crash."""
    volume = {"name": "pool-only", "kind": "vol", "path": "capacity", "equals": "1"}
    unnamed = run_probe(local_shell, "libvirt.xml", volume)
    assert unnamed.outcome == NOT_JUDGED and "it takes pool/volume" in unnamed.seen, unnamed


@pytest.mark.parametrize(
    ("matcher", "problem"),
    [
        ({"between": [10, 1]}, "between: 10 is more than 1"),
        ({"between": [1, "x"]}, "between: [LOW, HIGH], two numbers"),
        ({"between": [1]}, "between: [LOW, HIGH], two numbers"),
        ({"has_keys": []}, "has_keys: a list of one or more keys, as text"),
        ({"all": []}, "all: a list of one or more matchers, each a map such as {equals: x}"),
        ({"any": ["x"]}, "any: a list of one or more matchers, each a map such as {equals: x}"),
        ({"all": [{"equals": "a", "matches": "b"}]}, "needs exactly one of"),
        ({"not": {"equal": "a"}}, "equal is not a matcher (matchers: equals, matches"),
        ({"not": {"equals": 3}}, "equals takes text"),
        ({"any": [{"matches": "("}]}, "matches: not a valid regular expression"),
        ({"not": {"not": {"equals": "absent"}}}, "equals: absent compares with the text 'absent'"),
        ({"not": {"not": {"contains": {"a": "b"}}}}, None),
        ({"all": [{"contains": {"Source": ["/a"]}}]}, "contains: a map's keys and values must be text"),
    ],
)
def test_a_matcher_in_a_bad_shape_is_one_problem(matcher: dict[str, object], problem: str | None) -> None:
    found = argument_problems("command.json", {"command": "true", "key": "a", **matcher})
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(f"probe command.json {problem}"), found


def test_a_combined_matcher_says_what_it_asks_for() -> None:
    either = Match("any", [{"equals": "always"}, {"matches": "on-failure(:\\d+)?"}])
    assert either.describe() == "(= always or matching /on-failure(:\\d+)?/)"
    assert Match("not", {"between": [1, 4]}).describe() == "not between 1 and 4"
    assert Match("has_keys", ["a", "b"]).describe() == "with keys a, b"


def test_a_labs_values_in_a_matcher_are_taken_as_they_are() -> None:
    """In ``matches`` a value matches itself (escaped); in a ``contains`` map it is put in as it is."""
    values = {"workdir": "/var/lib/lpic3/labs/x-1.2", "name": "a+b"}
    args: dict[str, object] = {
        "name": "c",
        "key": "Mounts",
        "contains": {"Source": "{{workdir}}", "Destination": "/vagrant"},
    }
    assert render_args("container.inspect", args, values)["contains"] == {
        "Source": "/var/lib/lpic3/labs/x-1.2",
        "Destination": "/vagrant",
    }
    regex = render_args("container.inspect", {"name": "c", "key": "k", "matches": "/srv/{{name}}/?"}, values)
    assert Match("matches", regex["matches"]).judge("/srv/a+b/") and not Match("matches", regex["matches"]).judge(
        "/srv/aab/"
    )
    nested = render_args(
        "container.inspect",
        {"name": "c", "key": "k", "all": [{"not": {"matches": "/srv/{{name}}"}}, {"has_keys": ["{{name}}"]}]},
        values,
    )
    assert nested["all"] == [{"not": {"matches": "/srv/a\\+b"}}, {"has_keys": ["a+b"]}]


def test_image_info_matchers_on_real_images(local_shell: ShellSession, tmp_path: Path) -> None:
    base, overlay = tmp_path / "base.qcow2", tmp_path / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "16M"], check=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(overlay)], check=True
    )
    in_mib = run_probe(
        local_shell, "image.info", {"path": str(base), "key": "virtual-size", "unit": "MiB", "equals": "16"}
    )
    assert (in_mib.outcome, in_mib.seen) == (PASS, f"{base}: virtual-size in MiB = 16")
    in_gib = {"path": str(base), "key": "virtual-size", "unit": "GiB", "equals": "0.015625"}
    assert run_probe(local_shell, "image.info", in_gib).outcome == PASS
    assert run_probe(local_shell, "image.info", in_gib | {"equals": "16"}).outcome == FAIL
    standalone = run_probe(local_shell, "image.info", {"path": str(base), "key": "backing-filename", "absent": True})
    assert (standalone.outcome, standalone.expected) == (PASS, f"{base}: backing-filename absent")
    layered = run_probe(local_shell, "image.info", {"path": str(overlay), "key": "backing-filename", "absent": True})
    assert (layered.outcome, layered.seen) == (FAIL, f"{overlay}: backing-filename = {base}")
    fmt = run_probe(local_shell, "image.info", {"path": str(overlay), "key": "format", "matches": "qcow2?"})
    assert fmt.outcome == PASS and fmt.expected.endswith("format matching /qcow2?/")
    mib = 1024 * 1024
    sized = {"path": str(overlay), "key": "virtual-size", "between": [16 * mib, 32 * mib]}
    assert run_probe(local_shell, "image.info", sized).outcome == PASS
    subprocess.run(["qemu-img", "resize", "-q", str(overlay), "64M"], check=True)
    grown = run_probe(local_shell, "image.info", sized)
    assert (grown.outcome, grown.seen) == (FAIL, f"{overlay}: virtual-size = {64 * mib}")
    assert grown.expected == f"{overlay}: virtual-size between {16 * mib} and {32 * mib}"


def test_file_and_command_matchers_on_real_files(local_shell: ShellSession, tmp_path: Path) -> None:
    daemon = tmp_path / "daemon.json"
    daemon.write_text(json.dumps({"log-opts": {"max-size": "10m"}, "insecure-registries": ["r.lan:5000"]}))
    listed = run_probe(
        local_shell, "file.key", {"path": str(daemon), "key": "insecure-registries", "contains": "r.lan:5000"}
    )
    assert listed.outcome == PASS, listed
    other = run_probe(local_shell, "file.key", {"path": str(daemon), "key": "insecure-registries", "contains": "r.lan"})
    assert (other.outcome, other.seen) == (FAIL, 'insecure-registries = ["r.lan:5000"]')
    printed = run_probe(
        local_shell, "command.json", {"command": f"cat {daemon}", "key": "log-opts.max-file", "absent": True}
    )
    assert printed.outcome == PASS, printed
    size = run_probe(
        local_shell, "command.json", {"command": f"cat {daemon}", "key": "log-opts", "contains": "max-size"}
    )
    assert size.outcome == PASS, size


def test_lxc_container_config_values_through_matchers(local_shell: ShellSession, tmp_path: Path) -> None:
    """A container as LXC reads it (``lxc-info -P`` on a folder of this test's own): its config keys
    judged by matchers, an unset key absent, the matcher refused without a key."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "config").write_text(f"lxc.uts.name = web\nlxc.rootfs.path = dir:{tmp_path}/web/rootfs\n")
    base = {"name": "web", "path": str(tmp_path), "state": "STOPPED"}
    rootfs = {**base, "key": "lxc.rootfs.path", "matches": f"(dir:)?{tmp_path}/web/rootfs/?"}
    assert run_probe(local_shell, "lxc.container", rootfs).outcome == PASS
    elsewhere = run_probe(local_shell, "lxc.container", {**rootfs, "matches": "(dir:)?/var/lib/lxc/web/rootfs/?"})
    assert elsewhere.outcome == FAIL and elsewhere.seen.endswith(f"lxc.rootfs.path = {tmp_path}/web/rootfs")
    unset = run_probe(local_shell, "lxc.container", {**base, "key": "lxc.mount.entry", "absent": True})
    assert unset.outcome == PASS and unset.seen == "container web STOPPED, lxc.mount.entry = absent"
    running = run_probe(local_shell, "lxc.container", {**base, "state": "RUNNING"})
    assert running.outcome == FAIL and running.seen == "container web STOPPED"
    assert run_probe(local_shell, "lxc.container", {**base, "name": "gone"}).outcome == FAIL
    assert argument_problems("lxc.container", {"name": "web", "equals": "1"}) == [
        "probe lxc.container takes equals only with a key to judge"
    ]
    assert argument_problems("lxc.container", {"name": "web", "key": "lxc.start.auto"})[0].startswith(
        "probe lxc.container needs exactly one of"
    )
    assert argument_problems("lxc.container", {"name": "web", "state": "RUNNING"}) == []


@pytest.mark.parametrize(
    ("amount", "unit", "count"),
    [
        ("1048576", "KiB", 1024**3),
        ("1048576", "k", 1024**3),
        ("64", "MiB", 64 * 1024**2),
        ("64", "m", 64 * 1024**2),
        ("64", "MB", 64 * 1000**2),
        ("2", "GiB", 2 * 1024**3),
        ("2", "G", 2 * 1024**3),
        ("2", "gb", 2 * 1000**3),
        ("5368709120", "bytes", 5 * 1024**3),
        ("7", "b", 7),
        ("1.5", "GiB", None),  # libvirt writes whole numbers only
        ("64", "XiB", None),
        ("64", "", None),
    ],
)
def test_a_size_libvirt_wrote_in_bytes(amount: str, unit: str, count: int | None) -> None:
    assert libvirt_bytes(amount, unit) == count


def test_a_size_in_the_unit_a_task_names_has_no_needless_digits() -> None:
    assert [in_unit(64 * 1024**2, "MiB"), in_unit(1536 * 1024**2, "GiB"), in_unit(65536 * 1024, "GiB")] == [
        "64",
        "1.5",
        "0.0625",
    ]


def test_a_dotted_path_reaches_keys_and_list_items_that_hold_dots_themselves() -> None:
    doc = {
        "labels": {"app": "short", "app.kubernetes.io/name": "web"},
        "containers": [{"name": "my.app", "image": "nginx"}, {"name": "side", "image": "busybox"}],
        "a": {"b": None},
    }
    assert walk(doc, "labels.app.kubernetes.io/name") == "web"
    assert walk(doc, "labels.app") == "short"  # a key without dots first
    assert walk(doc, "containers.name=my.app.image") == "nginx"
    assert walk(doc, "containers.-1.image") == "busybox"
    assert walk(doc, "a.b") is None  # JSON null is a value, not "missing"
    for missing in ("labels.app.kubernetes", "containers.2", "containers.name=other.image", "a.b.c", "labels.x"):
        assert walk(doc, missing) is MISSING, missing
