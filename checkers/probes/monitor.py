"""A QEMU monitor on a UNIX socket: the human monitor (HMP) asked a read-only ``info`` command (the
answer a learner reads after ``(qemu)``, without the banner, the echo of the typed command drawn
with terminal codes, and the next prompt), or QMP asked a ``query-*`` command (its JSON return
value, events skipped). A lab can ask QMP while the learner holds the human monitor open: each
socket takes one client at a time.

The question is asked once the monitor's prompt has come, and the answer read until the next one,
not for a fixed time (``socat -t 2`` waits two seconds a question, and a guest slowed by TCG on a
loaded machine may answer later): a monitor that does not answer makes the check "not judged" when
the command's time is up. A QMP (JSON) monitor, a peer that closes without a prompt and a socket
that is a link (another guest's monitor, made to look like this one's) are each a failed check
that says so.
"""

from __future__ import annotations

import re

from checkers.probes.matchers import Match
from checkers.probes.parsed import python_answer
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.sizes import UNIT_PATTERN, in_unit
from checkers.probes.values import MISSING, as_text, shown, walk
from checkers.session import clean_output
from checkers.shell import Shell

# Runs on the target: one question, the answer up to the prompt after it, as JSON.
_ASK = r"""
import json, os, socket, stat, sys
path, question = sys.argv[1], sys.argv[2]
try:
    info = os.lstat(path)
    if not stat.S_ISSOCK(info.st_mode):
        raise ValueError(f"{path} is not a socket")
    if info.st_nlink != 1:
        raise ValueError(f"{path} is a second name of another socket, not the guest's own")
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    data = b""
    if question.startswith("query-"):
        replies = s.makefile("rb")
        def reply():
            while True:  # events (a STOP, a job's progress) may come before the answer
                line = replies.readline()
                if not line:
                    raise ValueError(f"{path} closed the connection without an answer")
                try:
                    message = json.loads(line)
                except ValueError:
                    said = line.decode("utf-8", "replace").strip()[:80]
                    raise ValueError(f"{path} is not a QMP monitor (it said: {said})")
                if "event" not in message:
                    return message
        reply()  # the greeting
        for command in ("qmp_capabilities", question):
            s.sendall(json.dumps({"execute": command}).encode() + b"\n")
            answer = reply()
            if "error" in answer:
                raise ValueError(f"{command}: {answer['error'].get('desc', answer['error'])}")
        print(json.dumps({"answer": answer.get("return"), "qmp": True}))
        sys.exit(0)
    while b"(qemu) " not in data:
        if data.lstrip().startswith(b"{") and b"\n" in data:
            raise ValueError(f"{path} speaks QMP (JSON), not the human monitor: {data.splitlines()[0][:80]!r}")
        chunk = s.recv(65536)
        if not chunk:
            raise ValueError(f"{path} closed the connection without a prompt: {data[-80:]!r}")
        data += chunk
    s.sendall(question.encode() + b"\n")
    while data.count(b"(qemu) ") < 2:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    print(json.dumps({"answer": data.decode("utf-8", "replace")}))
except (OSError, ValueError) as e:
    print(json.dumps({"error": str(e) if isinstance(e, ValueError) else f"{path}: {e.strerror or e}"}))
"""


@probe(
    "qemu.monitor",
    "what a running QEMU's monitor answers on its UNIX socket: the human monitor (HMP) to an info command, "
    "QMP to a query command",
    socket=Arg(str, help="the monitor's UNIX socket (-monitor unix:PATH,server=on,wait=off, or -qmp for QMP)"),
    question=Arg(
        str,
        pattern=r"info [a-z_]+|query-[a-z-]+",
        help="a read-only command: info status, info name, info kvm ... (HMP); query-status, query-name ... (QMP)",
    ),
    key=Arg(
        str,
        required=False,
        help="HMP: the key of a 'key: value' line of the answer (VM status, kvm support, base memory); QMP: a "
        "dotted path into the JSON return value (status, running); without key or count, the whole answer",
    ),
    count=Arg(
        str,
        required=False,
        is_regex=True,
        not_with=("key",),
        help="instead: how many lines of the answer match this regular expression (CPU #\\d+: in info cpus; HMP)",
    ),
    unit=Arg(
        str,
        required=False,
        pattern=UNIT_PATTERN,
        help="the value, a number of bytes, in this unit (base memory in MiB: 100663296 is 96)",
    ),
    **MATCHER,
)
def qemu_monitor(
    shell: Shell,
    socket: str,
    question: str,
    key: str | None = None,
    count: str | None = None,
    unit: str | None = None,
    **match: object,
) -> Verdict:
    matcher = Match.of(match)
    asked = f"{question}: {key}" if key else f"{question}: lines matching /{count}/" if count else question
    asked += f" in {unit}" if unit else ""
    wanted = f"monitor {socket}, {asked} {matcher.describe()}"
    answer = python_answer(shell, _ASK, [socket, question], "the monitor")
    if "error" in answer:
        return Verdict(False, wanted, str(answer["error"]))
    if answer.get("qmp"):
        returned = answer.get("answer")
        value = walk(returned, key) if key else returned
        return Verdict(matcher.judge(value), wanted, f"{asked} = {shown(value)}", as_text(returned)[-2000:])
    lines = _answer_lines(str(answer.get("answer", "")))
    found: object
    if key:
        found = next((line.split(":", 1)[1].strip() for line in lines if line.split(":", 1)[0].strip() == key), MISSING)
    elif count:
        found = sum(1 for line in lines if re.search(count, line))
    else:
        found = "\n".join(lines)
    if unit and isinstance(found, str) and found.isdigit():
        found = in_unit(int(found), unit)
    return Verdict(matcher.judge(found), wanted, f"{asked} = {shown(found)}", "\n".join(lines)[-2000:])


def _answer_lines(raw: str) -> list[str]:
    """The lines between the echoed question (after the first prompt) and the next prompt."""
    lines = clean_output(raw).split("\n")
    first = next((n for n, line in enumerate(lines) if line.startswith("(qemu)")), len(lines))
    body = lines[first + 1 :]
    if body and body[-1].startswith("(qemu)"):
        body.pop()
    return [line for line in body if line.strip()]
