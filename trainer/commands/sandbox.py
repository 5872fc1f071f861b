"""``lpic3 sandbox build|up|shell|status|reset|down|destroy``: lpic3's own disposable lab machine."""

from __future__ import annotations

import argparse
import json
import os
import sys

from trainer.errors import SandboxError
from trainer.sandbox.build import build
from trainer.sandbox.files import HOSTNAME, SandboxFiles, sudo_invoker
from trainer.sandbox.progress import TerminalBar
from trainer.sandbox.vm import destroy, down, reset, status, up

MODES = {
    "cold": "cold boot",
    "restored": "restored from the saved ready state",
    "xen": "Xen mode (a dom0 under the Xen hypervisor, cold boot)",
}


def _say(text: str) -> None:
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    """One action; its SandboxError (BuildError ...) reaches ``cli.main``. A file of the sandbox's
    that cannot be read or written (a data folder that is a file, or read-only) is a SandboxError
    naming it, not a crash."""
    files = SandboxFiles.default()
    try:
        _act(files, args)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise SandboxError(f"cannot use the sandbox's files ({where}{exc.strerror or exc})") from None
    return 0


def _act(files: SandboxFiles, args: argparse.Namespace) -> None:
    action = args.sandbox_command
    if action == "build":
        owner, terminal = sudo_invoker(), TerminalBar()
        seconds = build(
            owner.sandbox() if owner else files, terminal.say, args.explain, args.mirror, owner, terminal.draw
        )
        print(f"image built in {seconds:.0f} s")
    elif action == "up":
        terminal = TerminalBar()
        up(files, terminal.say, args.explain, xen=args.xen, bar=terminal.draw)
    elif action == "reset":
        terminal = TerminalBar()
        reset(files, terminal.say, args.explain, bar=terminal.draw)
    elif action == "down":
        down(files, _say)
    elif action == "destroy":
        destroy(files, _say)
    elif action == "status":
        info = status(files)
        if args.json:
            json.dump(info, sys.stdout, indent=2)
            print()
        else:
            print(
                f"image: {'built' if info['built'] else 'not built'} ({info['image']}"
                + (f", {info['image_mib']} MiB)" if info["image_mib"] else ")")
                + ("" if info["up_to_date"] or not info["built"] else "; out of date: `lpic3 sandbox build`")
            )
            print(
                f"VM: {'running, pid ' + str(info['pid']) if info['running'] else 'not running'}"
                + (f", SSH on 127.0.0.1:{info['ssh_port']}, -accel {info['accel']}" if info["running"] else "")
                + (f", {MODES.get(str(info['mode']), info['mode'])}" if info["running"] and info["mode"] else "")
            )
            saved = info["saved_state_mib"]
            none = "none (the next up boots cold and saves one)"
            print(f"saved ready state: {f'{saved} MiB (up and reset restore it)' if saved else none}")
    elif action == "shell":
        if not status(files)["running"]:
            raise SandboxError("the sandbox is not running: `lpic3 sandbox up`")
        try:
            os.execvp("ssh", ["ssh", "-F", str(files.ssh_config), HOSTNAME])
        except FileNotFoundError:
            raise SandboxError("ssh is not installed (apt-get install openssh-client)") from None
