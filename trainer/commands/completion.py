"""``lpic3 completion bash|zsh``: a shell completion script for lpic3's commands, options, lab ids
and objective ids.

Everything a completion offers is embedded in the script when it is generated: the commands and
options come from the argparse parser itself (the one ``lpic3 --help`` shows), the lab and
objective ids from the bundled curriculum. Pressing Tab then runs a few lines of shell and never
starts Python, so it stays instant; the price is that the ids are those of the lpic3 that made the
script: generate it again after an update.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh")
# The root parser's own options; not reachable from a sub-parser (tests/test_completion.py checks them).
ROOT_OPTIONS = ("-h", "--help", "--version")
_FILE_WORDS = ("FILE", ".yaml", ".apkg", ".xml")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    completion = sub.add_parser(
        "completion",
        help="a shell completion script for bash or zsh",
        description="Print a completion script (commands, options, lab ids, objective ids). bash: "
        "`lpic3 completion bash > ~/.local/share/bash-completion/completions/lpic3`; zsh: "
        '`lpic3 completion zsh > "${fpath[1]}/_lpic3"` (any folder in $fpath). Make it again after '
        "updating lpic3: the ids are written into the script.",
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell the script is for")
    # The sub-parsers of every command, read when the script is made (all are added by then).
    completion.set_defaults(completion_commands=sub)


def run(args: argparse.Namespace) -> int:
    from trainer import __version__
    from trainer.commands.helptopics import TOPICS
    from trainer.commands.tree import load_tree

    cur = load_tree(None)  # a tree with content errors still has its ids
    spec = Spec({"labs": [e.id for e in cur.exercises], "objectives": list(cur.objectives), "topics": list(TOPICS)})
    spec.add("lpic3", args.completion_commands, ROOT_OPTIONS)
    print((bash_script if args.shell == "bash" else zsh_script)(spec, __version__), end="")
    return 0


@dataclass
class Spec:
    """What completes where, by command path ("lpic3", "lpic3 lab", "lpic3 lab check"): sub-commands with their help,
    options, the kind of value an option takes, the kinds of the positionals, and the words of
    each kind (``labs``, ``objectives``, help ``topics``, and one list per set of argparse choices). ``files`` and
    ``dirs`` are completed by the shell."""

    words: dict[str, list[str]]
    commands: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    takes: dict[str, str] = field(default_factory=dict)  # "path|--option": kind
    positionals: dict[str, list[str]] = field(default_factory=dict)  # a trailing "*": repeats

    def add(
        self, path: str, subparsers: argparse._SubParsersAction[argparse.ArgumentParser], options: tuple[str, ...]
    ) -> None:
        """The commands of ``subparsers`` under ``path``, and recursively theirs."""
        self.options[path] = list(options)
        helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
        self.commands[path] = {name: helps.get(name, "") for name in subparsers.choices}
        for name, parser in subparsers.choices.items():
            self._add_parser(f"{path} {name}", parser)

    def _add_parser(self, path: str, parser: argparse.ArgumentParser) -> None:
        self.options[path] = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                self.add(path, action, tuple(self.options[path]))
            elif action.option_strings:
                self.options[path] += action.option_strings
                if action.nargs != 0:
                    for option in action.option_strings:
                        self.takes[f"{path}|{option}"] = self._kind(action)
            else:
                repeats = "*" if action.nargs in ("*", "+") else ""
                self.positionals.setdefault(path, []).append(self._kind(action) + repeats)

    def _kind(self, action: argparse.Action) -> str:
        """What a value of ``action`` is: choices, a lab id, an objective id, a help topic, a folder, a file,
        or anything."""
        if action.choices is not None:
            choices = [str(choice) for choice in action.choices]
            for kind, words in self.words.items():
                if words == choices:
                    return kind
            kind = f"choices{len(self.words)}"
            self.words[kind] = choices
            return kind
        metavar = str(action.metavar or action.dest)
        if action.dest in ("id", "ids"):
            return "labs"
        if action.dest == "objective":
            return "objectives"
        if action.dest == "topic":
            return "topics"
        if action.dest == "path":
            return "dirs"
        if any(word in metavar for word in _FILE_WORDS) or action.dest in ("output", "sheet", "answers"):
            return "files"
        return "none"


def _bash_table(name: str, table: dict[str, str]) -> str:
    entries = " ".join(f"[{shlex.quote(key)}]={shlex.quote(value)}" for key, value in table.items())
    return f"declare -gA {name}=({entries})"


def _tables(spec: Spec) -> dict[str, dict[str, str]]:
    return {
        "_lpic3_commands": {path: " ".join(names) for path, names in spec.commands.items()},
        "_lpic3_options": {path: " ".join(options) for path, options in spec.options.items()},
        "_lpic3_takes": spec.takes,
        "_lpic3_positionals": {path: " ".join(kinds) for path, kinds in spec.positionals.items()},
        "_lpic3_words": {kind: " ".join(words) for kind, words in spec.words.items()},
    }


# Shared by both shells (bash and zsh read it alike): find the command path and the kind of word
# wanted at the cursor. Inputs: line (the words, the command name first), at (the cursor's index
# in it, 0-based). Sets path and kind.
_WALK = """\
    local word i=1 npos=0 kinds
    path=lpic3 kind=''
    while (( i < at )); do
        word=${line[i]}
        if [[ $word == -* ]]; then
            if [[ $word != *=* && -n ${_lpic3_takes[$path|$word]-} ]]; then
                if (( i + 1 == at )); then kind=${_lpic3_takes[$path|$word]}; return; fi
                i=$((i + 1))
            fi
        elif [[ " ${_lpic3_commands[$path]-} " == *" $word "* ]]; then
            path="$path $word"; npos=0
        else
            npos=$((npos + 1))
        fi
        i=$((i + 1))
    done
    if [[ ${line[at]} == -* ]]; then kind=options
    elif [[ -n ${_lpic3_commands[$path]-} ]]; then kind=commands
    else
        kinds=(${_lpic3_positionals[$path]-})
        if (( npos < ${#kinds[@]} )); then kind=${kinds[npos]}
        elif [[ ${kinds[-1]-} == *'*' ]]; then kind=${kinds[-1]}
        fi
    fi
    kind=${kind%'*'}
"""

_BASH = """\
# bash completion for lpic3 {version}, made by `lpic3 completion bash`: commands, options, lab ids
# and objective ids of the bundled curriculum. Make it again after updating lpic3.
{tables}

_lpic3_where() {{
{walk}}}

_lpic3() {{
    local line=("${{COMP_WORDS[@]}}") at=$COMP_CWORD cur=${{COMP_WORDS[COMP_CWORD]}} path kind IFS=$'\\n'
    _lpic3_where
    case $kind in
        options) COMPREPLY=($(IFS=' '; compgen -W "${{_lpic3_options[$path]-}}" -- "$cur")) ;;
        commands) COMPREPLY=($(IFS=' '; compgen -W "${{_lpic3_commands[$path]}}" -- "$cur")) ;;
        files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
        ''|none) COMPREPLY=() ;;
        *) COMPREPLY=($(IFS=' '; compgen -W "${{_lpic3_words[$kind]-}}" -- "$cur")) ;;
    esac
}}
complete -F _lpic3 lpic3
"""


def bash_script(spec: Spec, version: str) -> str:
    tables = "\n".join(_bash_table(name, table) for name, table in _tables(spec).items())
    return _BASH.format(version=version, tables=tables, walk=_WALK)


_ZSH = """\
#compdef lpic3
# zsh completion for lpic3 {version}, made by `lpic3 completion zsh`: commands, options, lab ids
# and objective ids of the bundled curriculum. Make it again after updating lpic3.
# Put it in a folder of $fpath as _lpic3 (before compinit runs), or source it after compinit.
typeset -gA {names}
{tables}

