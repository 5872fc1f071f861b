"""How the suite is split over pytest-xdist workers (CI runs ``-n`` workers, ``--dist loadgroup``).

A test module stays whole on one worker (its module-scoped fixtures: a built sandbox image, a
loaded curriculum, a Textual app, are made once, not once per worker), unless its tests name a group
of their own: each bundled lab's self-test is its own group (tests/test_exercises.py), so the slow
lab self-tests spread over all workers. tests/conftest.py imports the hook, which registers it.
"""

from __future__ import annotations

import pytest

# Groups known to be long, started first: xdist hands out groups in the order they are collected, and
# a 20-minute group handed out last would finish 20 minutes after everything else.
_LONG_FIRST = (
    "test_sandbox.py",
    "sandbox-system-labs",
    "sandbox-container-labs",
    "test_sandbox_rootless.py",
    "class-machines",
)
# a lab self-test needing these takes minutes
_SLOW_LAB_NEEDS = ("vagrant", "libvirt", "docker", "podman", "lxc", "libguestfs", "guest-kit")


def _rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("xdist_group")
    group = str(marker.args[0]) if marker is not None and marker.args else ""
    if group in _LONG_FIRST:
        return 0
    if group.startswith("lab-"):
        callspec = getattr(item, "callspec", None)  # a parametrised test's values
        requires = getattr(callspec.params.get("exercise") if callspec else None, "requires", ())
        return 1 if any(need in requires for need in _SLOW_LAB_NEEDS) else 2
    return 3


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0].removeprefix("tests/")))
    items.sort(key=_rank)  # stable: within a rank, the collection order; the same on every worker
