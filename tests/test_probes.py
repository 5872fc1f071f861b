"""Probes against real state that each test makes itself: files, modes, command output, JSON."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from checkers.probes import REGISTRY, argument_problems, run_probe
from checkers.session import ShellSession, local_argv
from trainer.curriculum.model import Check, Location
from trainer.labs.runner import ask_ahead, run_check


def test_file_exists_and_absent(local_shell: ShellSession, tmp_path: Path) -> None:
    target = tmp_path / "disk.img"
    assert not run_probe(local_shell, "file.exists", {"path": str(target)}).passed
    assert run_probe(local_shell, "file.exists", {"path": str(target), "present": False}).passed
    target.write_text("x")
    verdict = run_probe(local_shell, "file.exists", {"path": str(target)})
    assert verdict.passed and verdict.seen == f"{target} exists"


def test_file_link_reads_what_the_link_names_not_where_it_leads(local_shell: ShellSession, tmp_path: Path) -> None:
    definition, link = tmp_path / "web.xml", tmp_path / "autostart" / "web.xml"
    definition.write_text("<domain/>")
    link.parent.mkdir()
    link.symlink_to(definition)
    verdict = run_probe(local_shell, "file.link", {"path": str(link), "equals": str(definition)})
    assert verdict.passed and verdict.seen == f"{link} -> {definition}"
    hop = tmp_path / "hop.xml"
    hop.symlink_to(definition)
    link.unlink()
    link.symlink_to(hop)  # leads to the definition, but names another link
    verdict = run_probe(local_shell, "file.link", {"path": str(link), "equals": str(definition)})
    assert not verdict.passed and verdict.seen == f"{link} -> {hop}"
    link.unlink()
    link.write_text("<domain/>")  # a copy, not a link
    verdict = run_probe(local_shell, "file.link", {"path": str(link), "equals": str(definition)})
    assert not verdict.passed and verdict.seen == f"{link}: not a symbolic link"
    link.unlink()
    assert run_probe(local_shell, "file.link", {"path": str(link), "absent": True}).passed
    verdict = run_probe(local_shell, "file.link", {"path": str(link), "matches": ".*web.xml"})
    assert not verdict.passed and verdict.seen == f"{link}: absent"


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


def test_the_shell_start_gets_its_whole_budget_whatever_the_time_scale() -> None:
    """A scale below 1 (tests shorten command budgets with it) shortens commands, not the shell's
    start: its steps once got 15 s times the scale again, 1.5 ms here, and the shell never opened."""
    with ShellSession(local_argv(), "local", time_scale=0.0001) as session:  # 60 s budgets become 6 ms
        assert session.tools and session.kernel_view
        assert session.run("sleep 1").timed_out


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


def test_run_many_answers_each_command_as_run_would(local_shell: ShellSession, tmp_path: Path) -> None:
    """Many commands in one write: each its own status, output and stderr, in order; more text than
    one write takes (``BATCH_BYTES``) and output larger than the pty holds do not jam the session."""
    (tmp_path / "f").write_text("hello\n")
    big = "head -c 300000 /dev/zero | tr '\\0' x; echo"
    requests = [
        (f"cat {shlex.quote(str(tmp_path / 'f'))}", 10.0, True),
        ("echo out; echo err >&2; exit 3", 10.0, False),
        (big, 30.0, True),
        *[(f"echo {n} {'y' * 900}", 10.0, True) for n in range(40)],  # over 16 KiB of command text
        ("echo 'it''s' \"$((6 * 7))\"", 10.0, True),
    ]
    results = local_shell.run_many(requests)
    expected = [local_shell.run(command, timeout, merge) for command, timeout, merge in requests]
    assert [r and (r.status, r.output, r.errors) for r in results] == [(e.status, e.output, e.errors) for e in expected]
    assert results[1] is not None and (results[1].status, results[1].output, results[1].errors) == (3, "out\n", "err\n")
    assert results[2] is not None and len(results[2].output) == 300001


def test_run_many_after_a_timeout_leaves_the_rest_unasked(local_shell: ShellSession) -> None:
    results = local_shell.run_many([("echo before", 10.0, True), ("sleep 5", 0.3, True), ("echo after", 10.0, True)])
    assert results[0] is not None and results[0].output == "before\n"
    assert results[1] is not None and results[1].timed_out
    assert results[2] is None  # not run: the shell was closed under the hung command
    assert local_shell.run("echo alive").output == "alive\n"


def test_characters_a_terminal_acts_on_reach_the_shell_as_written(local_shell: ShellSession) -> None:
    """Commands go through a terminal in line mode, whose erase, kill, interrupt, end-of-file and
    carriage-return characters would change them (and the byte count the shell reads them by): each
    arrives as written, alone and in a batch, and the session goes on. (This shell reads the
    terminal itself, so it gets each text as it is, not counted as ssh's shell does.)"""
    assert not local_shell.counted
    special = "a\x7fb\x15c\x03d\x04e\rf\x17g\x16h\x1ai\x1cj\x13k\x11l'm\\n"
    command = f"printf '%s' {shlex.quote(special)} | od -An -c"
    wanted = subprocess.run(["od", "-An", "-c"], input=special.encode(), capture_output=True, check=True).stdout
    assert local_shell.run(command).output == wanted.decode()
    many = local_shell.run_many([(command, 10.0, True), ("echo after", 10.0, True)])
    assert [r and r.output for r in many] == [wanted.decode(), "after\n"]
    counted = f"test \"$(printf '%s' {shlex.quote(special)} | wc -c)\" = {len(special)}"
    assert local_shell.run_script(counted).status == 0


def test_checks_asked_ahead_judge_as_asked_live(local_shell: ShellSession, tmp_path: Path) -> None:
    """A lab's checks run with their first commands sent at once give the verdicts each gives alone,
    with a settling check asking again live, and kernel-view reads (fresh tokens) run live."""
    (tmp_path / "a").write_text("1\n")
    here = Location(tmp_path / "lab.yaml", 1)
    checks = [
        Check("a", "file.contains", {"path": str(tmp_path / "a"), "pattern": "^1$"}, "h", here),
        Check("same", "file.contains", {"path": str(tmp_path / "a"), "pattern": "^1$"}, "h", here),
        Check("no", "command.status", {"command": f"test -e {tmp_path / 'b'}"}, "h", here),
        Check("kernel", "kernel.status", {"command": "test -r /proc/self/status"}, "h", here),
    ]
    before = local_shell.commands
    shells = ask_ahead(local_shell, checks, {})
    assert local_shell.commands - before == 2  # file.contains once for both, command.status; not the kernel read
    ahead = [run_check(shell, check, {}).verdict for shell, check in zip(shells, checks, strict=True)]
    live = [run_check(local_shell, check, {}).verdict for check in checks]
    assert [v.outcome for v in ahead] == [v.outcome for v in live] == ["pass", "pass", "fail", "pass"]
    assert [v.seen for v in ahead] == [v.seen for v in live]
    (tmp_path / "b").touch()  # the state changed since it was asked ahead: a second ask goes live
    again = shells[2]
    assert run_check(again, checks[2], {}).verdict.outcome == "pass"


def test_a_failed_command_of_several_lines_is_named_by_its_first(local_shell: ShellSession) -> None:
    script = "printf 'no such guest\\n' >&2; false && python3 -c '\nimport json\nprint(json.dumps({}))'"
    verdict = run_probe(local_shell, "command.json", {"command": script, "key": "type", "equals": "pv"})
    assert not verdict.passed
    assert verdict.expected == "`printf 'no such guest\\n' >&2; false && python3 -c ' ...` succeeds"
    assert verdict.seen == "exit status 1, output 'no such guest'"
