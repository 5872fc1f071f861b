"""Checks run the real tools (checkers/tools.py): the distribution's own files, root's alone, found
once per session; never a wrapper from /usr/local or a PATH a learner can write to. A tool that is
missing or that someone else may change makes a check "not judged" with the reason, not FAIL.

Each hostile machine is made for one run only, in a private mount namespace (tests/private_mounts.py).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from textual.widgets import Markdown, Static

from checkers.session import ShellSession, local_argv
from checkers.shell import SYSTEM_PATH
from checkers.targets import Target
from checkers.tools import TOOLS
from tests.conftest import REPO, Tree
from tests.lab_fixtures import remove_workdirs, until
from tests.private_mounts import (
    LAB,
    ROOT,
    UNSOLVED,
    baseline,
    check_lab,
    overlay,
    python_in_private_mounts,
    started_lab,
    write_fakes,
)
from trainer.curriculum.loader import load_curriculum
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.lab import LabScreen

__all__ = ["baseline", "remove_workdirs", "started_lab"]  # fixtures, used by name


def missing(tool: str) -> str:
    return f"not judged: the real {tool} is missing: it is in none of {', '.join(SYSTEM_PATH)}"


def test_the_session_path_holds_only_the_distributions_folders_and_tools_are_pinned(local_shell: ShellSession) -> None:
    result = local_shell.run('echo "$PATH"; type -P getcap qemu-img; type getcap')
    path, getcap, qemu_img, kind = result.output.splitlines()
    assert path == ":".join(SYSTEM_PATH)
    assert getcap == local_shell.tools["getcap"].path and qemu_img == local_shell.tools["qemu-img"].path
    assert kind == f"getcap is hashed ({getcap})"  # pinned: no PATH search when a check runs it
    for tool in local_shell.tools.values():
        assert not tool.path or (tool.path.rsplit("/", 1)[0] in SYSTEM_PATH and tool.trusted), tool


@ROOT
@pytest.mark.parametrize("where", ["/usr/local/bin", "/usr/local/sbin"])
def test_a_wrapper_in_usr_local_does_not_change_a_real_labs_verdicts(
    where: str, started_lab: Path, baseline: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    fakes = write_fakes(tmp_path / "fakes")
    old_path = f"/usr/local/sbin:/usr/local/bin:{':'.join(SYSTEM_PATH)}"  # what checks searched first before
    prelude = (
        f"mount --bind {fakes} {where}\n"
        # The plant works: under the old PATH getcap would have shown the capability on the copy.
        f'test "$(PATH={old_path} getcap /x/httpd)" = "/x/httpd cap_net_bind_service=ep"\n'
    )
    verdicts, run = check_lab(started_lab, prelude, tmp_path / "scratch")
    assert verdicts == baseline, run.stderr
    assert run.returncode == 1  # FAIL, as without the wrappers


@ROOT
def test_a_wrapper_planted_after_the_session_opened_is_not_used(tmp_path: Path) -> None:
    """Pinned at the start: a root-owned wrapper that appears later, even earlier in PATH than the real
    tool (/usr/sbin before /usr/bin), is never run by that session."""
    prelude = f"mount -t tmpfs lpic3-test {tmp_path}\n" + overlay("/usr/sbin", tmp_path)
    script = f"""
import subprocess
from checkers.session import ShellSession, local_argv
with ShellSession(local_argv(), "local") as s:
    real = s.tools["qemu-img"].path
    assert real.startswith("/usr/bin/"), real
    subprocess.run(["/bin/bash", "-euc", {prelude!r}], check=True)
    with open("/usr/sbin/qemu-img", "w") as f:
        f.write("#!/bin/sh\\necho planted\\n")
    subprocess.run(["chmod", "755", "/usr/sbin/qemu-img"], check=True)
    assert subprocess.run(["/bin/bash", "-c", "qemu-img --version"], capture_output=True, text=True,
                          env={{"PATH": "{":".join(SYSTEM_PATH)}"}}).stdout == "planted\\n"
    print(s.run("qemu-img --version").output.splitlines()[0])
