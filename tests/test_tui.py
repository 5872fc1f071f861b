"""The TUI flows, driven by keys as a learner would: lessons, practice, review, a full mock exam
interrupted and resumed, results, history, help and the command palette."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Markdown, OptionList

from tests.lab_fixtures import choose, until
from tests.study_fixtures import store, synthetic
from trainer.curriculum.loader import load_curriculum
from trainer.curriculum.model import Curriculum
from trainer.curriculum.questions import LETTERS
from trainer.study.store import Store
from trainer.tui.app import TrainerApp
from trainer.tui.screens.exam import ExamScreen, SubmitScreen
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.lesson import WIDE, LessonScreen
from trainer.tui.screens.practice import PracticeScreen
from trainer.tui.screens.results import ResultScreen, WrongAnswersScreen
from trainer.tui.widgets.lesson_text import LessonText

__all__ = ["store", "synthetic"]  # fixtures, used by name


def home_ids(app: TrainerApp) -> list[str | None]:
    options = app.screen.query_one("#objectives", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


def select_row(app: TrainerApp, oid: str) -> None:
    app.screen.query_one("#objectives", OptionList).highlighted = home_ids(app).index(oid)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_home_lists_objectives_and_opens_a_lesson(size: tuple[int, int], store: Store) -> None:
    cur = load_curriculum()
    app = TrainerApp(cur, store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        keys = home_ids(app)
        assert [k for k in keys if k and not k.startswith("topic:")] == list(cur.objectives)
        oid = next(o for o in cur.objectives if o in cur.lessons)
        select_row(app, oid)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.objective == oid
        assert app.screen.show_contents == (size[0] >= WIDE)  # beside the text only where there is room
        while not app.screen.loaded:
            await pilot.pause(0.05)
        text = app.screen.query_one(LessonText)
        text.scroll_end(animate=False)
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert store.lesson_furthest()[oid] == pytest.approx(1.0)


async def test_practice_by_keys_records_answers_and_schedules_reviews(synthetic: Curriculum, store: Store) -> None:
    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        await pilot.pause()
        select_row(app, "351.2")
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        right_expected = 0
        for _ in range(4):
            assert screen.view is not None
            item = screen.view.item
            q = item.question
            if q.type == "fill":
                await pilot.press(*q.accept[0])
                await pilot.press("enter")
                right_expected += 1
            else:
                wrong = next(p for p in range(len(item.order)) if p not in item.displayed_answer())
                await pilot.press(LETTERS[wrong].lower(), "enter")
            await pilot.pause()
            assert screen.answered
            await pilot.press("enter")
            await pilot.pause()
        assert screen.right == right_expected
    history = store.history()
    assert len(history) == 4 and sum(h.correct for h in history.values()) == right_expected
    assert store.due(10**12)  # every answered question has a review card


async def test_review_shows_due_questions(synthetic: Curriculum, store: Store) -> None:
    from trainer.study.review import Recall, schedule

    question = synthetic.questions_for("353.1")[2]
    schedule(store, question.id, Recall.WRONG, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))  # due now
    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen) and app.screen.mode == "review"
        assert app.screen.view is not None and app.screen.view.item.question.id == question.id


def exam_screen(app: TrainerApp) -> ExamScreen:
    """The screen shown, which must be the mock exam."""
    screen = app.screen
    assert isinstance(screen, ExamScreen)
    return screen


async def answer_exam(pilot: Pilot[None], screen: ExamScreen, positions: range) -> None:
    """Answer the given questions rightly, by keys, moving with n."""
    for position in positions:
        assert screen.position == position
        item = screen.paper.items[position]
        q = item.question
        if q.type == "fill":
            await pilot.press("i", *q.accept[0], "enter")  # i opens the field, Enter moves on
        else:
            await pilot.press(*[LETTERS[p].lower() for p in item.displayed_answer()], "n")
        await pilot.pause()


async def test_full_mock_exam_by_keys_interrupted_and_resumed(synthetic: Curriculum, store: Store) -> None:
    app = TrainerApp(synthetic, store, seed=123)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        assert len(screen.paper.items) == 60
        await answer_exam(pilot, screen, range(30))
        await pilot.press("f")  # flag question 31
        assert isinstance(app.screen, ExamScreen)
        screen.remaining = 3000.0
    # The app is gone: everything answered so far, and the time left, are in the store.
    record = store.unfinished_exam()
    assert record is not None and record.seed == 123 and record.position == 30
    assert record.remaining == pytest.approx(3000.0, abs=2)
    saved = store.exam_answers(record.id)
    assert sum(1 for response, _ in saved.values() if response is not None) == 30 and saved[30][1]

    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "unfinished mock exam" in str(app.screen.query_one("#summary").render())
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        assert screen.position == 30 and screen.flags[30] and screen.remaining == pytest.approx(3000.0, abs=2)
        assert sum(r is not None for r in screen.responses) == 30
        await answer_exam(pilot, screen, range(30, 59))
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, SubmitScreen)
        await pilot.click("#submit")
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        result = app.screen.result
        assert result.overall.correct == 59 and result.overall.total == 60
        assert result.by_objective["351.4"].total == 9
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WrongAnswersScreen)
    finished = store.finished_exams()
    assert len(finished) == 1 and finished[0].result is not None and finished[0].result["correct"] == 59
    assert store.unfinished_exam() is None


async def test_exam_cannot_start_with_too_few_questions(store: Store) -> None:
    cur = load_curriculum()
    cur.questions = cur.questions[:10]
    app = TrainerApp(cur, store)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert store.unfinished_exam() is None


async def test_help_history_theme_and_palette(synthetic: Curriculum, store: Store) -> None:
    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        keys = app.screen.query_one(Markdown).source  # keys as they are typed, not as Textual names them
        assert "| `?` `f1` | Help |" in keys and "`esc`" in keys and "question_mark" not in keys
        assert "escape" not in keys and "pageup" not in keys
        await pilot.press("escape")
        await pilot.press("h")
        await pilot.pause()
        assert type(app.screen).__name__ == "HistoryScreen"
        await pilot.press("escape")
        before = app.theme
        await pilot.press("d")
        assert app.theme != before
        from trainer.tui.commands import TrainerCommands

        provider = TrainerCommands(app.screen)
        names = [text for text, _, _ in provider._entries()]
        assert sum(n.startswith("Lesson ") for n in names) == 13
        assert sum(n.startswith("Practise 35") for n in names) == 13
        assert "Mock exam: start or resume" in names


async def test_lab_screen_start_check_solve_and_reset(store: Store, tmp_path: Path) -> None:
    """A lab run from the TUI against this machine: setup, a failing check, the solution, a pass."""
    from trainer.tui.screens.lab import LabListScreen, LabScreen

    cur = load_curriculum()
    exercise = next(e for e in cur.exercises if e.id == "351.5-qcow2-overlay")
    app = TrainerApp(cur, store)
    async with app.run_test(size=(100, 40)) as pilot:
        select_row(app, "351.5")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, LabListScreen)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(exercise.id))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LabScreen)
        await pilot.press("s")
        await choose(pilot, "yes")  # this machine is not a sandbox: ask first
        await until(pilot, lambda: screen.job is None)
        attempt = screen.attempt
        assert attempt is not None
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        checks = len(exercise.checks)  # some may pass before any work (the golden image is still unchanged)
        before = re.search(rf"(\d+)/{checks} checks passed", screen.query_one("#lab-results", Markdown).source)
        assert before is not None and int(before.group(1)) < checks
        from trainer.labs.runner import run_script

        with screen.lab.connection.use() as shell:
            run_script(shell, "solution", exercise.solution, attempt.params)
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert f"{checks}/{checks} checks passed" in screen.query_one("#lab-results", Markdown).source
        assert screen.lab.attempts.passed_exercises() == {exercise.id}
        await pilot.press("r")
        await choose(pilot, "yes")
        await until(pilot, lambda: screen.job is None)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LabListScreen)
    assert not Path(attempt.params["workdir"]).exists()


async def test_lab_reset_on_the_sandbox_offers_the_whole_machine(store: Store) -> None:
    """On the sandbox a reset asks which: the lab's own reset or the sandbox's (a clean machine).
    The target is a stand-in with the sandbox's name that runs on this machine, so only the
    lab's reset is taken here; the machine reset is proved against the real VM in test_sandbox."""
    from checkers.session import local_argv
    from checkers.targets import Target
    from trainer.tui.screens.lab import Choose, LabScreen

    cur = load_curriculum()
    exercise = next(e for e in cur.exercises if e.id == "351.5-qcow2-overlay")
    stand_in = Target("sandbox", "local", "a stand-in for the sandbox VM", tuple(local_argv()), sandbox=True)
    app = TrainerApp(cur, store)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = LabScreen(exercise, store, stand_in)
        await app.push_screen(screen)
        await pilot.press("s")  # a sandbox: no question before the setup
        await until(pilot, lambda: screen.job is None)
        attempt = screen.attempt
        assert attempt is not None and Path(attempt.params["workdir"]).exists()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        assert [b.id for b in app.screen.query(Button)] == ["lab", "machine", "no"]
        await pilot.click("#no")
        await pilot.pause()
        assert app.screen is screen and Path(attempt.params["workdir"]).exists()
        await pilot.press("r")
        await choose(pilot, "lab")
        await until(pilot, lambda: screen.job is None)
        assert not Path(attempt.params["workdir"]).exists()
        await pilot.press("escape")


