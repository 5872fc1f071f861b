"""Studying: grading, practice order, mock exams, scoring, spaced review and the progress store.

Headless on purpose (no Textual): the TUI, the ``lpic3 exam``/``progress`` commands and scripts
all use the same engine.
"""
