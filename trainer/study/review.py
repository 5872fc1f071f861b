"""Spaced review with FSRS (the scheduler modern Anki uses): a wrong or hard answer comes back soon,
an easy one later. One card per question, stored as FSRS's own JSON in the progress store."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum

from fsrs import Card, Rating, Scheduler

from trainer.study.store import Store

_SCHEDULER = Scheduler(enable_fuzzing=False)


class Recall(IntEnum):
    """How the learner answered: wrong, or right and how hard it felt."""

    WRONG = Rating.Again
    HARD = Rating.Hard
    GOOD = Rating.Good
    EASY = Rating.Easy


def schedule(store: Store, question_id: str, recall: Recall, now: dt.datetime | None = None) -> dt.datetime:
    """Update the question's card after an answer; returns when it is due again."""
    now = now or dt.datetime.now(dt.UTC)
    stored = store.card(question_id)
    card = Card.from_json(stored) if stored else Card()
    card, _ = _SCHEDULER.review_card(card, Rating(int(recall)), review_datetime=now)
    store.put_card(question_id, card.to_json(), card.due.timestamp())
    return card.due


def end_of_today(now: dt.datetime | None = None) -> float:
    """The end of the learner's local day, as a timestamp: what "later today" means."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone()
    return local.replace(hour=23, minute=59, second=59, microsecond=0).timestamp()


def due_now(store: Store, now: dt.datetime | None = None) -> list[str]:
    """The questions whose review is due: what a review session takes, and what Home counts.

    Not everything due some time today: a card answered in a review comes back minutes later (FSRS
    learning steps), so a "due today" count did not go down as reviews were done.
    """
    return store.due((now or dt.datetime.now(dt.UTC)).timestamp())


def due_later_today(store: Store, now: dt.datetime | None = None) -> int:
    """How many more reviews come due before the learner's day ends."""
    return len(store.due(end_of_today(now))) - len(due_now(store, now))
