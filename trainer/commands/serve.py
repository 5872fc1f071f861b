"""``lpic3 serve``: the trainer in a web browser, for a machine without a good terminal or a projector.

textual-serve runs one ``python -m trainer`` per browser tab (the same TUI, drawn by xterm.js in the
page) with this process's environment, so it uses the same interpreter and the same ``LPIC3_HOME``.
There is no login: whoever reaches the port uses the trainer with this user's progress. So it
listens on the loopback address unless told otherwise and says so before it starts. The port is
bound once first, so a port in use is one line rather than a traceback from inside the web server.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import re
import shlex
import socket
import sys
from typing import TYPE_CHECKING, Any

from trainer.errors import UsageError
from trainer.paths import user_data_dir

if TYPE_CHECKING:
    from textual_serve.server import Server


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="the trainer in a web browser (textual-serve)",
        description="Serve the trainer to a web browser: each tab runs the same trainer as `lpic3`, with "
        "your progress. There is no login: anyone who can reach the port can use it.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="the port to listen on (default: 8000)")


def run(args: argparse.Namespace) -> int:
    _check_port_free(args.host, args.port)
    if _every_address(args.host):
        where = f"http://127.0.0.1:{args.port} here and at this machine's other addresses"
    else:
        where = f"http://{_url_host(args.host)}:{args.port}"
    print(f"lpic3 serve: the trainer is at {where} (Ctrl+C stops it)")
    print(
        f"Anyone who can reach port {args.port} can use the trainer, with the progress in {user_data_dir()}; "
        "there is no password. One tab at a time: while one is open, another stays blank "
        "(one trainer window per data folder; this console says so)."
    )
    if not is_loopback(args.host):
        print(
            f"WARNING: {args.host} is not the loopback address: other machines on the network can reach "
            f"port {args.port} and use the trainer. Use --host 127.0.0.1 unless that is what you want."
        )
    sys.stdout.flush()
    _server(args.host, args.port).serve()
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def _every_address(host: str) -> bool:
    """0.0.0.0, :: or an empty host: the server listens on all of this machine's addresses."""
    try:
        return not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _check_port_free(host: str, port: int) -> None:
    """Bind ``host:port`` (as the web server will, with SO_REUSEADDR) and let go; UsageError if it cannot."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                where = f"{_url_host(host)}:{port}"
                if exc.errno == errno.EADDRINUSE:
                    raise UsageError(f"port {port} is in use on {host}: choose another with --port") from None
                raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None


_WEB_FONT = re.compile(r"<link[^>]*https://fonts\.googleapis\.com[^>]*>\s*")


def _server(host: str, port: int) -> Server:
    """A textual-serve server running this trainer (imported here: ``lpic3 --help`` stays light)."""
    from textual_serve.server import Server

    class TrainerServer(Server):
        """Links in the page name the address the browser used, so a server listening on every
        address (0.0.0.0) works from other machines, not only from ``http://0.0.0.0``."""

        async def handle_index(self, request: Any) -> Any:  # aiohttp's Request and Response
            self.public_url = f"{request.scheme}://{request.host}"
            response: Any = await super().handle_index(request)  # a web.Response from the template
            # An offline trainer fetches nothing from the internet: the page's web font link goes (the
            # terminal falls back to the browser's monospace font).
            response.text = _WEB_FONT.sub("", response.text)
            return response

        async def on_startup(self, app: Any) -> None:  # the banner and URL are printed by ``run``
            pass

    command = f"{shlex.quote(sys.executable)} -m trainer"
    return TrainerServer(command, host=host, port=port, title="lpic3")
