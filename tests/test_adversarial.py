"""The adversarial cases of issue 12 live in the labs themselves, so CI runs them with every lab's
self-test (tests/test_exercises.py): each lab's `alternatives` (other correct ways: other tools,
spellings, orders) must pass every check, its `wrong_answers` (near misses, fakes: a hand-written
file where the tool should have written it, a rewritten PID file, the wrong layer) must fail the
checks they name. This file proves the suite is there and keeps it from shrinking: a lab that lost
its other correct ways or its near misses would be trusted on less evidence than the issue asked for."""

from __future__ import annotations

import pytest

from trainer.curriculum.loader import load_curriculum

# The 26 labs issue 12 hardened; labs added later bring their own cases.
HARDENED = (
    "351.1-cpu-virt-flags",
    "351.3-qemu-monitor",
    "351.4-define-start-domain",
    "351.4-dir-pool-volume",
    "351.4-domain-snapshot",
    "351.4-nat-network",
    "351.5-convert-raw-qcow2",
    "351.5-internal-snapshot",
    "351.5-qcow2-overlay",
    "351.5-resize-image",
    "352.1-capsh-bounding",
    "352.1-cgroup-cpu-quota",
    "352.1-cgroup-find-move",
    "352.1-cgroup-memory-pids",
    "352.1-file-capability",
    "352.1-netns-veth",
    "352.1-nsenter-run",
    "352.1-user-namespace",
    "352.1-uts-pid-namespace",
    "352.2-lxc-freeze",
    "352.2-lxc-memory-autostart",
    "352.3-container-volume-port-restart",
    "352.3-dockerfile-build",
    "352.3-user-network",
    "352.4-compose-web-db",
    "353.3-user-data-user",
)
LABS = {e.id: e for e in load_curriculum().exercises}


@pytest.mark.parametrize("lab", HARDENED)
def test_each_hardened_lab_proves_other_correct_ways_and_catches_near_misses(lab: str) -> None:
    exercise = LABS[lab]
    assert len(exercise.alternatives) >= 2, [a.name for a in exercise.alternatives]
    assert len(exercise.wrong_answers) >= 3, [w.name for w in exercise.wrong_answers]
    names = [a.name for a in exercise.alternatives] + [w.name for w in exercise.wrong_answers]
    assert len(set(names)) == len(names)  # each case is a different attempt


# A weakness of issue 12 and the wrong answer that proves a lab no longer has it (by its name).
WRONG_LAYER = {
    "351.4-nat-network": ("net-update --live", "appended by hand"),
    "351.5-convert-raw-qcow2": ("external data file",),
    "351.5-resize-image": ("new empty qcow2 image made in its place",),
    "351.5-internal-snapshot": ("new empty image made in the disk's place",),
    "351.5-qcow2-overlay": ("written into the golden image",),
    "352.1-netns-veth": ("two veth pairs joined through a bridge", "host's own network namespace", "plain file"),
    "352.1-user-namespace": ("capabilities dropped",),
}


@pytest.mark.parametrize("lab", sorted(WRONG_LAYER))
def test_each_wrong_layer_weakness_has_its_wrong_answer(lab: str) -> None:
    names = [w.name for w in LABS[lab].wrong_answers]
    for phrase in WRONG_LAYER[lab]:
        assert any(phrase in name for name in names), (phrase, names)
