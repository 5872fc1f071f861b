"""Opening the progress store for a command: the one way commands open it, so none can drop its notice."""

from __future__ import annotations

import sys

from trainer.study.store import Store


def open_store() -> Store:
    """The learner's progress store. A broken file moved aside is said on stderr, once, before the
    command's own output; a store that cannot be used raises StoreError (one line from ``cli.main``)."""
    store = Store.open()
    if store.notice:
        print(f"lpic3: {store.notice}", file=sys.stderr)
    return store
