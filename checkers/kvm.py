"""Whether KVM really works on a target: a short, timed boot of a Linux kernel under ``-accel kvm``.

``/dev/kvm`` existing proves little: on some hosts (nested or paravirtualised KVM) a guest starts
and then hangs in the firmware before Linux prints a line. So the probe boots the target's own
kernel (the newest /boot/vmlinuz-*) with ``console=ttyS0`` and waits, at most 15 s, for the
kernel's first message on the serial port (longer when the target is loaded, as every wait is:
``checkers.pace``). The verdict is remembered on the target, one per
accelerator, keyed by the kernel, QEMU's version and the host kernel, so it is measured once. It
is kept in the target user's private lpic3 folder (``/var/lib/lpic3`` for root, see
checkers.privdir): a verdict anyone could write would let anyone decide which accelerator lpic3 uses.
"""

from __future__ import annotations

from checkers.pace import MAX_LOAD_FACTOR
from checkers.privdir import SHELL_FUNCTIONS
from checkers.shell import Shell

VERDICT_NAME = "guest-boots-{accel}"  # one verdict per accelerator
BOOT_SECONDS = 15  # on an idle target; the script scales it by the target's own load, as pace does

_SCRIPT = r"""
verdict_file=
if [ __REMEMBER__ = 1 ]; then state=$(lpic3_state) && verdict_file=$state/__VERDICT_NAME__; fi
qemu=$(command -v qemu-system-x86_64) || { echo "qemu-system-x86_64 is not installed"; exit 5; }
kernel=${LPIC3_KVM_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || { echo "no kernel in /boot to try a guest with"; exit 3; }
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || { echo "/dev/kvm is missing or not accessible"; exit 4; }
key="__ACCEL__ $(uname -r) $($qemu --version | head -n 1) $kernel"
if [ -n "$verdict_file" ] && [ -f "$verdict_file" ] && [ "$(tail -n +2 "$verdict_file")" = "$key" ]; then
    read -r verdict < "$verdict_file"; echo "remembered: $verdict"; [ "$verdict" = works ]; exit $?
fi
dir=$(mktemp -d /tmp/lpic3-kvm.XXXXXX)
$qemu -accel __ACCEL__ -m 256 -display none -nodefaults -no-reboot -serial "file:$dir/serial" \
      -kernel "$kernel" -append "console=ttyS0 panic=-1" </dev/null >/dev/null 2>"$dir/err" & pid=$!
steps=$(awk -v c="$(nproc)" '{ f = $1 / c; f = f < 1 ? 1 : f > __MAX_LOAD__ ? __MAX_LOAD__ : f
                                printf "%d", f * __SECONDS__ * 4 }' /proc/loadavg)
i=0
while [ $i -lt "$steps" ]; do
    grep -q "Linux version" "$dir/serial" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.25; i=$((i + 1))
done
if grep -q "Linux version" "$dir/serial" 2>/dev/null; then verdict=works
elif kill -0 $pid 2>/dev/null; then verdict=hangs; echo "waited $((steps / 4))"
else verdict=fails; tr '\n' ' ' < "$dir/err" | head -c 300; echo; fi
kill $pid 2>/dev/null; wait $pid 2>/dev/null
rm -rf "$dir"
[ -z "$verdict_file" ] || printf '%s\n%s\n' "$verdict" "$key" > "$verdict_file"
echo "$verdict"; [ "$verdict" = works ]
"""


def guest_boots(shell: Shell, accel: str = "kvm", remember: bool = True) -> tuple[bool, str]:
    """Whether a Linux guest reaches its first console line with ``accel``; and what was seen."""
    script = SHELL_FUNCTIONS + (
        _SCRIPT.replace("__ACCEL__", accel)
        .replace("__SECONDS__", str(BOOT_SECONDS))
        .replace("__MAX_LOAD__", str(MAX_LOAD_FACTOR))
        .replace("__REMEMBER__", "1" if remember else "0")
        .replace("__VERDICT_NAME__", VERDICT_NAME.format(accel=accel))
    )
    result = shell.run(script, timeout=BOOT_SECONDS * MAX_LOAD_FACTOR + 15, merge=False)
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no answer"
    refused = [line.removeprefix("lpic3: ") for line in result.errors.splitlines() if line.startswith("lpic3: ")]
    note = f" (measured, not remembered: {refused[0]})" if refused else ""  # a planted verdict folder
    if result.status == 0:
        return True, f"a Linux guest booted with -accel {accel}" + (
            " (remembered)" if last.startswith("remembered") else note
        )
    if last.endswith("hangs"):
        advice = ": /dev/kvm is there but does not run guests here, use TCG" if accel == "kvm" else ""
        waited = lines[-2].removeprefix("waited ") if len(lines) > 1 else str(BOOT_SECONDS)
        return False, f"a Linux guest printed nothing within {waited} s under -accel {accel}{advice}{note}"
    if last.endswith("fails"):
        why = " ".join(lines[:-1])[:300] or "no reason given"
        return False, f"QEMU could not start a guest with -accel {accel}: {why}{note}"
    return False, last
