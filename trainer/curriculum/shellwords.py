"""Where in a lab's shell text each ``{{placeholder}}`` stands: outside quotes, or inside quotes of
some kind, a here-document or a comment.

A parameter's value is shell-quoted where it is put into shell text (``trainer.labs.render``), so
it is one word whatever it holds. That is only right outside quotes: ``'a b'`` put inside ``"..."``
or a here-document keeps its quotes as text, and inside ``sh -c '...'`` it is parsed again. The
linter uses this to refuse a parameter whose values need quoting where a lab puts it inside quotes.

A small lexer of the shell's quoting rules (bash's, for what lab scripts use): single, double,
ANSI-C (``$'...'``) and back quotes, backslash escapes, ``$( ... )`` (outside quotes again, also
inside double quotes), comments and here-documents. It never runs anything; text it cannot follow
(an unclosed quote) leaves the rest in that quote, which errs on the side of refusing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNQUOTED = ""  # the placeholder stands outside quotes: a quoted value is one word there
SINGLE, DOUBLE, ANSI, BACK = "single quotes", "double quotes", "$'...' quotes", "back quotes"
HEREDOC = "a here-document"
COMMENT = "a comment"
_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([^\s;&|<>()]+))")
_WORD_START = " \t\n;&|()"


@dataclass(frozen=True, slots=True)
class Placed:
    name: str
    context: str  # UNQUOTED or where it is (SINGLE, DOUBLE, ... HEREDOC, COMMENT)


def placements(text: str, placeholder: re.Pattern[str]) -> list[Placed]:
    """Every match of ``placeholder`` (group 1: the name) in shell ``text``, with its quoting context."""
    return _Lexer(text, placeholder).run()


class _Lexer:
    def __init__(self, text: str, placeholder: re.Pattern[str]) -> None:
        self.text, self.placeholder = text, placeholder
        self.found: list[Placed] = []
        self.stack: list[str] = []  # open quotes; "$(" for a command substitution (unquoted inside)
        self.heredocs: list[tuple[str, bool]] = []  # delimiters waiting for the end of the line, <<- or not

    def run(self) -> list[Placed]:
        i = 0
        while i < len(self.text):
            i = self.step(i)
        return self.found

    @property
    def context(self) -> str:
        return UNQUOTED if not self.stack or self.stack[-1] == "$(" else self.stack[-1]

    def step(self, i: int) -> int:
        text, here = self.text, self.text[i]
        match = self.placeholder.match(text, i) if here == "{" else None
        if match:
            self.found.append(Placed(match.group(1), self.context))
            return match.end()
        quote = self.context
        if here == "\\" and quote != SINGLE:
            return i + 2
        if quote == SINGLE:
            return self.close_if(here == "'", i)
        if quote == ANSI:
            return self.close_if(here == "'", i)
        if quote == BACK:
            return self.close_if(here == "`", i)
        if text.startswith("$(", i):
            self.stack.append("$(")
            return i + 2
        if here == "`":
            self.stack.append(BACK)
            return i + 1
        if quote == DOUBLE:
            return self.close_if(here == '"', i)
        return self.unquoted(i)

    def close_if(self, closing: bool, i: int) -> int:
        if closing:
            self.stack.pop()
        return i + 1

    def unquoted(self, i: int) -> int:
        """A character outside quotes (at the top, or inside ``$( ... )``)."""
        text, here = self.text, self.text[i]
        if here == "'":
            self.stack.append(SINGLE)
        elif text.startswith("$'", i):
            self.stack.append(ANSI)
            return i + 2
        elif here == '"':
            self.stack.append(DOUBLE)
        elif here == "(" and self.stack:
            self.stack.append("$(")  # a ( inside $( ... ): its ) must not close the substitution
        elif here == ")" and self.stack:
            self.stack.pop()
        elif here == "#" and (i == 0 or text[i - 1] in _WORD_START):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            self.found.extend(Placed(m.group(1), COMMENT) for m in self.placeholder.finditer(text, i, end))
            return end
        elif text.startswith("<<", i) and not text.startswith("<<<", i):
            heredoc = _HEREDOC.match(text, i)
            if heredoc:
                word = next(w for w in heredoc.groups()[1:] if w is not None)
                self.heredocs.append((word, heredoc.group(1) == "-"))
                return heredoc.end()
        elif here == "\n" and self.heredocs:
            return self.bodies(i + 1)
        return i + 1

    def bodies(self, i: int) -> int:
        """The here-documents opened on the line that just ended: up to each one's delimiter line."""
        for word, tabs in self.heredocs:
            while i < len(self.text):
                end = self.text.find("\n", i)
                end = len(self.text) if end < 0 else end
                line = self.text[i:end]
                i = end + 1
                if (line.lstrip("\t") if tabs else line) == word:
                    break
                self.found.extend(Placed(m.group(1), HEREDOC) for m in self.placeholder.finditer(line))
        self.heredocs = []
        return i
