"""Probes: small functions that read state on a target. Importing this package registers them all."""

from checkers.probes import (  # noqa: F401 (importing a probe module registers its probes)
    capabilities,
    cgroups,
    cloud,
    commands,
    containers,
    files,
    hcl,
    kernel,
    kube,
    monitor,
    namespaces,
    network,
    processes,
    virt,
    xen,
)
from checkers.probes.registry import (
    FAIL,
    NOT_JUDGED,
    PASS,
    REGISTRY,
    Verdict,
    argument_problems,
    first_command,
    run_probe,
)

__all__ = ["FAIL", "NOT_JUDGED", "PASS", "REGISTRY", "Verdict", "argument_problems", "first_command", "run_probe"]
