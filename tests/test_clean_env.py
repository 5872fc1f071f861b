"""Nothing of the learner's shell reaches a check: aliases, functions (exported ones too), BASH_ENV,
ENV, PATH, LD_PRELOAD, LD_LIBRARY_PATH, PROMPT_COMMAND, SHELLOPTS/BASHOPTS, rc files of root and of
the system. Each is planted for one run of a real lab's check (352.1-file-capability on this
machine), written so that it would turn the unsolved lab's FAILs into PASSes wherever it reached,
and the verdicts must be exactly those of a run without it. A set /etc/ld.so.preload makes every
check "not judged". Files are planted in a private mount namespace only (tests/private_mounts.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from checkers.session import PRELOAD, ShellSession, local_argv
from tests.private_mounts import (
    FAKE_GETCAP,
    ROOT,
    UNSOLVED,
    baseline,
    check_lab,
    overlay,
    python_in_private_mounts,
    started_lab,
    write_fakes,
)

__all__ = ["baseline", "started_lab"]  # module fixtures, used by name

pytestmark = ROOT

# Shell text a learner's rc file could hold: getcap shows the capability, unshare "keeps listening",
# test says a file exists and is not setuid; as aliases, as functions, and through PATH.
FUNCTIONS = {
    "getcap": f"{FAKE_GETCAP};",
    "unshare": "return 124;",
    "test": 'case "$1" in -u) return 1;; esac; return 0;',
}
FAKED = "/x/httpd cap_net_bind_service=ep"  # what the planted getcap prints for /x/httpd


def rc_text(fakes: Path) -> str:
    functions = "".join(f"{name}() {{ {body} }}\n" for name, body in FUNCTIONS.items())
    return (
        f"{functions}export -f getcap unshare test\nshopt -s expand_aliases\n"
        f"alias virsh='echo running' qemu-img='echo faked'\nPATH={fakes}:$PATH\n"
    )


@pytest.fixture
def fakes(tmp_path: Path) -> Path:
    """Wrappers, an rc file (``rc``) and a home with it as .bashrc, all in one folder."""
    folder = write_fakes(tmp_path / "fakes")
    (folder / "rc").write_text(rc_text(folder))
    (folder / "home").mkdir()
    (folder / "home" / ".bashrc").write_text(rc_text(folder))
    return folder


def planted_env(plant: str, fakes: Path) -> dict[str, str]:
    """The environment of the process that runs lpic3, with ``plant`` in it."""
    return {
        "path": {"PATH": f"{fakes}:{os.environ['PATH']}"},
        "bash-env": {"BASH_ENV": str(fakes / "rc")},
        "env": {"ENV": str(fakes / "rc")},
        "exported-functions": {f"BASH_FUNC_{name}%%": f"() {{ {body} }}" for name, body in FUNCTIONS.items()},
        "home": {"HOME": str(fakes / "home")},
        "shellopts": {"SHELLOPTS": "errexit:xtrace:verbose", "BASHOPTS": "expand_aliases:extdebug"},
        "prompt-command": {"PROMPT_COMMAND": f". {fakes / 'rc'}"},
        "ld": {"LD_PRELOAD": "libm.so.6", "LD_LIBRARY_PATH": str(fakes)},
    }[plant]


# Where each plant would work, to prove it is a real one: a shell started the way it reads the plant.
POTENT = {
    "path": ["bash", "-c"],
    "bash-env": ["bash", "-c"],
    "env": ["sh", "-ic"],
    "exported-functions": ["bash", "-c"],
    "home": ["bash", "-ic"],
}


@pytest.mark.parametrize(
    "plant", ["path", "bash-env", "env", "exported-functions", "home", "shellopts", "prompt-command", "ld"]
)
def test_the_callers_environment_does_not_change_a_real_labs_verdicts(
    plant: str, fakes: Path, started_lab: Path, baseline: dict[str, tuple[str, str]]
) -> None:
    env = planted_env(plant, fakes)
    if plant in POTENT:
        shown = subprocess.run(
            [*POTENT[plant], "getcap /x/httpd"], capture_output=True, text=True, env={**os.environ, **env}, check=False
        )
        assert shown.stdout.strip() == FAKED, (plant, shown.stderr)
    verdicts, run = check_lab(started_lab, env=env)
    assert verdicts == baseline, run.stderr
    assert run.returncode == 1


def test_root_and_system_rc_files_do_not_change_a_real_labs_verdicts(
    fakes: Path, started_lab: Path, baseline: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    rc = fakes / "rc"
    files = [
        "/root/.bashrc",
        "/root/.profile",
        "/root/.bash_profile",
        "/root/.bash_login",
        "/etc/bash.bashrc",
        "/etc/profile",
        "/etc/profile.d/lpic3-test.sh",
    ]
    prelude = (
        overlay("/root", scratch)
        + overlay("/etc", scratch)
        + "".join(f"mkdir -p {os.path.dirname(f)}; cat {rc} >> {f}\n" for f in files)
        # The plants work: an interactive shell and a login shell both run the fake getcap.
        + f'test "$(bash -ic "getcap /x/httpd" 2>/dev/null)" = "{FAKED}"\n'
        + f'test "$(env -i HOME=/root bash -lc "getcap /x/httpd")" = "{FAKED}"\n'
    )
    verdicts, run = check_lab(started_lab, prelude, scratch)
    assert verdicts == baseline, run.stderr
    assert run.returncode == 1


def test_the_callers_ld_preload_reaches_no_process_but_lpic3_itself(
    fakes: Path, started_lab: Path, baseline: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    """The loader itself tells which programs started with LD_PRELOAD in their environment: with
    LD_DEBUG_OUTPUT each writes a trace file. Only the Python running lpic3 may; not env, unshare,
    bash or any tool of a check."""
    traces = tmp_path / "traces"
    traces.mkdir()
    env = {**planted_env("ld", fakes), "LD_DEBUG": "files", "LD_DEBUG_OUTPUT": str(traces / "trace")}
    verdicts, run = check_lab(started_lab, env=env)
    assert verdicts == baseline, run.stderr
    programs = {
        line.split("transferring control:", 1)[1].strip()
        for trace in traces.iterdir()
        for line in trace.read_text(errors="replace").splitlines()
        if "transferring control:" in line
    }
    assert programs == {sys.executable}


def test_a_set_ld_so_preload_makes_every_check_not_judged(started_lab: Path, tmp_path: Path) -> None:
    """/etc/ld.so.preload loads its libraries into every program, the tools of a check included: no
    answer can be trusted. (It is written only in a private overlay of /etc, never on the machine.)"""
    scratch = tmp_path / "scratch"
    prelude = overlay("/etc", scratch) + f"echo libm.so.6 > {PRELOAD}\n"
    verdicts, run = check_lab(started_lab, prelude, scratch)
    assert verdicts == {check: ("not judged", f"not judged: {PRELOAD} is set") for check in UNSOLVED}
    assert run.returncode == 2
    assert run.stderr.strip() == f"lpic3: 4 check(s) not judged: {PRELOAD} is set; nothing was recorded"
    assert not Path(PRELOAD).exists() or Path(PRELOAD).read_text() != "libm.so.6\n"


def test_ld_so_preload_set_while_a_session_is_open_is_seen_at_the_next_command(tmp_path: Path) -> None:
    prelude = f"mount -t tmpfs lpic3-test {tmp_path}\n" + overlay("/etc", tmp_path) + f"echo libm.so.6 > {PRELOAD}\n"
    script = f"""
