"""Exports of the question bank to the tools learners and instructors already use: Anki decks
(``anki``), Moodle XML and GIFT quizzes (``moodle``, ``gift``). Headless: no Textual; each format is
one module, all of them read the bank through ``bank`` and write through ``output``."""
