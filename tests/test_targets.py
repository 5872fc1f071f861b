"""Targets: parsing, and real sessions on each kind: local, a namespace sandbox, and SSH to an sshd
the test starts on the loopback address with its own keys (stopped by PID afterwards)."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkers.probes import run_probe
from checkers.session import SessionError
from checkers.targets import TargetError, parse_target


def test_parse_targets() -> None:
    assert parse_target("local").kind == "local" and not parse_target("local").sandbox
    ssh = parse_target("ssh://alice@lab1.example.org:2222")
    assert ssh.kind == "ssh" and "-p" in ssh.argv and "2222" in ssh.argv and "alice@lab1.example.org" in ssh.argv
    assert "StrictHostKeyChecking=yes" in ssh.argv and "BatchMode=yes" in ssh.argv
    assert parse_target("ssh://host").argv[parse_target("ssh://host").argv.index("-p") + 1] == "22"
    for bad in ("sandboxx", "ssh://", "ssh://host:99999", "http://host"):
        with pytest.raises(TargetError, match=r"target|port"):
            parse_target(bad)


@pytest.mark.skipif(os.geteuid() != 0, reason="the namespace sandbox needs root")
def test_netns_sandbox_is_isolated() -> None:
    target = parse_target("netns")
    assert target.sandbox
    with target.session() as session:
        assert session.run("ip -o link show | wc -l").output.strip() == "1"  # only lo
        assert session.run("echo $$").output.strip() == "1"  # the shell is PID 1 of its own PID namespace
        session.run("hostname lpic3-sandbox-test")
        assert session.run("hostname").output.strip() == "lpic3-sandbox-test"
    assert socket.gethostname() != "lpic3-sandbox-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An sshd on 127.0.0.1 that accepts one key for the current user; the client trusts its host key."""
    if not shutil.which("sshd") and not Path("/usr/sbin/sshd").exists():
        pytest.skip("needs openssh-server (sshd)")
    if os.geteuid() != 0:
        pytest.skip("starting an sshd for the current user needs root here")
    port = free_port()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / "host"], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / "client"], check=True)
    (tmp_path / "authorized").write_text((tmp_path / "client.pub").read_text())
    host_key = (tmp_path / "host.pub").read_text().split()
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host'}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nStrictModes no\nPasswordAuthentication no\n"
    )
    (tmp_path / "ssh_config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {tmp_path / 'client'}\n  UserKnownHostsFile {tmp_path / 'known_hosts'}\n"
    )
    monkeypatch.setenv("LPIC3_SSH_CONFIG", str(tmp_path / "ssh_config"))
    os.makedirs("/run/sshd", exist_ok=True)
    daemon = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    daemon.terminate()
    daemon.wait(timeout=10)


def test_ssh_target_runs_probes_over_one_connection(sshd: int, tmp_path: Path) -> None:
    target = parse_target(f"ssh://root@127.0.0.1:{sshd}")
    with target.session() as session:
        result = session.run("echo $LC_ALL; id -u; echo err >&2", merge=False)
        assert result.output.split() == ["C", "0"] and result.errors == "err\n"
        (tmp_path / "marker").write_text("x")
        assert run_probe(session, "file.exists", {"path": str(tmp_path / "marker")}).passed
        assert session.run("exit 7").status == 7 and session.run("true").status == 0
    again = parse_target(f"ssh://root@127.0.0.1:{sshd}").session()
    with again:  # a second session reuses the kept-open connection
        assert again.run("echo reused").output == "reused\n"
    target.disconnect()
    left = subprocess.run(["pgrep", "-f", f"ssh.*-p {sshd} "], capture_output=True, text=True, check=False)
    assert left.stdout.strip() == "", "the kept-open SSH connection was not closed"


def test_a_shell_behind_ssh_gets_each_text_counted_and_as_written(sshd: int) -> None:
    """The shell behind ssh reads a pipe, so each text goes with its byte count (a few reads, not one
    per byte). Characters a terminal acts on, batches of many writes and a command that reads its
    own input arrive as written, and the session goes on."""
    target = parse_target(f"ssh://root@127.0.0.1:{sshd}")
    with target.session() as session:
        assert session.counted
        special = "a\x7fb\x15c\x03d\x04e\rf\x17g'h\\i"
        assert session.run(f"printf '%s' {shlex.quote(special)} | od -An -tx1").output.split() == [
            f"{ord(c):02x}" for c in special
        ]
        many = session.run_many([(f"echo {n} {'y' * 900}", 10.0, True) for n in range(30)])
        assert [r and r.output for r in many] == [f"{n} {'y' * 900}\n" for n in range(30)]
        assert session.run("cat; echo done").output == "done\n"
        assert session.run("exit 4").status == 4 and session.run("echo still").output == "still\n"
    target.disconnect()


def test_ssh_target_with_an_unknown_host_key_says_so(sshd: int, tmp_path: Path) -> None:
    (tmp_path / "known_hosts").write_text("")
    with pytest.raises(SessionError, match=r"127\.0\.0\.1"):
        parse_target(f"ssh://root@127.0.0.1:{sshd}").session().open()


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("ssh://-Fevil", "the host must be a name"),
        ("ssh://-oProxyCommand=touch%20x@host", "the user name may hold"),
        ("ssh://alice@-oProxyCommand=x", "the host must be a name"),
        ("ssh://host:0", "the port must be a number from 1 to 65535"),
        ("ssh://host:65536", "the port must be a number from 1 to 65535"),
        ("ssh://host:22x", "the port must be a number from 1 to 65535"),
        ("ssh://alice:secret@host", "no password, path or query"),
        ("ssh://host/etc", "no password, path or query"),
        ("ssh://host?x=1", "no password, path or query"),
        ("ssh://ho st", "blanks and control characters"),
        ("ssh://host\n-Fevil", "blanks and control characters"),
        ("ssh://host;reboot", "the host must be a name"),
        ("ssh://" + "a" * 100_000, "the host must be a name"),
    ],
)
def test_ssh_targets_that_ssh_could_misread_are_refused(spec: str, complaint: str) -> None:
    with pytest.raises(TargetError) as refused:
        parse_target(spec)
    assert complaint in str(refused.value) and len(str(refused.value)) < 200


@pytest.mark.parametrize(
    ("spec", "destination", "port"),
    [
        ("ssh://alice@lab1.example.org:2222", "alice@lab1.example.org", "2222"),
        ("ssh://lab_vm", "lab_vm", "22"),
        ("ssh://root@192.0.2.7/", "root@192.0.2.7", "22"),
        ("ssh://[2001:db8::7]:2200", "2001:db8::7", "2200"),
    ],
)
def test_the_destination_always_follows_a_double_dash(spec: str, destination: str, port: str) -> None:
    argv = parse_target(spec).argv
    at = argv.index("--")
    assert argv[at + 1] == destination and argv[at - 2 : at] == ("-p", port)


def test_a_host_that_looks_like_an_option_never_reaches_ssh_as_one(tmp_path: Path) -> None:
    """Even a host that got past parsing (ssh_target is also called directly) is after ``--``:
    ssh takes ``-oProxyCommand=...`` as a host name, so the command never runs."""
    from checkers.targets import ssh_target

    marker = tmp_path / "proxy-command-ran"
    target = ssh_target("test", f"-oProxyCommand=touch {marker}", 22, None, "test")
    done = subprocess.run(
        target.argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0 and not marker.exists(), done.stderr
