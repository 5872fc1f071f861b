"""What questions and exercises share: an id, an objective that matches the folder, official terms."""

from __future__ import annotations

import re

from trainer.curriculum.fields import Fields
from trainer.curriculum.model import Objective
from trainer.curriculum.quoting import excerpt
from trainer.curriculum.terms import term_index

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def item_objective(f: Fields, folder: str, objectives: dict[str, Objective]) -> Objective | None:
    """The item's objective, which must be one of the official ones and match the item's folder."""
    oid = f.objective_id()
    if oid is None:
        return None
    objective = objectives.get(oid)
    if objective is None:
        f.problem("objective", f"objective {excerpt(oid)} is not one of the {len(objectives)}: {', '.join(objectives)}")
    elif oid != folder:
        f.problem("objective", f"objective {excerpt(oid)} does not match its folder {folder!r}")
    return objective


def resolve_terms(f: Fields, objective: Objective | None) -> tuple[str, ...]:
    """The official texts of the terms named in ``terms:`` (by official text or alias, any case)."""
    names = f.strings("terms")
    if names is None or objective is None:
        return ()
    index = term_index(objective)
    if not names and index:
        f.problem("terms", f"'terms' is empty: name the terms of {objective.id} this covers")
    resolved = []
    for name in names:
        official = index.get(name.casefold())
        if official is None:
            f.problem("terms", f"{excerpt(name)} is not a term of {objective.id} (see content/objectives.yaml)")
        elif official not in resolved:
            resolved.append(official)
    return tuple(resolved)
