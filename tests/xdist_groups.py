"""How the suite is split over pytest-xdist workers (CI runs ``-n`` workers, ``--dist loadgroup``).

A test module stays whole on one worker (its module-scoped fixtures: a built sandbox image, a
loaded curriculum, a Textual app, are made once, not once per worker), unless its tests name a group
of their own: each bundled lab's self-test is its own group (tests/test_exercises.py), so the slow
lab self-tests spread over all workers. tests/conftest.py imports the hook, which registers it.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0].removeprefix("tests/")))