# -- the mock exam's keys, clock, quitting and state (issue 11: faults 2, 3, 4 and 13) ------------------
async def answer_here(pilot: Pilot[None], screen: ExamScreen, response: str | None = None) -> None:
    """Answer the question shown by keys: ``response`` typed into a fill-in (then Escape), else the right one."""
    item = screen.paper.items[screen.position]
    if item.question.type == "fill":
        await pilot.press("i", *(response or item.question.accept[0]), "escape")
    else:
        await pilot.press(*[LETTERS[p].lower() for p in item.displayed_answer()])
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_exam_keys_never_type_into_a_fill_in_answer(
    size: tuple[int, int], synthetic: Curriculum, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainer.tui.screens.exam as exam_module

    monkeypatch.setattr(exam_module, "SAVE_EVERY", 10**6)  # no clock saves among the writes counted below
    app = TrainerApp(synthetic, store, seed=123)
    async with app.run_test(size=size) as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        first, second = [i for i, item in enumerate(screen.paper.items) if item.question.type == "fill" and i > 0][:2]
        await screen.action_jump(first - 1)
        await pilot.press("n")
        await pilot.pause()
        assert screen.position == first and not isinstance(app.focused, Input)  # landing there types nothing
        await pilot.press("n")
        await pilot.pause()
        assert screen.position == first + 1  # and the keyboard moves on
        assert first not in store.exam_answers(screen.exam_id)  # a question only looked at saves nothing
        await pilot.press("p")
        await pilot.pause()
        await answer_here(pilot, screen, "--decode")
        assert not isinstance(app.focused, Input)
        await screen.action_jump(second)
        await pilot.pause()
        await pilot.press("enter")  # Enter also opens the field
        await pilot.press(*screen.paper.items[second].question.accept[0], "tab")  # Tab leaves it too
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        for key in "npnpppnnnnpn":
            await pilot.press(key)
            await pilot.pause()
        writes = store.db.total_changes
        await screen.action_jump(first)
        await pilot.pause()
        assert store.db.total_changes == writes + 1  # where the learner is; showing the answer rewrites nothing
        assert screen.query_one(Input).value == "--decode" and screen.responses[first] == "--decode"
        assert store.exam_answers(screen.exam_id)[first] == ("--decode", False)
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#submit")
        await pilot.pause()
        result_screen = app.screen
        assert isinstance(result_screen, ResultScreen)
        assert result_screen.responses[first] == "--decode" and not result_screen.result.correct[first]
        assert result_screen.responses[second] == screen.paper.items[second].question.accept[0]
        assert result_screen.result.correct[second] and result_screen.result.overall.correct == 1


@pytest.mark.parametrize("dialog", ["r", "q"])
async def test_time_running_out_under_a_dialog_submits_the_exam_once(
    dialog: str, synthetic: Curriculum, store: Store
) -> None:
    from tests.test_exam_state import right
    from trainer.tui.screens.exam import QuitExamScreen

    app = TrainerApp(synthetic, store, seed=321)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        for position, item in enumerate(screen.paper.items):
            store.save_exam_response(screen.exam_id, position, right(item), screen.remaining)
        await pilot.press("n")  # the screen shows what the store holds
        await pilot.pause()
        assert sum(r is not None for r in screen.responses) == 60
        await pilot.press(dialog)
        await pilot.pause()
        assert isinstance(app.screen, SubmitScreen if dialog == "r" else QuitExamScreen)
        screen.remaining = 1.5
        await pilot.pause(4.5)  # the time runs out, then several more ticks of the clock
        assert [type(s) for s in app.screen_stack] == [HomeScreen, ResultScreen]
        result_screen = app.screen
        assert isinstance(result_screen, ResultScreen) and result_screen.result.overall.correct == 60
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert len(store.finished_exams()) == 1 and store.unfinished_exam() is None
    assert store.db.execute("SELECT COUNT(*) FROM answers WHERE mode = 'exam'").fetchone()[0] == 60


async def test_q_during_an_exam_asks_first_and_quitting_keeps_the_exam(synthetic: Curriculum, store: Store) -> None:
    from trainer.tui.screens.exam import QuitExamScreen

    app = TrainerApp(synthetic, store, seed=5)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        await answer_here(pilot, screen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitExamScreen)
        question = str(app.screen.query_one("#quit-summary").render())
        assert "answers are saved" in question and "resume it from Home (key e)" in question
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.is_running
        # the clock's next tick counts from now, not from the tick before (a late tick under load)
        screen.remaining, screen._tick_at = 2000.0, time.monotonic()
        set_at = screen._tick_at
        await pilot.press("q")
        await pilot.pause()
        await pilot.click("#quit")
        await pilot.pause()
        assert not app.is_running
    spent = time.monotonic() - set_at  # the exam's clock runs on while the dialog is open, as the real one does
    record = store.unfinished_exam()
    assert record is not None and 2000.0 - spent - 1 <= record.remaining <= 2000.0
    assert store.exam_answers(record.id)[0][0] is not None


async def test_readiness_counts_only_what_was_answered_in_a_submitted_exam(synthetic: Curriculum, store: Store) -> None:
    app = TrainerApp(synthetic, store, seed=11)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        await answer_exam(pilot, screen, range(11))
        await pilot.press("escape")  # pause: back to Home with the exam unfinished
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        summary = str(app.screen.query_one("#summary").render())
        assert "no answers yet" in summary and "unfinished mock exam" in summary
        store.abandon_exam(screen.exam_id)
        app.screen.refresh_rows()
        assert "no answers yet" in str(app.screen.query_one("#summary").render())

        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        await answer_exam(pilot, screen, range(11))
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#submit")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        objectives = {item.question.objective for item in screen.paper.items[:11]}
        weight = sum(synthetic.objectives[oid].weight for oid in objectives)
        summary = str(app.screen.query_one("#summary").render())
        assert f"on {weight}/60 exam weight practised" in summary and weight < 60
    assert sum(h.attempts for h in store.history().values()) == 11


@pytest.mark.parametrize("then", ["submit", "move"])
async def test_two_windows_share_one_exam_and_submit_it_once(
    then: str, synthetic: Curriculum, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps with their own store connections on one file, as two lpic3 windows would be. After
    window one submits, window two's submit is refused, and so is its next save (a move): either way it
    shows the result recorded. (The clock's own saves are held off, so which one it is stays certain.)"""
    import trainer.tui.screens.exam as exam_module

    monkeypatch.setattr(exam_module, "SAVE_EVERY", 10**6)
    path = tmp_path / "shared.sqlite3"
    stores = Store.open(path), Store.open(path)
    one, two = TrainerApp(synthetic, stores[0], seed=9), TrainerApp(synthetic, stores[1], seed=9)
    async with one.run_test() as first, two.run_test() as second:
        await first.press("e")
        await first.pause()
        await second.press("e")  # resumes the exam window one started
        await second.pause()
        mine, theirs = one.screen, two.screen
        assert isinstance(mine, ExamScreen) and isinstance(theirs, ExamScreen) and mine.exam_id == theirs.exam_id
        await answer_here(first, mine)
        await second.press("f")  # window two flags the question it shows blank
        await second.pause()
        await first.press("n", "p")
        await first.pause()
        assert mine.responses[0] is not None and mine.flags[0]  # the flag did not wipe the answer
        await first.press("r")
        await first.pause()
        await first.click("#submit")
        await first.pause()
        assert isinstance(one.screen, ResultScreen) and one.screen.result.overall.correct == 1
        if then == "submit":
            await second.press("r")
            await second.pause()
            await second.click("#submit")
        else:
            await second.press("n")
        await second.pause()
        assert isinstance(two.screen, ResultScreen) and two.screen.result.overall.correct == 1
        await second.press("escape")
        await second.pause()
        await second.press("e")  # nothing left to resume: a new exam, the submitted one stays submitted
        await second.pause()
        assert isinstance(two.screen, ExamScreen) and two.screen.exam_id != mine.exam_id
    assert len(stores[0].finished_exams()) == 1
    assert stores[0].db.execute("SELECT COUNT(*) FROM answers WHERE mode = 'exam'").fetchone()[0] == 1
    for opened in stores:
        opened.close()


# -- explanations name the letters on screen; the practice "Done." page (issue 11: faults 1 and 5) ---------
async def test_practice_feedback_names_the_letters_on_screen(store: Store) -> None:
    import random

    from tests.test_explanation_letters import assert_letters_name_the_options
    from trainer.study.exam import shuffled_order
    from trainer.tui.widgets.question import OptionRow

    cur = load_curriculum()
    question = next(q for q in cur.questions if q.id == "351.2-pv-domu-properties")  # **{A}** and **{D}** ...
    seed = 1
    order = shuffled_order(question, random.Random(seed))
    assert all(order[i] != i for i in range(len(order)))  # no option keeps its letter from the file
    app = TrainerApp(cur, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = PracticeScreen("practice", [question], store, seed=seed)
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.view is not None and screen.view.item.order == order
        rows = list(screen.query(OptionRow))
        on_screen = {LETTERS[row.position]: row.text for row in rows}
        assert all(f"] {letter}. " in str(row.render()) for letter, row in zip("ABCDE", rows, strict=True))
        wrong = next(p for p in range(5) if p not in screen.view.item.displayed_answer())
        await pilot.press(LETTERS[wrong].lower(), "enter")
        await pilot.pause()
        feedback = screen.query_one(".feedback", Markdown).source
    right = {question.options[i] for i in question.answer}
    verdict = feedback.split("\n")[0]
    assert verdict.startswith("**Not quite.** The answer is ")
    assert {on_screen[letter] for letter in verdict.split(" is ", 1)[1].rstrip(".").split(", ")} == right
    assert assert_letters_name_the_options(question, feedback, on_screen) == 4
    listed = [line[2] for line in feedback.split("\n") if line.startswith("- ")]
    assert len(listed) == 3 and listed == sorted(listed)  # the wrong options, in the order shown


async def test_exam_review_names_the_letters_of_the_paper(store: Store) -> None:
    import random
    import re

    from tests.test_explanation_letters import assert_letters_name_the_options
    from trainer.study.exam import ExamItem, ExamPaper, shuffled_order
    from trainer.study.grading import Response
    from trainer.study.scoring import score_exam

    cur = load_curriculum()
    rng = random.Random(11)
    questions = [q for q in cur.questions if q.options and "{" in q.explanation][::40]
    paper = ExamPaper(11, 90, tuple(ExamItem(q, shuffled_order(q, rng)) for q in questions))
    responses: list[Response | None] = [None] * len(questions)  # all blank: every one is reviewed
    app = TrainerApp(cur, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ResultScreen(cur, paper, responses, score_exam(cur, paper, responses)))
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WrongAnswersScreen)
        sections = []
        for number in range(1, len(questions) + 1):  # one wrong answer per page, n for the next
            assert f"wrong answer {number} of {len(questions)}" in str(app.screen.query_one("#wrong-position").render())
            sections.append(app.screen.query_one("#wrong-answer", Markdown).source)
            await pilot.press("n")
            await pilot.pause()
        assert app.screen.query_one("#wrong-answer", Markdown).source == sections[-1]  # n stops at the last
        await pilot.press("p")
        await pilot.pause()
        assert app.screen.query_one("#wrong-answer", Markdown).source == sections[-2]
    checked = 0
    for number, (item, section) in enumerate(zip(paper.items, sections, strict=True), 1):
        assert section.startswith(f"## Question {number} ({item.question.objective})")
        on_screen = dict(re.findall(r"^- ([A-H])\. (.*)$", section, re.MULTILINE))
        assert len(on_screen) == len(item.question.options)
        checked += assert_letters_name_the_options(item.question, section.split("Right answer:", 1)[1], on_screen)
    assert checked >= len(questions)


async def test_every_practice_key_on_the_done_page_is_harmless(synthetic: Curriculum, store: Store) -> None:
    from textual.binding import Binding

    question = next(q for q in synthetic.questions if q.type == "single")
    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        screen = PracticeScreen("practice", [question], store, seed=3)
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.view is not None
        await pilot.press(LETTERS[screen.view.item.displayed_answer()[0]].lower(), "enter", "enter")
        await pilot.pause()
        assert screen.view is None and screen.query_one("#practice-done")
        keys = [b.key for b in PracticeScreen.BINDINGS if isinstance(b, Binding) and b.key != "escape"]
        assert len(keys) == 12  # a-e, up, down, space, enter, 1, 2, 3
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and app.screen is screen, key
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert len(store.history()) == 1  # the one answer, recorded once


async def test_keys_pressed_quickly_answer_the_questions_they_were_meant_for(
    synthetic: Curriculum, store: Store
) -> None:
    """Keys in one burst, as from a fast typist or a terminal (all queued before any is handled): each
    letter answers the question the n before it brought up, never the one left behind, and keys that
    arrive while a fill-in field is being opened are typed there or dropped, never taken as commands."""
    from textual import events

    app = TrainerApp(synthetic, store, seed=77)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await pilot.pause()
        screen = exam_screen(app)
        items = screen.paper.items
        kinds = [item.question.type == "fill" for item in items]
        start = next(i for i in range(1, 57) if kinds[i : i + 4] == [False, False, False, True])
        await screen.action_jump(start - 1)
        keys = []
        for item in items[start : start + 3]:  # the middle question is also flagged right after its answer
            flag = ["f"] if item is items[start + 1] else []
            keys += ["n", *[LETTERS[p].lower() for p in item.displayed_answer()], *flag]
        for key in [*keys, "n", "i", *"pbnq"]:
            app._driver.send_message(events.Key(key, key))  # type: ignore[union-attr]
        deadline = time.monotonic() + 30  # a burst takes a while on a busy machine
        while time.monotonic() < deadline and not isinstance(app.focused, Input):
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        assert app.screen is screen and screen.position == start + 3
        saved = store.exam_answers(screen.exam_id)
        for position in range(start, start + 3):
            assert sorted(saved[position][0]) == sorted(items[position].question.answer), position  # type: ignore[arg-type]
            assert saved[position][1] == (position == start + 1)
        assert start - 1 not in saved
        typed = screen.query_one(Input).value
        assert "pbnq".endswith(typed) and saved.get(start + 3, ("", False))[0] in (typed, None)


def burst(app: TrainerApp, *keys: str) -> None:
    """Keys queued all at once, as a fast typist or a terminal sends them: none is handled before the next arrives."""
    from textual import events

    for key in keys:
        app._driver.send_message(events.Key(key, key if len(key) == 1 else None))  # type: ignore[union-attr]


async def settle(pilot: Pilot[None], seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.1)


@pytest.mark.parametrize("keys", [["pageup"], ["pagedown"], ["l", "pagedown"], ["l", "pageup", "e", "pagedown"]])
async def test_palette_page_keys_at_once_do_not_crash(synthetic: Curriculum, store: Store, keys: list[str]) -> None:
    """ctrl+p and a page key in one burst: Textual 8.2.8's OptionList paged before its first layout (KeyError)."""
    app = TrainerApp(synthetic, store)
    async with app.run_test() as pilot:
        await pilot.pause()
        burst(app, "ctrl+p", *keys)
        await settle(pilot)
        assert app.screen.has_class("--textual-command-palette")  # still open, still answering
        await pilot.press("pagedown", "pageup", "pagedown")
        await pilot.pause()
        from textual.command import CommandList

        assert app.screen.query_one(CommandList).highlighted is not None
    assert app.return_code in (None, 0)


async def test_home_page_keys_on_a_tiny_terminal(synthetic: Curriculum, store: Store) -> None:
    """At 30x8 the objective list has no rows on screen; PageUp there raised KeyError inside OptionList."""
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(30, 8)) as pilot:
        await pilot.pause()
        await pilot.press("pageup", "pagedown", "pageup")
        burst(app, "pagedown", "pageup", "pagedown")
        await settle(pilot, 1.0)
        assert isinstance(app.screen, HomeScreen)
        await pilot.resize_terminal(120, 40)  # room again: paging works
        await pilot.pause()
        options = app.screen.query_one("#objectives", OptionList)
        before = options.highlighted
        await pilot.press("pagedown")
        await pilot.pause()
        assert options.highlighted is not None and options.highlighted > (before or 0)
    assert app.return_code in (None, 0)


async def test_reviews_due_now_go_down_as_they_are_done(synthetic: Curriculum, store: Store) -> None:
    """Home counted every card due some time today; a reviewed card comes back minutes later (FSRS
    learning steps), so the count did not go down. It counts what is due now, and says what comes later."""
    from textual.widgets import Static

    from trainer.study.review import Recall, end_of_today, schedule

    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    for question in [q for q in synthetic.questions_for("353.1") if q.type == "single"][:3]:
        schedule(store, question.id, Recall.WRONG, now=earlier)
    app = TrainerApp(synthetic, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        summary = app.screen.query_one("#summary", Static)
        assert "3 reviews due now" in str(summary.render())
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen) and screen.view is not None
        reviewed = screen.view.item
        await pilot.press(*[LETTERS[p].lower() for p in reviewed.displayed_answer()], "enter")
        await pilot.pause()
        assert screen.last_correct
        await pilot.press("enter", "escape")  # rated good, then back Home
        await pilot.pause()
        assert app.screen.query_one("#summary", Static) is summary
        shown = str(summary.render())
        assert "2 reviews due now" in shown
        comes_back_today = store.due(end_of_today()) != store.due(dt.datetime.now(dt.UTC).timestamp())
        assert ("(1 more later today)" in shown) == comes_back_today
