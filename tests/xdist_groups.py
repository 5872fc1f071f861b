"""How the suite is split over pytest-xdist workers (CI runs ``-n`` workers, ``--dist loadgroup``).

A test module stays whole on one worker (its module-scoped fixtures: a built sandbox image, a
loaded curriculum, a Textual app, are made once, not once per worker), unless its tests name a group
of their own: each bundled lab's self-test is its own group (tests/test_exercises.py), so the slow
lab self-tests spread over all workers. tests/conftest.py imports the hook, which registers it.

xdist hands groups out in the order of its queue, two at first to each worker and then one to any
worker with two tests or fewer left. The queue is ordered here (pyproject.toml turns xdist's own
reordering, by group size alone, off): the long groups first, in ``_LONG_FIRST``'s order; then the
rest, the biggest first (as xdist would), the slow lab self-tests before the quick ones.
"""

from __future__ import annotations

from collections import Counter

import pytest

# Groups known to be long, in the order they start: a 20-minute group handed out last would finish
# 20 minutes after everything else. The sandbox module builds the run's image (tests/sandbox_image.py);
# the two groups of labs in the VM wait for it, so two groups that need no image start before them.
_LONG_FIRST = (
    "test_sandbox.py",
    "test_sandbox_rootless.py",
    "class-machines",
    "sandbox-system-labs",
    "sandbox-container-labs",
)
# a lab self-test needing these takes minutes
_SLOW_LAB_NEEDS = ("vagrant", "libvirt", "docker", "podman", "lxc", "libguestfs", "guest-kit")


def _group(item: pytest.Item) -> str:
    marker = item.get_closest_marker("xdist_group")
    return str(marker.args[0]) if marker is not None and marker.args else ""


def _lab_rank(item: pytest.Item) -> int:
    if not _group(item).startswith("lab-"):
        return 2
    callspec = getattr(item, "callspec", None)  # a parametrised test's values
    requires = getattr(callspec.params.get("exercise") if callspec else None, "requires", ())
    return 0 if any(need in requires for need in _SLOW_LAB_NEEDS) else 1


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0].removeprefix("tests/")))
    sizes = Counter(_group(item) for item in items)

    def order(item: pytest.Item) -> tuple[int, int, int]:
        group = _group(item)
        if group in _LONG_FIRST:
            return (0, _LONG_FIRST.index(group), 0)
        return (1, -sizes[group], _lab_rank(item))

    items.sort(key=order)  # stable: within a group, the collection order; the same on every worker
