"""Matchers: a probe observes a value, the check's matcher judges it (checkers.probes.matchers).

The matcher rules on values as the tools print them, then on real state: a qcow2 overlay and a
standalone image made by qemu-img, a JSON and a YAML file, read through the probes a lab uses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from checkers.probes import FAIL, PASS, argument_problems, run_probe
from checkers.probes.matchers import Match
from checkers.probes.values import MISSING
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
    ],
)
def test_a_matcher_judges_the_value_a_probe_saw(kind: str, operand: object, found: object, passed: bool) -> None:
    assert Match(kind, operand).judge(found) is passed


def test_a_check_names_exactly_one_matcher_and_a_map_of_text() -> None:
    assert argument_problems("image.info", {"path": "/x", "key": "format", "equals": "qcow2"}) == []
    both = argument_problems("image.info", {"path": "/x", "key": "format", "equals": "qcow2", "matches": "q.*"})
    assert both == ["probe image.info needs exactly one of equals, matches, contains, absent (found equals, matches)"]
    none = argument_problems("image.info", {"path": "/x", "key": "format"})
    assert none == ["probe image.info needs exactly one of equals, matches, contains, absent (found none)"]
    nested = argument_problems("container.inspect", {"name": "c", "key": "Mounts", "contains": {"Source": ["/a"]}})
    assert nested == ["probe container.inspect contains: a map's keys and values must be text"]
    assert argument_problems("file.key", {"path": "/x", "key": "k", "equals": "absent"}) == [
        "probe file.key equals: absent compares with the text 'absent'; a key that is not there is absent: true"
    ]
    assert argument_problems("file.key", {"path": "/x", "key": "k", "matches": "("})[0].startswith(
        "probe file.key argument 'matches' is not a valid regular expression"
    )


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


def test_image_info_matchers_on_real_images(local_shell: ShellSession, tmp_path: Path) -> None:
    base, overlay = tmp_path / "base.qcow2", tmp_path / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "16M"], check=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(overlay)], check=True
    )
    standalone = run_probe(local_shell, "image.info", {"path": str(base), "key": "backing-filename", "absent": True})
    assert (standalone.outcome, standalone.expected) == (PASS, f"{base}: backing-filename absent")
    layered = run_probe(local_shell, "image.info", {"path": str(overlay), "key": "backing-filename", "absent": True})
    assert (layered.outcome, layered.seen) == (FAIL, f"{overlay}: backing-filename = {base}")
    fmt = run_probe(local_shell, "image.info", {"path": str(overlay), "key": "format", "matches": "qcow2?"})
    assert fmt.outcome == PASS and fmt.expected.endswith("format matching /qcow2?/")


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