"""
    run = python_in_private_mounts(script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("qemu-img version"), run.stdout


def _not_trusted(why: str) -> dict[str, tuple[str, str]]:
    """The verdicts when getcap cannot be trusted: its two checks not judged with ``why``, the others
    judged as usual."""
    return {"copy-caps": ("not judged", why), "original-clean": ("not judged", why)}


@ROOT
@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("chmod 0777 /usr/sbin/getcap", "/usr/sbin/getcap is writable by every user (-rwxrwxrwx)"),
        ("chmod 0775 /usr/sbin/getcap", "/usr/sbin/getcap is writable by group root (-rwxrwxr-x)"),
        ("chown nobody /usr/sbin/getcap", "/usr/sbin/getcap belongs to nobody, not root"),
        # A symlink is followed to its target: here a copy in a folder anyone may write to.
        (
            "mkdir -m 0777 /usr/sbin/lpic3-open && cp /usr/sbin/getcap /usr/sbin/lpic3-open/"
            " && ln -sf lpic3-open/getcap /usr/sbin/getcap",
            "/usr/sbin/lpic3-open is writable by every user (drwxrwxrwx)",
        ),
    ],
    ids=["world-writable", "group-writable", "not-roots", "symlink-to-tmp"],
)
def test_a_tool_someone_else_may_change_is_not_trusted(
    change: str, why: str, started_lab: Path, baseline: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    verdicts, run = check_lab(started_lab, overlay("/usr/sbin", scratch) + change, scratch)
    reason = f"not judged: the real getcap is not trusted: {why}"
    assert verdicts == {**baseline, **_not_trusted(reason)}, run.stderr
    assert run.returncode == 1  # the checks that were judged still fail


@ROOT
def test_a_missing_tool_is_not_judged_with_the_reason(
    started_lab: Path, baseline: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    """unshare gone (the lab's requirements do not name it): the check that runs it cannot judge."""
    scratch = tmp_path / "scratch"
    verdicts, run = check_lab(started_lab, overlay("/usr/bin", scratch) + "rm /usr/bin/unshare", scratch)
    assert verdicts == {**baseline, "binds-low-port": ("not judged", missing("unshare"))}, run.stderr
    assert run.returncode == 1


@ROOT
def test_a_system_folder_someone_else_may_write_to_makes_every_check_not_judged(
    started_lab: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    verdicts, run = check_lab(started_lab, overlay("/usr/sbin", scratch) + "chmod 0777 /usr/sbin", scratch)
    why = "the system's own folders are not root's alone: /usr/sbin is writable by every user (drwxrwxrwx)"
    assert set(verdicts) == set(UNSOLVED)
    for outcome, seen in verdicts.values():
        assert (outcome, seen.split("; ")[0]) == ("not judged", f"not judged: {why}")
    # Nothing judged: the run says why, records nothing and exits 2.
    assert run.returncode == 2
    assert run.stderr.startswith(f"lpic3: 4 check(s) not judged: {why}")
    assert run.stderr.rstrip().endswith("; nothing was recorded")


def test_a_command_found_nowhere_is_not_judged(local_shell: ShellSession) -> None:
    """A check whose command is missing cannot say anything about the state, even when it hides the
    error (``2>/dev/null``) and carries on."""
    from checkers.probes import NOT_JUDGED, run_probe

    verdict = run_probe(local_shell, "command.status", {"command": "lpic3-no-such-tool 2>/dev/null; true"})
    assert verdict.outcome == NOT_JUDGED
    assert verdict.seen == missing("lpic3-no-such-tool")
    # Why, as a field of the verdict (not a prefix of its text): what `lab check` says once for all.
    assert verdict.refused and missing("lpic3-no-such-tool") == "not judged: " + verdict.refused
    # ... and the session forgets it: the next command is judged.
    judged = run_probe(local_shell, "command.status", {"command": "true"})
    assert judged.passed and judged.refused == ""


def _command_words(text: str) -> set[str]:
    """The words in command position in shell text: the first word of each simple command, outside
    single quotes (data, or a script for another program), expansions and plain double-quoted data."""
    text = re.sub(r"\{\{\s*\w+\s*\}\}", "X", text)  # a lab's {{parameter}}
    text = re.sub(r"'[^']*'", "''", text)
    text = re.sub(r"\$\(\(.*?\)\)|\$\{[^}]*\}", "X", text)  # arithmetic, ${parameter}
    text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: m[0] if "$(" in m[0] or "`" in m[0] else '""', text)
    words = set()
    for part in re.split(r"\$\(|`|&&|\|\||[;|&(){}\n!]|\b(?:then|do|else|elif|if|while|until|exec|time)\b", text):
        tokens = [t for t in part.split() if not re.fullmatch(r"[A-Za-z_]\w*=\S*", t)]
        if tokens and re.fullmatch(r"[A-Za-z][\w.+-]*", tokens[0]):
            words.add(tokens[0])
    return words


def _builtins() -> set[str]:
    listed = subprocess.run(["/bin/bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True)
    return set(listed.stdout.split())


# Where the probes build command text: the argument of the shell's run and of the helper that runs a
# command in a network namespace, and what the helpers that build commands return.
_COMMAND_ARGUMENT = {"run": 0, "_in": 1, "run_in_view": 1}  # run_in_view: checkers/kernelfiles.py
_COMMAND_BUILDERS = ("_in", "_virsh")


def _probe_commands() -> set[str]:
    """The command words of every shell command a probe builds (the literal start of each)."""
    texts: list[ast.expr] = []
    for path in (REPO / "checkers" / "probes").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                at = _COMMAND_ARGUMENT.get(getattr(node.func, "attr", getattr(node.func, "id", "")), -1)
                texts.extend(node.args[at : at + 1] if at >= 0 else [])
            if isinstance(node, ast.FunctionDef) and node.name in _COMMAND_BUILDERS:
                texts.extend(n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None)
    words = set()
    for text in texts:
        if isinstance(text, ast.IfExp):  # `a if netns else command`: the command built is the first
            text = text.body
        head = text.values[0] if isinstance(text, ast.JoinedStr) and text.values else text
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            words |= _command_words(head.value)
    return words


def test_every_tool_a_check_runs_is_found_and_verified() -> None:
    """A tool a check runs by name is in checkers.tools.TOOLS, so each session finds it, verifies it and
    pins it; a new lab or probe that runs another one must add it there."""
    used = set(_probe_commands())
    for path in sorted((REPO / "exercises").glob("*/*.yaml")):
        for check in yaml.safe_load(path.read_text())["checks"]:
            for key, value in (check.get("args") or {}).items():
                if key == "command" or key.endswith("_cmd"):
                    used |= _command_words(str(value))
    assert {"getcap", "virsh", "qemu-img", "docker", "lxc-info", "python3", "unshare"} <= used  # the reader works
    assert sorted(used - _builtins() - set(TOOLS)) == []


def test_the_lab_this_file_uses_runs_getcap_and_unshare() -> None:
    """The plants above fake getcap and unshare: the lab's checks must really run them."""
    lab = yaml.safe_load(next((REPO / "exercises").glob(f"*/{LAB.split('-', 1)[1]}.yaml")).read_text())
    assert {c["probe"] for c in lab["checks"]} == {"caps.file", "command.status"}
    commands = [str(c["args"].get("command", "")) for c in lab["checks"]]
    assert any(c.startswith("test -f") for c in commands) and any(c.startswith("unshare --net") for c in commands)


def test_a_session_starts_with_its_tools_in_a_few_milliseconds() -> None:
    """Finding and verifying the tools is one namei process when the shell opens, not one per command."""
    with ShellSession(local_argv(), "local") as session:
        before = session.commands
        session.run("getcap /usr/bin/ping; qemu-img --version >/dev/null")
        assert session.commands == before + 1
        assert len(session.tools) == len(TOOLS)


_MISSING_TOOL_LAB = """
id: 351.5-missing-tool
objective: "351.5"
title: A check whose tool is missing
terms: [qemu-img]
difficulty: 1
requires: []
task: Nothing to do in {{workdir}}.
checks:
  - id: runs-it
    probe: command.status
    args: {command: "lpic3-no-such-tool --version"}
    hint: There is nothing to do.
solution: "true"
reset: "true"
hints:
  - There is nothing to do.
wrong_answers:
  - name: nothing done
    script: "true"
    fails: [runs-it]
"""


@pytest.mark.usefixtures("remove_workdirs")
async def test_the_lab_screen_says_why_a_check_was_not_judged(tree: Tree) -> None:
    """A missing tool is not a timeout: the lab screen names it, and does not ask to check again."""
    tree.write("exercises/351.5/missing-tool.yaml", _MISSING_TOOL_LAB)
    (exercise,) = load_curriculum(tree.root).exercises
    store = Store.open()
    app = TrainerApp(load_curriculum(), store)
    stand_in = Target("sandbox", "local", "a stand-in sandbox", tuple(local_argv()), sandbox=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = LabScreen(exercise, store, stand_in)
            await app.push_screen(screen)
            await pilot.press("s")
            await until(pilot, lambda: screen.job is None and screen.attempt is not None)
            await pilot.press("c")
            await until(pilot, lambda: screen.job is None and bool(screen.results))
            results = screen.query_one("#lab-results", Markdown).source
            assert results.startswith(
                f"**0/1 checks passed, 1 not judged**: {missing('lpic3-no-such-tool').removeprefix('not judged: ')};"
            )
            status = str(screen.query_one("#lab-status", Static).render())
            assert "not judged: the real tools cannot be trusted here" in status and "check again" not in status
            assert screen.attempt is not None and screen.attempt.checked_at is None  # nothing recorded
    finally:
        store.close()


@ROOT
def test_a_requirement_whose_tool_is_not_trusted_says_so(tmp_path: Path) -> None:
    """`lpic3 doctor` and a lab's requirements name the untrusted tool, not a daemon that does not answer."""
    prelude = f"mount -t tmpfs lpic3-test {tmp_path}\n" + overlay("/usr/bin", tmp_path) + "chmod 0777 /usr/bin/virsh\n"
    script = f"""
import subprocess
from checkers.detect import detect
from checkers.session import ShellSession, local_argv
subprocess.run(["/bin/bash", "-euc", {prelude!r}], check=True)
with ShellSession(local_argv(), "local") as s:
    print(detect(s, ["libvirt"])["libvirt"].reason)
"""
    run = python_in_private_mounts(script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "the real virsh is not trusted: /usr/bin/virsh is writable by every user (-rwxrwxrwx)"
