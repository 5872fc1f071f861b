"""A lab for a whole class, on real student machines (tests/student_machines.py: namespaces with
their own sshd): isolation between students, and a machine that is down, hung, shows another host
key or lacks the lab's requirements, each its own row while the others go on."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.student_machines import Classroom, lab_tree
from trainer.classroom.access import HOST_KEY, NO_ANSWER, UNREACHABLE, ClassAccess
from trainer.classroom.classlab import CHECK, CHECKED, SOLVE, SOLVED, START, STARTED, ClassLab, HostRow
from trainer.classroom.gradebook import Gradebook
from trainer.classroom.inventory import Student, read_inventory
from trainer.classroom.reports import find_exercise
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Exercise

FLAGS = "351.1-cpu-virt-flags"  # file-based, runs on any Linux: the class's main lab here
QCOW = "351.5-convert-raw-qcow2"  # needs qemu-img: a machine without it cannot run it
LABS = ("351.1/cpu-virt-flags.yaml", "351.5/convert-raw-qcow2.yaml")
pytestmark = pytest.mark.xdist_group("class-machines")  # one worker builds the class for every class test


def exercise(folder: Path, lab_id: str) -> Exercise:
    return find_exercise(load_curriculum(lab_tree(folder, *LABS)), lab_id)


@pytest.fixture(scope="module")
def started(student_machines: Classroom, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassLab]:
    """The whole class with lab FLAGS started, the same parameters for all (the answer is the same
    on every machine, so only the machines' own file systems keep the students apart)."""
    home = tmp_path_factory.mktemp("instructor")
    students = read_inventory(student_machines.inventory(home / "class.ini"))
    gradebook = Gradebook.open(home / "class.db")
    lab = ClassLab(exercise(home / "tree", FLAGS), students, gradebook, ClassAccess(home / "class"), timeout=60)
    rows = list(lab.run(START, same_params=True))
    assert [r.status for r in rows] == [STARTED] * len(students), [r.detail for r in rows if not r.ok]
    yield lab
    lab.close(disconnect=True)
    gradebook.close()


def by_name(rows: Iterator[HostRow] | list[HostRow]) -> dict[str, HostRow]:
    return {row.student.name: row for row in rows}


def test_a_lab_solved_on_student_7_passes_there_and_fails_on_every_other(started: ClassLab) -> None:
    assert len(started.students) >= 20
    assert [r.status for r in started.run(SOLVE, only=["student07"])] == [SOLVED]
    rows = by_name(started.run(CHECK))
    assert rows["student07"].passed and rows["student07"].passed_at is not None
    others = [row for name, row in rows.items() if name != "student07"]
    assert len(others) == len(started.students) - 1
    assert all(row.status == CHECKED and not row.passed for row in others)
    assert all(r.outcome == "fail" for row in others for r in row.results)
    record = started.gradebook.results("student07", FLAGS)
    assert {c.check_id for c in record.values()} == {c.id for c in started.exercise.checks}
    assert all(c.outcome == "pass" and c.first_pass_at is not None for c in record.values())
    assert all(c.first_pass_at is None for c in started.gradebook.results("student08", FLAGS).values())


def test_checks_reuse_the_open_connections(started: ClassLab) -> None:
    before = {name: lab.connection.session for name, lab in started.labs.items()}
    rows = list(started.run(CHECK))
    assert all(row.status == CHECKED for row in rows)
    assert all(lab.connection.session is before[name] for name, lab in started.labs.items())
    assert all(row.seconds < 10 for row in rows)


class HangingServer:
    """A TCP server that sends an SSH banner and then nothing: an sshd hung after the handshake."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            connection.sendall(b"SSH-2.0-OpenSSH_9.2p1 lpic3-hung\r\n")
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def test_broken_machines_are_each_one_clear_row_and_the_others_go_on(
    student_machines: Classroom, hanging_server: HangingServer, tmp_path: Path
) -> None:
    machines = {m.name: m for m in student_machines.machines}
    good = ["student01", "student02", "student03"]
    room = student_machines.inventory(tmp_path / "class.ini", [machines[n] for n in good])
    students = read_inventory(room)
    key = str(student_machines.client_key)
    down = Student("down", f"{student_machines.prefix}.250", 22, "root", key)
    hung = Student("hung", "127.0.0.1", hanging_server.port, "root", key)
    moved = Student("moved", machines["student04"].address, 22, "root", key)  # shows another key than recorded
    bare = Student("bare", machines["student06"].address, 22, "root", key)  # lacks qemu-img
    access = ClassAccess(tmp_path / "class")
    access.known_hosts.write_text(
        f"[127.0.0.1]:{hanging_server.port} {machines['student09'].host_key}\n"
        f"{moved.host} {machines['student05'].host_key}\n"
    )
    hidden = machines["student06"].run(
        "touch /tmp/none && chmod 0644 /tmp/none && mount --bind /tmp/none /usr/bin/qemu-img"
    )
    assert hidden.returncode == 0, hidden.stderr
    try:
        with Gradebook.open(tmp_path / "class.db") as gradebook:
            everyone = [*students, down, hung, moved, bare]
            lab = ClassLab(exercise(tmp_path / "tree", QCOW), everyone, gradebook, access, timeout=8)
            lab.labs["moved"].target.disconnect()  # a rebuilt machine: no connection from before survives
            try:
                rows = by_name(lab.run(START))
                assert [rows[n].status for n in good] == [STARTED] * 3, [rows[n].detail for n in good]
                assert rows["down"].status == UNREACHABLE and down.host in rows["down"].detail
                assert rows["hung"].status == NO_ANSWER and "8 s" in rows["hung"].detail
                assert rows["moved"].status == HOST_KEY and "ssh-keygen -R" in rows["moved"].detail
                assert rows["bare"].status == "cannot run" and "qemu-img" in rows["bare"].detail
                assert all("\n" not in row.detail for row in rows.values())
                assert all(rows[n].seconds < rows["hung"].seconds for n in good)
                # As if they had been started before they broke: the check itself meets the fault.
                params = gradebook.attempt("student01", QCOW).params  # type: ignore[union-attr]
                for broken in (down, hung, moved):
                    gradebook.record_start(broken.name, QCOW, broken.spec, params, 1)
                rows = by_name(lab.run(CHECK))
                assert [rows[n].status for n in good] == [CHECKED] * 3
                assert all(not rows[n].passed and rows[n].results for n in good)
                assert [rows[n].status for n in ("down", "hung", "moved")] == [UNREACHABLE, NO_ANSWER, HOST_KEY]
                assert rows["bare"].status == "not started"  # its start failed: nothing to check
                assert gradebook.host("moved", QCOW).status == HOST_KEY  # type: ignore[union-attr]
                assert gradebook.results("student01", QCOW) and not gradebook.results("moved", QCOW)
            finally:
                lab.close(disconnect=True)
    finally:
        machines["student06"].run("umount /usr/bin/qemu-img")


def test_first_contact_records_the_host_key_in_the_class_known_hosts(
    student_machines: Classroom, tmp_path: Path
) -> None:
    machine = student_machines.machines[10]
    access = ClassAccess(tmp_path / "class")
    student = Student(machine.name, machine.address, 22, "root", str(student_machines.client_key))
    access.first_contact(student, 10)
    access.first_contact(student, 10)  # known now: nothing added
    lines = access.known_hosts.read_text().splitlines()
    assert f"{machine.address} {machine.host_key}" in lines
    assert len([line for line in lines if line.startswith(machine.address + " ")]) == len(lines)
    assert len(set(lines)) == len(lines)
