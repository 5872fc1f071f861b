"""The class's student machines, read from an Ansible inventory by ansible-core itself.

An instructor already keeps the lab VMs in an inventory (INI or YAML: groups, children, host ranges
such as ``student[01:24]``, ``ansible_host``/``ansible_port``/``ansible_user``/
``ansible_ssh_private_key_file``, group vars). Its format has many corners, so lpic3 does not parse
it: ansible-core's ``InventoryManager`` does, exactly as ``ansible-inventory --list`` would, and
``--limit`` takes Ansible's own host patterns. ansible-core is an optional extra
(``lpic3-trainer[class]``); without it the class commands say how to install it.

Only the ``ini`` and ``yaml`` inventory plugins are enabled: the ``script`` plugin would run an
executable inventory file, which a grading tool must not do behind the instructor's back. A file no
plugin can read is an error naming the file (and the line, when ansible knows it), never ansible's
warning followed by an empty class.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.errors import UsageError
from trainer.paths import user_data_dir

INSTALL_HINT = "pip install 'lpic3-trainer[class]' (or, in a source checkout, .venv/bin/pip install ansible-core)"
_YAML_SUFFIXES = (".yml", ".yaml", ".json")


@dataclass(frozen=True, slots=True)
class Student:
    """One student machine: its inventory name and how to reach it over SSH."""

    name: str
    host: str
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        """The ``ssh://`` target naming this machine (lpic3's lab targets take these)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"ssh://{self.user + '@' if self.user else ''}{shown}:{self.port}"


def read_inventory(path: str | Path, limit: str | None = None) -> list[Student]:
    """The students of the inventory at ``path`` (those ``limit``, an Ansible host pattern, matches),
    in inventory order. A UsageError says in one line what is wrong: ansible-core missing, a file
    that is not there or does not parse, a pattern matching nobody, a host var that is not usable."""
    source = Path(path).expanduser()
    if not source.is_file():
        raise UsageError(f"inventory {source}: no such file")
    manager = _parse(source)
    pattern = limit or "all"
    try:
        hosts = manager.get_hosts(pattern)
    except Exception as exc:  # ansible's own errors for a pattern it cannot read
        raise UsageError(f"--limit {pattern!r}: {_first_line(exc)}") from None
    if not hosts:
        if limit:
            raise UsageError(f"--limit {limit!r} matches no host of inventory {source}")
        raise UsageError(f"inventory {source} holds no hosts")
    return [_student(host, source) for host in hosts]


def _parse(source: Path) -> Any:
    """ansible-core's InventoryManager on ``source``; its plugins' failures become one UsageError."""
    with _ansible_settings():
        try:
            import ansible.inventory.manager as manager_module
            from ansible.parsing.dataloader import DataLoader
        except ImportError:
            raise UsageError(f"reading an Ansible inventory needs ansible-core: {INSTALL_HINT}") from None
        failures: list[tuple[str, BaseException]] = []
        real_display = manager_module.display
        manager_module.display = _CollectingDisplay(real_display, failures)
        try:
            return manager_module.InventoryManager(loader=DataLoader(), sources=[str(source)])
        except Exception as exc:
            raise UsageError(_parse_failure(source, failures, exc)) from None
        finally:
            manager_module.display = real_display


class _CollectingDisplay:
    """ansible's display with the per-plugin parse failures kept (ansible would print them as
    warnings and go on): the one that matters becomes lpic3's error line."""

    def __init__(self, real: Any, failures: list[tuple[str, BaseException]]) -> None:
        self._real, self._failures = real, failures

    def error_as_warning(self, msg: str, exception: BaseException, **_: Any) -> None:
        found = re.search(r"'(\w+)' plugin", msg)
        self._failures.append((found.group(1) if found else "", exception))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _parse_failure(source: Path, failures: list[tuple[str, BaseException]], raised: BaseException) -> str:
    """One line: the failure of the plugin for this file's format (yaml for .yml/.yaml/.json, else
    ini), with file:line when ansible knows the line."""
    if not failures:
        return f"inventory {source}: {_first_line(raised)}"
    wanted = "yaml" if source.suffix.lower() in _YAML_SUFFIXES else "ini"
    plugin, exc = next(((p, e) for p, e in failures if p == wanted), failures[0])
    where = str(source)
    seen: BaseException | None = exc
    while seen is not None:  # the innermost error that knows a line number names it
        origin = getattr(seen, "obj", None)
        line = getattr(origin, "line_num", None)
        if line:
            where = f"{getattr(origin, 'path', None) or source}:{line}"
        seen = seen.__cause__ or seen.__context__
    message = _first_line(exc)
    message = re.sub(r"^Failed to parse inventory: ", "", message)
    return f"inventory {where}: not a valid {plugin or 'Ansible'} inventory: {message}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return (text.splitlines() or ["unknown error"])[0][:300]


@contextmanager
def _ansible_settings() -> Iterator[None]:
    """ansible-core's settings for reading an inventory (its configuration comes from the
    environment, read when its constants are first imported): only the ini and yaml plugins, a
    file no plugin reads is a failure, no implicit localhost warning, and its home and temporary
    folders inside lpic3's data folder instead of ~/.ansible."""
    home = user_data_dir() / "class" / "ansible"
    wanted = {
        "ANSIBLE_INVENTORY_ENABLED": "yaml,ini",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_HOST_PATTERN_MISMATCH": "ignore",
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_NOCOLOR": "true",
    }
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _student(host: Any, source: Path) -> Student:
    """A Student from an ansible Host: its own vars over its groups' vars, as ansible combines them."""
    from ansible.inventory.helpers import get_group_vars
    from ansible.utils.vars import combine_vars

    values = combine_vars(get_group_vars(host.get_groups()), host.get_vars())
    name = str(host.name)
    port_text = values.get("ansible_port", values.get("ansible_ssh_port", 22))
    try:
        port = int(port_text)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise UsageError(f"inventory {source}: host {name}: ansible_port must be a number from 1 to 65535")
    user = values.get("ansible_user", values.get("ansible_ssh_user"))
    key = values.get("ansible_ssh_private_key_file", values.get("ansible_private_key_file"))
    for var, text in (("ansible_host", values.get("ansible_host")), ("ansible_user", user), ("key file", key)):
        if text is not None and "{{" in str(text):
            raise UsageError(f"inventory {source}: host {name}: {var} is a template; lpic3 needs a plain value")
    return Student(
        name=name,
        host=str(values.get("ansible_host", values.get("ansible_ssh_host", name))),
        port=port,
        user=str(user) if user is not None else None,
        key_file=str(Path(str(key)).expanduser()) if key else None,
        groups=tuple(sorted(str(g.name) for g in host.get_groups() if g.name != "all")),
    )
