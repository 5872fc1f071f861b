"""lpic3-trainer: an offline trainer for the LPIC-3 305-300 exam."""

__version__ = "0.1.0"
