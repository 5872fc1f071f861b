"""The class inventory: ansible-core reads INI and YAML inventories, lpic3 takes its hosts and SSH vars."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_lpic3
from trainer.classroom.inventory import Student, read_inventory
from trainer.errors import UsageError

INI = """
[students]
student[01:03] ansible_host=10.9.0.[1:3]
student[04:05] ansible_host=10.9.0.4 ansible_port=2204

[students:vars]
ansible_user=root
ansible_ssh_private_key_file=/keys/class

[teacher]
desk ansible_host=10.9.0.100 ansible_port=2222 ansible_user=anna

[room:children]
students
teacher

[spare]
"""

YAML = """
all:
  children:
    room:
      children:
        students:
          hosts:
            student[01:03]:
              ansible_port: 2201
          vars:
            ansible_user: student
        teacher:
          hosts:
            desk:
              ansible_host: 10.9.0.100
              ansible_ssh_private_key_file: ~/.ssh/desk
    spare:
      hosts: {}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_ini_groups_ranges_children_and_host_vars(tmp_path: Path) -> None:
    path = write(tmp_path, "class.ini", INI.replace("ansible_host=10.9.0.[1:3]", ""))
    students = read_inventory(path)
    assert [s.name for s in students] == ["student01", "student02", "student03", "student04", "student05", "desk"]
    assert students[0] == Student("student01", "student01", 22, "root", "/keys/class", ("room", "students"))
    assert students[3].host == "10.9.0.4" and students[3].port == 2204
    assert students[3].spec == "ssh://root@10.9.0.4:2204"
    assert students[-1] == Student("desk", "10.9.0.100", 2222, "anna", None, ("room", "teacher"))
    assert [s.name for s in read_inventory(path, "teacher")] == ["desk"]
    assert [s.name for s in read_inventory(path, "students[1:2]")] == ["student02", "student03"]
    assert [s.name for s in read_inventory(path, "room:!students")] == ["desk"]
    assert [s.name for s in read_inventory(path, "student05")] == ["student05"]


def test_yaml_groups_children_ranges_and_vars(tmp_path: Path) -> None:
    path = write(tmp_path, "class.yml", YAML)
    students = read_inventory(path, "room")
    assert [(s.name, s.port, s.user) for s in students] == [
        ("student01", 2201, "student"),
        ("student02", 2201, "student"),
        ("student03", 2201, "student"),
        ("desk", 22, None),
    ]
    assert students[-1].key_file == str(Path("~/.ssh/desk").expanduser())
    assert students[0].groups == ("room", "students")


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("bad.yml", "all:\n  hosts:\n    a: {x: 1\n", r"bad\.yml:\d+: not a valid yaml inventory"),
        ("bad.ini", "[students]\na ansible_port\n", r"bad\.ini(:2)?: not a valid ini inventory"),
        ("bad.ini", "[students:vars\nx=1\n", r"bad\.ini.*: not a valid ini inventory"),
    ],
)
def test_a_malformed_inventory_is_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str, complaint: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(UsageError, match=complaint) as raised:
        read_inventory(path)
    assert "\n" not in raised.value.message and str(path) in raised.value.message


def test_an_empty_group_or_unknown_pattern_matches_nobody(tmp_path: Path) -> None:
    path = write(tmp_path, "class.ini", INI)
    with pytest.raises(UsageError, match=r"--limit 'spare' matches no host of inventory .*class\.ini"):
        read_inventory(path, "spare")
    with pytest.raises(UsageError, match="--limit 'nobody' matches no host"):
        read_inventory(path, "nobody")
    empty = write(tmp_path, "empty.ini", "[spare]\n")
    with pytest.raises(UsageError, match="holds no hosts"):
        read_inventory(empty)
    with pytest.raises(UsageError, match="no such file"):
        read_inventory(tmp_path / "missing.ini")


def test_a_bad_port_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "class.ini", "[s]\na ansible_port=99999\n")
    with pytest.raises(UsageError, match="host a: ansible_port must be a number"):
        read_inventory(path)


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yml", "all:\n  hosts:\n    a: {x: 1\n")
    done = run_lpic3("class", "lab", "check", "351.1-cpu-virt-flags", "-i", str(path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "bad.yml" in done.stderr and "Traceback" not in done.stderr
