"""Probes against real state that each test makes itself: files, modes, command output, JSON."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from checkers.probes import REGISTRY, argument_problems, run_probe
from checkers.session import ShellSession, local_argv


def test_file_exists_and_absent(local_shell: ShellSession, tmp_path: Path) -> None:
    target = tmp_path / "disk.img"
    assert not run_probe(local_shell, "file.exists", {"path": str(target)}).passed
    assert run_probe(local_shell, "file.exists", {"path": str(target), "present": False}).passed
    target.write_text("x")
    verdict = run_probe(local_shell, "file.exists", {"path": str(target)})
    assert verdict.passed and verdict.seen == f"{target} exists"


def test_file_mode_reads_real_permission_bits(local_shell: ShellSession, tmp_path: Path) -> None:
    target = tmp_path / "key"
    target.write_text("secret")
    target.chmod(0o640)
    assert run_probe(local_shell, "file.mode", {"path": str(target), "mode": "640"}).passed
    target.chmod(0o644)
    verdict = run_probe(local_shell, "file.mode", {"path": str(target), "mode": "0640"})
    assert not verdict.passed and verdict.seen == "mode 644"
    assert not run_probe(local_shell, "file.mode", {"path": str(tmp_path / "none"), "mode": "640"}).passed


def test_file_contains(local_shell: ShellSession, tmp_path: Path) -> None:
    target = tmp_path / "xl.cfg"
    target.write_text("name = 'web'\nmemory = 512\n")
    assert run_probe(local_shell, "file.contains", {"path": str(target), "pattern": r"^memory\s*=\s*512$"}).passed
    assert not run_probe(local_shell, "file.contains", {"path": str(target), "pattern": r"^vcpus"}).passed
    assert run_probe(local_shell, "file.contains", {"path": str(target), "pattern": r"^vcpus", "present": False}).passed


def test_command_status_and_output(local_shell: ShellSession, tmp_path: Path) -> None:
    assert run_probe(local_shell, "command.status", {"command": "true"}).passed
    failed = run_probe(local_shell, "command.status", {"command": "exit 3"})
    assert not failed.passed and failed.seen == "exit status 3"
    assert run_probe(local_shell, "command.status", {"command": "exit 3", "status": 3}).passed
    (tmp_path / "a").write_text("")
    listing = f"ls {shlex.quote(str(tmp_path))}"
    assert run_probe(local_shell, "command.output", {"command": listing, "pattern": "^a$"}).passed
    assert not run_probe(local_shell, "command.output", {"command": listing, "pattern": "^b$"}).passed
    assert not run_probe(local_shell, "command.output", {"command": "false", "pattern": ""}).passed


def test_command_json_walks_keys_and_indices(local_shell: ShellSession) -> None:
    command = """printf '%s' '{"format": "qcow2", "size": 65536, "children": [{"info": {"ok": true}}]}'"""
    assert run_probe(local_shell, "command.json", {"command": command, "key": "format", "equals": "qcow2"}).passed
    assert run_probe(local_shell, "command.json", {"command": command, "key": "size", "equals": "65536"}).passed
    assert run_probe(
        local_shell, "command.json", {"command": command, "key": "children.0.info.ok", "equals": "true"}
    ).passed
    missing = run_probe(local_shell, "command.json", {"command": command, "key": "children.1", "equals": "x"})
    assert not missing.passed and missing.seen == "no children.1 in the output"
    assert not run_probe(local_shell, "command.json", {"command": "echo not-json", "key": "a", "equals": "b"}).passed


def test_timeouts_are_reported_not_hung(local_shell: ShellSession) -> None:
    result = local_shell.run("sleep 5", timeout=0.3)
    assert result.status == 124 and "no answer from local after 0.3 s" in result.output
    assert local_shell.run("echo alive").output == "alive\n"


def test_clean_environment_ignores_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("BASH_FUNC_ls%%", "() { echo hijacked; }")
    with ShellSession(local_argv(), "local") as session:
        assert session.run("echo $LC_ALL $LANG; command -v ls; type -t ls").output.split() == [
            "C",
            "/usr/bin/ls",
            "file",
        ]


def test_argument_validation(local_shell: ShellSession) -> None:
    assert argument_problems("file.mode", {"path": "/x", "mode": "640"}) == []
    assert "no probe named 'file.exist'" in argument_problems("file.exist", {})[0]
    assert any("needs argument 'mode'" in p for p in argument_problems("file.mode", {"path": "/x"}))
    assert any(
        "takes no argument 'owner'" in p
        for p in argument_problems("file.mode", {"path": "/x", "mode": "640", "owner": "root"})
    )
    assert any("is not octal" in p for p in argument_problems("file.mode", {"path": "/x", "mode": "rw-"}))
    assert any(
        "must be a whole number" in p for p in argument_problems("command.status", {"command": "x", "status": True})
    )
    assert any(
        "not a valid regular expression" in p
        for p in argument_problems("command.output", {"command": "x", "pattern": "("})
    )


def test_every_probe_documents_its_arguments(local_shell: ShellSession) -> None:
    for probe in REGISTRY.values():
        assert probe.summary
        assert all(arg.help for arg in probe.args.values()), probe.name


def test_file_keys_in_every_format(local_shell: ShellSession, tmp_path: Path) -> None:
    files = {
        "user-data": ("yaml", "#cloud-config\nusers:\n  - name: ada\n    groups: [sudo]\n", "users.0.name", "ada"),
        "daemon.json": ("json", '{"log-driver": "local", "log-opts": {"max-size": "10m"}}', "log-opts.max-size", "10m"),
        "app.ini": ("ini", "[server]\nport = 8080\n", "server.port", "8080"),
        "web.cfg": ("conf", 'name = "web"\nmemory = 512  # MiB\nmemory = 1024\n', "memory", "1024"),
    }
    for name, (form, text, key, value) in files.items():
        (tmp_path / name).write_text(text)
        args = {"path": str(tmp_path / name), "key": key, "equals": value, "format": form}
        assert run_probe(local_shell, "file.key", args).passed, name
        wrong = run_probe(local_shell, "file.key", args | {"equals": "other"})
        assert not wrong.passed and value in wrong.seen
    (tmp_path / "broken.json").write_text("{oops")
    broken = run_probe(
        local_shell, "file.key", {"path": str(tmp_path / "broken.json"), "key": "a", "equals": "b", "format": "json"}
    )
    assert not broken.passed and "not valid JSON" in broken.seen
    assert run_probe(
        local_shell, "file.key", {"path": str(tmp_path / "web.cfg"), "key": "name", "equals": "web", "format": "conf"}
    ).passed


def test_file_owner(local_shell: ShellSession, tmp_path: Path) -> None:
    target = tmp_path / "owned"
    target.write_text("x")
    me = str(os.getuid())
    assert run_probe(local_shell, "file.owner", {"path": str(target), "user": me}).passed
    assert not run_probe(local_shell, "file.owner", {"path": str(target), "user": "65534"}).passed
    assert not run_probe(local_shell, "file.owner", {"path": str(tmp_path / "none"), "user": me}).passed
