"""`lpic3 completion bash|zsh`: the script, sourced in the real shell, completes commands from the
argparse parser, lab ids and objective ids from the bundled curriculum, option values from their
choices. bash: the completion function called as bash calls it (COMP_WORDS, COMP_CWORD); zsh: the
script parses (`zsh -n`), offers the same words, and completes a lab id in a real interactive zsh
whose completion system (compinit) loaded it from $fpath."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
from functools import cache
from pathlib import Path

import pytest

from trainer.cli import build_parser, main
from trainer.commands.completion import ROOT_OPTIONS
from trainer.commands.helptopics import TOPICS
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both scripts, made by ``lpic3 completion SHELL`` (in this process: two interpreters cost seconds)."""
    folder = tmp_path_factory.mktemp("completion")
    made = {}
    for shell in ("bash", "zsh"):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(["completion", shell]) == 0
        made[shell] = folder / ("_lpic3" if shell == "zsh" else "lpic3.bash")
        made[shell].write_text(printed.getvalue())
    return made


def subcommands(*path: str) -> list[str]:
    """The sub-commands argparse knows under ``path``."""
    parser = parser_once()
    for name in path:
        parser = subparsers(parser).choices[name]
    return list(subparsers(parser).choices)


@cache
def parser_once() -> argparse.ArgumentParser:
    return build_parser()


def subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action


@cache
def bundled() -> Curriculum:
    return load_curriculum()


def lab_ids(prefix: str = "") -> list[str]:
    return sorted(e.id for e in bundled().exercises if e.id.startswith(prefix))


def objective_ids(prefix: str = "") -> list[str]:
    return sorted(o for o in bundled().objectives if o.startswith(prefix))


def bash_complete(script: Path, *words: str) -> list[str]:
    """What bash offers for the command line ``words`` (the last one is completed)."""
    program = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lpic3; printf "%s\\n" "${COMPREPLY[@]}"'
    result = subprocess.run(
        ["bash", "-c", program, "bash", str(script), "lpic3", *words],
        capture_output=True, text=True, timeout=30, check=True, cwd=script.parent,
    )  # fmt: skip
    assert result.stderr == ""
    return sorted(line for line in result.stdout.splitlines() if line)


CASES = {
    "lab ids": (("lab", "check", "351."), lambda: lab_ids("351.")),
    "lab ids after an option's value": (("lab", "check", "--target", "netns", "352.1-"), lambda: lab_ids("352.1-")),
    "several lab ids": (("lab", "selftest", lab_ids()[0], "353."), lambda: lab_ids("353.")),
    "commands": (("",), lambda: sorted(subcommands())),
    "sub-commands": (("lab", ""), lambda: sorted(subcommands("lab"))),
    "objective ids": (("export", "anki", "--objective", "352."), lambda: objective_ids("352.")),
    "choices": (("export", "moodle", "--format", ""), lambda: ["gift", "xml"]),
    "help topics": (("help", "l"), lambda: sorted(t for t in TOPICS if t.startswith("l"))),
    "options": (("lint", "--s"), lambda: ["--strict"]),
    "root options": (("--v",), lambda: ["--version"]),
    "a value that is anything": (("lab", "start", "--seed", ""), lambda: []),
}


@pytest.mark.parametrize("case", CASES)
def test_bash_completes(scripts: dict[str, Path], case: str) -> None:
    words, expected = CASES[case]
    assert bash_complete(scripts["bash"], *words) == expected()


def test_bash_completes_files_and_folders(scripts: dict[str, Path]) -> None:
    folder = scripts["bash"].parent
    (folder / "content-tree").mkdir()
    assert bash_complete(scripts["bash"], "export", "anki", "-o", "lpic3") == ["lpic3.bash"]
    assert bash_complete(scripts["bash"], "stats", "content") == ["content-tree"]  # PATH: folders only


def test_the_root_options_are_the_parsers() -> None:
    assert sorted(ROOT_OPTIONS) == sorted(o for a in build_parser()._actions for o in a.option_strings)


def test_zsh_accepts_the_script(scripts: dict[str, Path]) -> None:
    result = subprocess.run(["zsh", "-n", str(scripts["zsh"])], capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stderr) == (0, "")


def zsh_offers(script: Path, *words: str) -> list[str]:
    """The words the zsh function hands to compadd (or _describe) for ``words``; zsh filters them itself."""
    program = (
        'source "$1"; shift\n'
        'compadd() { shift; print -l -- "$@"; }\n'  # compadd -- WORDS
        '_describe() { print -l -- "${(@)${(P)4}%%:*}"; }\n'  # _describe -t TAG DESCR ARRAY
        'words=(lpic3 "$@"); CURRENT=$#words; _lpic3'
    )
    result = subprocess.run(
        ["zsh", "-f", "-c", program, "zsh", str(script), *words], capture_output=True, text=True, timeout=30
    )
    assert result.stderr == ""
    return sorted(line for line in result.stdout.splitlines() if line)


def test_zsh_offers_the_same_words(scripts: dict[str, Path]) -> None:
    assert zsh_offers(scripts["zsh"], "lab", "check", "351.") == lab_ids()
    assert zsh_offers(scripts["zsh"], "") == sorted(subcommands())
    assert zsh_offers(scripts["zsh"], "export", "anki", "--objective", "") == objective_ids()
    assert zsh_offers(scripts["zsh"], "export", "moodle", "--format", "") == ["gift", "xml"]


def test_zsh_completes_a_lab_id_in_a_real_shell(scripts: dict[str, Path]) -> None:
    """An interactive zsh (in a pseudo-terminal, zsh's own zpty) with compinit loading _lpic3 from
    $fpath: Tab after a unique prefix completes the lab id, and the command then gets the whole id."""
    (lab,) = [lab for lab in lab_ids() if lab.startswith("351.5-conv")]
    driver = (
        "zmodload zsh/zpty\n"
        "zpty z 'env TERM=dumb zsh -f -i'\n"
        f"zpty -w z 'bindkey -e; fpath=({scripts['zsh'].parent} $fpath); autoload -Uz compinit; compinit -u -D; "
        'lpic3() { print -r -- "GOT[${(j:,:)@}]"; }\'\n'
        "zpty -w -n z $'lpic3 lab check 351.5-conv\\t'\n"
        "zpty -w -n z $'\\n'\n"
        "zpty -r -m z out '*GOT\\[lab,*\\]*'\n"
        'print -r -- "${${out##*GOT\\[}%%\\]*}"\n'
        "zpty -d z\n"
    )
    result = subprocess.run(["zsh", "-f", "-c", driver], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"lab,check,{lab}", result.stdout[-2000:] + result.stderr[-2000:]
