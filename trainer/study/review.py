"""Spaced review with FSRS (the scheduler modern Anki uses): a wrong or hard answer comes back soon,
an easy one later. One card per question, stored as FSRS's own JSON in the progress store; and one
per lab, ``lab:<id>`` in the same table: a passed lab comes back too, to be done again by hand with
new random values (hands-on skill fades like any other)."""

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


LAB_CARD = "lab:"  # the prefix of a lab's card id: questions' ids never start with it


def schedule(store: Store, question_id: str, recall: Recall, now: dt.datetime | None = None) -> dt.datetime:
    """Update the question's card after an answer; returns when it is due again."""
    now = now or dt.datetime.now(dt.UTC)
    stored = store.card(question_id)
    card = Card.from_json(stored) if stored else Card()
    card, _ = _SCHEDULER.review_card(card, Rating(int(recall)), review_datetime=now)
    store.put_card(question_id, card.to_json(), card.due.timestamp())
    return card.due


def schedule_lab(store: Store, exercise_id: str, hints: int, now: dt.datetime | None = None) -> dt.datetime:
    """A lab passed: it comes back later, sooner when hints were needed (a pass without help is a
    good recall, with help a hard one); returns when it is due again."""
    return schedule(store, LAB_CARD + exercise_id, Recall.GOOD if hints == 0 else Recall.HARD, now)


def end_of_today(now: dt.datetime | None = None) -> float:
    """The end of the learner's local day, as a timestamp: what "later today" means."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone()
    return local.replace(hour=23, minute=59, second=59, microsecond=0).timestamp()


def due_now(store: Store, now: dt.datetime | None = None) -> list[str]:
    """The questions whose review is due: what a review session takes, and what Home counts.

    Not everything due some time today: a card answered in a review comes back minutes later (FSRS
    learning steps), so a "due today" count did not go down as reviews were done.
    """
    return [i for i in store.due((now or dt.datetime.now(dt.UTC)).timestamp()) if not i.startswith(LAB_CARD)]


def labs_due_now(store: Store, now: dt.datetime | None = None) -> list[str]:
    """The ids of the passed labs that are due to be done again."""
    due = store.due((now or dt.datetime.now(dt.UTC)).timestamp())
    return [i.removeprefix(LAB_CARD) for i in due if i.startswith(LAB_CARD)]


def due_later_today(store: Store, now: dt.datetime | None = None) -> int:
    """How many more question reviews come due before the learner's day ends."""
    later = [i for i in store.due(end_of_today(now)) if not i.startswith(LAB_CARD)]
    return len(later) - len(due_now(store, now))
