"""``lpic3 serve``: the trainer in a real browser. The test starts the real command, opens it in
headless Chromium (Debian's package) driven over the DevTools protocol, waits for the home screen,
presses Enter to open the first lesson as a learner would, reads the lesson's text from the page's
terminal and checks a screenshot shows something. Every process it starts runs in a process group
of its own and that group is killed at the end."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from base64 import b64decode
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from trainer.cli import main
from trainer.commands.serve import is_loopback

SCREENSHOT = Path("/tmp/lpic3-serve.png")
# Runs in the page before its own scripts: keeps every object assigned to a ``terminal`` property (the
# page's xterm.js Terminal), so the test can read the text the terminal shows from its buffer.
_CAPTURE_TERMINAL = """
window.__lpic3Terminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer) window.__lpic3Terminals.push(value);
  },
});
"""
_SCREEN_TEXT = """(() => {
  const term = window.__lpic3Terminals && window.__lpic3Terminals[0];
  if (!term) return "";
  const buffer = term.buffer.active, lines = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
})()"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process_group(argv: list[str], **kwargs: Any) -> Iterator[subprocess.Popen[str]]:
    """A process in a session (and process group) of its own; the whole group is killed afterwards."""
    proc = subprocess.Popen(argv, start_new_session=True, text=True, **kwargs)
    try:
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=5)
                time.sleep(0.2)  # let the group's other members (the trainer under the server) go too
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def serve(home: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], int, str]]:
    """``python -m trainer serve`` on a free port with its own LPIC3_HOME; yields it, the port and
    what it printed before listening."""
    port = free_port()
    argv = [sys.executable, "-m", "trainer", "serve", "--port", str(port), *args]
    env = {**os.environ, "LPIC3_HOME": str(home)}
    with process_group(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        assert proc.stdout is not None
        banner = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.2)
        else:
            pytest.fail(f"lpic3 serve did not answer on port {port} within 30 s")
        # everything before listening was printed and flushed at once, before the port answered
        if select.select([proc.stdout], [], [], 2)[0]:
            banner = os.read(proc.stdout.fileno(), 1 << 16).decode()
        yield proc, port, banner


class DevTools:
    """A Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
    messages ended by NUL): the standard library is all it needs."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self.to_browser, self.from_browser = to_browser, from_browser
        self.buffer = b""
        self.next_id = 0

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 20
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    assert "error" not in reply, (method, reply["error"])
                    return reply.get("result", {})
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self.from_browser], [], [], left)[0], f"no answer to {method}"
            chunk = os.read(self.from_browser, 1 << 20)
            assert chunk, "the browser closed its pipe"
            self.buffer += chunk


@contextmanager
def chromium(profile: Path) -> Iterator[DevTools]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("needs Debian's chromium package (apt-get install chromium; .ci/run installs it)")
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()

    def wire_pipes() -> None:  # in the child: fd 3 reads our commands, fd 4 carries its replies
        os.dup2(commands_read, 3)
        os.dup2(replies_write, 4)

    argv = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--remote-debugging-pipe",
        f"--user-data-dir={profile}",
        "--window-size=1100,700",
        "--no-first-run",
        "about:blank",
    ]
    with process_group(
        argv, pass_fds=(3, 4), preexec_fn=wire_pipes, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ):
        os.close(commands_read)
        os.close(replies_write)
        try:
            yield DevTools(commands_write, replies_read)
        finally:
            os.close(commands_write)
            os.close(replies_read)


def screen_text(tools: DevTools, session: str) -> str:
    return str(
        tools.call("Runtime.evaluate", {"expression": _SCREEN_TEXT, "returnByValue": True}, session)["result"].get(
            "value", ""
        )
    )


def wait_for_screen(tools: DevTools, session: str, *needles: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    text = ""
    while time.monotonic() < deadline:
        text = screen_text(tools, session)
        if all(n in text for n in needles):
            return text
        time.sleep(0.3)
    pytest.fail(f"the browser never showed {needles}; it showed:\n{text}")


def press(tools: DevTools, session: str, key: str, code: int, text: str = "") -> None:
    for kind in ("keyDown", "keyUp"):
        event: dict[str, Any] = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
        if text and kind == "keyDown":
            event["text"] = text
        tools.call("Input.dispatchKeyEvent", event, session)


def png_colours(data: bytes) -> int:
    """How many distinct colours an 8-bit RGB or RGBA PNG has (a decoder in a few lines: no Pillow here)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(chunks)
    stride = width * step
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        kind_byte = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                corner = previous[i - step] if i >= step else 0
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        colours.update(bytes(line[i : i + 3]) for i in range(0, stride, step * 7))  # every 7th pixel
        previous = line
    return len(colours)