_lpic3_where() {{
    setopt localoptions ksharrays shwordsplit  # read the shared lines as bash does
{walk}}}

_lpic3() {{
    local -a line=("${{words[@]}}") described
    local at=$((CURRENT - 1)) path kind name
    _lpic3_where
    case $kind in
        options) compadd -- ${{=_lpic3_options[$path]}} ;;
        commands)
            for name in ${{=_lpic3_commands[$path]}}; do described+=("$name:${{_lpic3_help[$path|$name]}}"); done
            _describe -t commands 'lpic3 command' described ;;
        files) _files ;;
        dirs) _files -/ ;;
        ''|none) return 1 ;;
        *) compadd -- ${{=_lpic3_words[$kind]}} ;;
    esac
}}

if [[ ${{funcstack[1]-}} == _lpic3 ]]; then
    _lpic3 "$@"  # autoloaded from $fpath by compinit
elif (( $+functions[compdef] )); then
    compdef _lpic3 lpic3
fi
"""


def _zsh_table(name: str, table: dict[str, str]) -> str:
    entries = " ".join(f"{shlex.quote(key)} {shlex.quote(value)}" for key, value in table.items())
    return f"{name}=({entries})"


def zsh_script(spec: Spec, version: str) -> str:
    tables = _tables(spec)
    tables["_lpic3_help"] = {
        f"{path}|{name}": " ".join(text.split())
        for path, names in spec.commands.items()
        for name, text in names.items()
    }
    return _ZSH.format(
        version=version,
        names=" ".join(tables),
        tables="\n".join(_zsh_table(name, table) for name, table in tables.items()),
        walk=_WALK,
    )
