"""Probes: small functions that read state on a target. Importing this package registers them all."""

from checkers.probes import commands, files
from checkers.probes.registry import REGISTRY, Verdict, argument_problems, run_probe

__all__ = ["REGISTRY", "Verdict", "argument_problems", "commands", "files", "run_probe"]