def lesson_marks(lesson: Path) -> tuple[str, str]:
    """The lesson's title (front matter) and its first section heading, as the trainer shows them."""
    text = lesson.read_text(encoding="utf-8")
    title = re.search(r"^title: *(.+)$", text, re.MULTILINE)
    heading = re.search(r"^## +(.+)$", text, re.MULTILINE)
    assert title and heading, lesson
    return title.group(1).strip().strip("\"'"), heading.group(1).strip()


def test_the_trainer_opens_a_lesson_in_a_real_browser(tmp_path: Path) -> None:
    with serve(tmp_path / "home") as (server, port, banner), chromium(tmp_path / "profile") as tools:
        assert f"the trainer is at http://127.0.0.1:{port}" in banner
        assert "Anyone who can reach port" in banner and "WARNING" not in banner
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tools.call("Page.enable", {}, session)
        tools.call("Page.addScriptToEvaluateOnNewDocument", {"source": _CAPTURE_TERMINAL}, session)
        tools.call("Page.navigate", {"url": f"http://127.0.0.1:{port}/"}, session)
        started = time.monotonic()
        home = wait_for_screen(tools, session, "Readiness:", "351.1", "353.4", within=45)
        print(f"home screen after {time.monotonic() - started:.1f} s")
        assert "lpic3" in home
        tools.call("Runtime.evaluate", {"expression": "window.__lpic3Terminals[0].focus()"}, session)
        press(tools, session, "Enter", 13, "\r")  # the first objective is highlighted: Enter opens its lesson
        title, heading = lesson_marks(REPO / "content" / "351.1" / "lesson.md")
        lesson = wait_for_screen(tools, session, f"351.1 {title}", heading)
        assert "Readiness:" not in lesson
        print(f"lesson after {time.monotonic() - started:.1f} s")
        time.sleep(0.5)  # the screen text is in the buffer: let the renderer paint it
        shot = b64decode(tools.call("Page.captureScreenshot", {"format": "png"}, session)["data"])
        SCREENSHOT.write_bytes(shot)
        assert png_colours(shot) > 8, "the screenshot is blank"
        assert server.poll() is None
        assert (tmp_path / "home").is_dir()  # the trainer in the page used the server's LPIC3_HOME


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "trainer", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"lpic3: port {port} is in use on 127.0.0.1: choose another with --port"]
    assert result.stdout == ""


def test_an_address_this_machine_does_not_have_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert main(["serve", "--host", "192.0.2.7", "--port", str(port)]) == 2  # TEST-NET-1: never ours
    assert capsys.readouterr().err == f"lpic3: cannot listen on 192.0.2.7:{port}: Cannot assign requested address\n"
    assert main(["serve", "--host", "nosuch.invalid", "--port", str(port)]) == 2
    assert capsys.readouterr().err.startswith("lpic3: cannot listen on nosuch.invalid: ")


def test_listening_beyond_this_machine_is_a_loud_warning(tmp_path: Path) -> None:
    with serve(tmp_path / "home", "--host", "0.0.0.0") as (_, port, banner):
        assert f"the trainer is at http://127.0.0.1:{port} here and at this machine's other addresses" in banner
        assert "Anyone who can reach port" in banner
        assert (
            f"WARNING: 0.0.0.0 is not the loopback address: other machines on the network can reach port {port}"
            in banner
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            html = page.read().decode()
        # the page's websocket names the address the browser used, not the 0.0.0.0 it cannot reach
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        # and nothing in it comes from anywhere but this server (the trainer works offline)
        links = re.findall(r"(?:href|src|url)\s*[=(]\s*[\"']?(https?://[^\"' )>]+)", html)
        assert links and all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links


def test_what_counts_as_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.0.2.7")