import subprocess
from checkers.probes import run_probe
from checkers.session import ShellSession, local_argv
with ShellSession(local_argv(), "local") as s:
    assert run_probe(s, "file.exists", {{"path": "/"}}).passed
    subprocess.run(["/bin/bash", "-euc", {prelude!r}], check=True)
    verdict = run_probe(s, "file.exists", {{"path": "/"}})
    print(verdict.outcome, "|", verdict.seen)
"""
    run = python_in_private_mounts(script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"not judged | not judged: {PRELOAD} is set"


def test_a_shell_slow_to_be_reaped_closes_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """ptyprocess gives a killed shell 0.1 s to be reaped and then raises "Could not terminate the
    child" (seen in CI under load): close waits for it instead, and leaves no process behind."""
    session = ShellSession(local_argv(), "local")
    session.__enter__()
    child = session.child
    assert child is not None and child.pid is not None
    pid = child.pid
    real_close = child.close

    def slow_reap(force: bool = True) -> None:
        os.kill(pid, signal.SIGKILL)
        raise pexpect.ExceptionPexpect("Could not terminate the child.")

    monkeypatch.setattr(child, "close", slow_reap)
    session.close()  # no exception
    assert not child.isalive() and session.child is None
    monkeypatch.setattr(child, "close", real_close)
