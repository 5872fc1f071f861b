"""The lab library: what a lab's scripts started, recorded where the learner's task does not point,
and stopping processes in a way that can never hurt the machine.

A reset used to kill whatever PID a file in ``{{workdir}}`` named, and the learner writes those files:
``1`` there took every daemon down. Here a reset may signal a process only when it is

- *recorded*: a lab script started it (``lpic3_record NAME PID`` in setup, or the runner, which
  records every process a lab script leaves running when the script ends), and it is still that
  very process: same PID, same start time (field 22 of ``/proc/PID/stat``), same boot; or
- *found* by the lab's own proof (in a namespace or cgroup only the lab made or one that carries the
  attempt's values, holding a file of the attempt's private folder open, a child of a recorded
  process) and, because a proof found by looking around is weaker than a
  record, also started after this attempt's setup began and not a direct child of PID 1;

and in every case it is not PID 1, not a kernel thread, not a thread's ID, not the shell doing the
killing or any of its ancestors. A process the rules refuse is left alone with a line on stderr.

The records live in a folder beside the attempt's working folder, ``record_dir(workdir)``
(``/var/lib/lpic3/records/<lab>-<random>`` for root), root's and 0700 like it, and never named in a
task: the learner works in ``{{workdir}}`` and has no reason to touch it. Checks compare what the
learner points at with these records (``process.same``).

The runner (``trainer/labs/runner.py``) defines the library in front of every lab script, makes the
folder before setup, records what each script leaves running, stops every recorded process after
the lab's own reset and removes the folder. The shell functions, for lab scripts:

    lpic3_record NAME PID         remember process PID as NAME (setup: what checks compare with)
    lpic3_recorded NAME           print NAME's PID if that very process still runs; status 1 if not
    lpic3_kill [-SIG] PID...      stop each PID the rules allow (SIGTERM, SIGKILL after 3 s), wait for it
    lpic3_kill_recorded [-SIG] [NAME...]   the same for recorded processes and their children (all
                                  of them without NAMEs)
    lpic3_may_kill PID            status 0 when the rules allow signalling PID (why not: $__lpic3_why)
    lpic3_ns_members TYPE INODE   the PIDs in the TYPE namespace (net, uts, user, ...) with that inode
    lpic3_fd_users DIR            the PIDs holding a file below DIR open
"""

from __future__ import annotations

import posixpath
import shlex

RECORDS = "records"  # the folder beside the lab root that holds each attempt's records
SETUP_MARK = ".setup"  # in an attempt's records: the start time of its setup (found processes are younger)
STOP_WAIT = 3.0  # seconds a process gets after SIGTERM before SIGKILL, and after SIGKILL before giving up

SHELL_LIBRARY = r"""
__lpic3_stat() {
    local s rest IFS=' '
    case $1 in ''|0*|*[!0-9]*) return 1 ;; esac
    [ "${#1}" -le 10 ] || return 1
    { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${s##*) }
    set -f; set -- $rest; set +f
    __lpic3_state=$1 __lpic3_ppid=$2 __lpic3_flags=$7 __lpic3_start=${20}
}
__lpic3_boot() { { read -r __lpic3_bootid < /proc/sys/kernel/random/boot_id; } 2>/dev/null || __lpic3_bootid=; }
__lpic3_is_recorded() {
    local f pid start boot
    [ -n "${LPIC3_RECORDS:-}" ] && [ -d "$LPIC3_RECORDS" ] || return 1
    __lpic3_boot
    for f in "$LPIC3_RECORDS"/*; do
        [ -f "$f" ] || continue
        { read -r pid start boot < "$f"; } 2>/dev/null || continue
        [ "$pid" = "$1" ] && [ "$start" = "$2" ] && [ "$boot" = "$__lpic3_bootid" ] && return 0
    done
    return 1
}
lpic3_record() {
    case $1 in ''|.*|*[!A-Za-z0-9_.-]*) echo "lpic3_record: '$1' is not a record name" >&2; return 2 ;; esac
    if [ -z "${LPIC3_RECORDS:-}" ] || [ ! -d "$LPIC3_RECORDS" ]; then
        echo "lpic3_record: this attempt has no record folder" >&2; return 2
    fi
    __lpic3_stat "$2" || { echo "lpic3_record: no process '$2' to record as $1" >&2; return 1; }
    __lpic3_boot
    printf '%s %s %s\n' "$2" "$__lpic3_start" "$__lpic3_bootid" > "$LPIC3_RECORDS/$1"
}
lpic3_recorded() {
    local pid start boot
    case $1 in ''|.*|*[!A-Za-z0-9_.-]*) return 1 ;; esac
    [ -n "${LPIC3_RECORDS:-}" ] && [ -f "$LPIC3_RECORDS/$1" ] || return 1
    { read -r pid start boot < "$LPIC3_RECORDS/$1"; } 2>/dev/null || return 1
    __lpic3_stat "$pid" || return 1
    __lpic3_boot
    [ "$__lpic3_start" = "$start" ] && [ "$boot" = "$__lpic3_bootid" ] && [ "$__lpic3_state" != Z ] || return 1
    printf '%s\n' "$pid"
}
lpic3_may_kill() {
    local pid=$1 state ppid flags start key value p since boot
    __lpic3_why=
    if ! __lpic3_stat "$pid"; then __lpic3_why="no such process"; return 1; fi
    state=$__lpic3_state ppid=$__lpic3_ppid flags=$__lpic3_flags start=$__lpic3_start
    if [ "$pid" = 1 ] || [ "$ppid" = 0 ]; then __lpic3_why="PID 1 or a process the kernel started"; return 1; fi
    if [ $(( flags & 0x200000 )) != 0 ]; then __lpic3_why="a kernel thread"; return 1; fi
    if [ "$state" = Z ]; then __lpic3_why="already ended"; return 1; fi
    while IFS=$' \t' read -r key value; do
        if [ "$key" = Tgid: ]; then
            [ "$value" = "$pid" ] || { __lpic3_why="a thread of process $value"; return 1; }
            break
        fi
    done 2>/dev/null < "/proc/$pid/status"
    p=$BASHPID
    while [ -n "$p" ] && [ "$p" != 0 ]; do
        if [ "$p" = "$pid" ]; then __lpic3_why="this shell or one of its ancestors"; return 1; fi
        __lpic3_stat "$p" || break
        p=$__lpic3_ppid
    done
    __lpic3_is_recorded "$pid" "$start" && return 0
    if [ "$ppid" = 1 ]; then __lpic3_why="a direct child of PID 1 that no lab script started"; return 1; fi
    since=
    [ -n "${LPIC3_RECORDS:-}" ] && { read -r since boot < "$LPIC3_RECORDS/.setup"; } 2>/dev/null
    __lpic3_boot
    if [ -z "$since" ] || [ "$boot" != "$__lpic3_bootid" ] || [ "$start" -lt "$since" ]; then
        __lpic3_why="older than this attempt's setup"; return 1
    fi
}
__lpic3_alive() {
    __lpic3_stat "${1%%:*}" && [ "$__lpic3_start" = "${1#*:}" ] && [ "$__lpic3_state" != Z ]
}
__lpic3_wait_gone() {
    local i item left
    for i in $(seq __TICKS__); do
        left=
        for item in $__lpic3_targets; do __lpic3_alive "$item" && left="$left $item"; done
        __lpic3_targets=$left
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    return 1
}
lpic3_kill() {
    local sig=TERM pid item comm
    case ${1:-} in -[A-Z0-9]*) sig=${1#-}; shift ;; esac
    __lpic3_targets=
    for pid in "$@"; do
        if lpic3_may_kill "$pid"; then
            __lpic3_stat "$pid" && __lpic3_targets="$__lpic3_targets $pid:$__lpic3_start"
        elif [ "$__lpic3_why" != "no such process" ] && [ "$__lpic3_why" != "already ended" ]; then
            comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
            echo "lpic3: left running: PID $pid${comm:+ ($comm)}: $__lpic3_why" >&2
        fi
    done
    [ -n "$__lpic3_targets" ] || return 0
    for item in $__lpic3_targets; do kill -s "$sig" "${item%%:*}" 2>/dev/null || true; done
    for item in $__lpic3_targets; do kill -s CONT "${item%%:*}" 2>/dev/null || true; done
    __lpic3_wait_gone && return 0
    for item in $__lpic3_targets; do __lpic3_alive "$item" && kill -s KILL "${item%%:*}" 2>/dev/null || true; done
    __lpic3_wait_gone || echo "lpic3: still running after SIGKILL: $__lpic3_targets" >&2
    return 0
}
lpic3_kill_recorded() {
    local sig= f pids= pid
    case ${1:-} in -[A-Z0-9]*) sig=$1; shift ;; esac
    if [ $# = 0 ] && [ -n "${LPIC3_RECORDS:-}" ]; then
        for f in "$LPIC3_RECORDS"/*; do [ -f "$f" ] && set -- "$@" "${f##*/}"; done
    fi
    for f in "$@"; do pid=$(lpic3_recorded "$f") && pids="$pids $pid"; done
    [ -n "$pids" ] || return 0
    pids=$(__lpic3_halted_tree $pids)
    lpic3_kill $sig $pids
    # What was held but not stopped for good (a signal it survives, a rule that refused it) goes on.
    for pid in $pids; do lpic3_may_kill "$pid" 2>/dev/null && kill -s CONT "$pid" 2>/dev/null || true; done
}
__lpic3_halted_tree() {
    # The processes and all their descendants, each held with SIGSTOP before the tree is listed
    # again, until a listing finds nothing new: a process that forks while its tree is listed would
    # otherwise leave a child out, and that child, once its parent is gone, is a child of PID 1 that
    # nothing recorded (lpic3_kill resumes what it signals).
    local pid i busy tree= held=" "
    while :; do
        tree=" $(__lpic3_tree "$@" | tr '\n' ' ')"
        busy=
        for pid in $tree; do
            case $held in *" $pid "*) continue ;; esac
            held="$held$pid "
            lpic3_may_kill "$pid" && kill -s STOP "$pid" 2>/dev/null && busy="$busy $pid"
        done
        [ -n "$busy" ] || break
        for i in $(seq __TICKS__); do
            tree=$busy busy=
            for pid in $tree; do
                __lpic3_stat "$pid" && case $__lpic3_state in T|t|Z|X) ;; *) busy="$busy $pid" ;; esac
            done
            [ -n "$busy" ] || break
            sleep 0.1
        done
    done
    printf '%s\n' $held
}
lpic3_ns_members() {
    local inode name
    stat -L -c '%i %n' /proc/[1-9]*/ns/"$1" 2>/dev/null | while read -r inode name; do
        if [ "$inode" = "$2" ]; then name=${name#/proc/}; printf '%s\n' "${name%%/*}"; fi
    done
}
lpic3_fd_users() {
    find /proc/[1-9]*/fd -maxdepth 1 -lname "${1%/}/*" 2>/dev/null | cut -d/ -f3 | sort -un
}
__lpic3_tree() {
    local d s rest pid more=1 tree=" $* "
    local -A parent=()
    for d in /proc/[1-9]*; do
        { read -r s < "$d/stat"; } 2>/dev/null || continue
        rest=${s##*) }; rest=${rest#* }
        parent[${d#/proc/}]=${rest%% *}
    done
    while [ "$more" = 1 ]; do
        more=0
        for pid in "${!parent[@]}"; do
            case $tree in *" $pid "*) continue ;; esac
            case $tree in *" ${parent[$pid]} "*) tree="$tree$pid "; more=1 ;; esac
        done
    done
    printf '%s\n' $tree
}
__lpic3_record_left() {
    local pid me=$BASHPID
    [ -n "${LPIC3_RECORDS:-}" ] && [ -d "$LPIC3_RECORDS" ] || return 0
    for pid in $(__lpic3_tree "$me"); do
        [ "$pid" = "$me" ] || lpic3_record "started.$pid" "$pid" 2>/dev/null || true
    done
}
""".replace("__TICKS__", str(int(STOP_WAIT * 10)))


def record_dir(workdir: str) -> str:
    """The records of the attempt whose working folder is ``workdir``: beside the lab root, under the
    same private lpic3 folder, with the same name (``/var/lib/lpic3/labs/X`` -> ``/var/lib/lpic3/records/X``)."""
    labs = posixpath.dirname(workdir.rstrip("/"))
    return posixpath.join(posixpath.dirname(labs), RECORDS, posixpath.basename(workdir.rstrip("/")))


def preamble(workdir: str | None) -> str:
    """Shell text in front of every lab script: where the attempt's records are, and the library."""
    where = f"LPIC3_RECORDS={shlex.quote(record_dir(workdir))}\n" if workdir else "LPIC3_RECORDS=\n"
    return where + SHELL_LIBRARY


def make_records_script() -> str:
    """Shell text for setup (after the preamble and the working folder): the records folder, private
    and new, and the moment setup began (processes found later must be younger)."""
    return (
        'lpic3_private "${LPIC3_RECORDS%/*}" || exit 1\n'
        'mkdir -m 0700 -- "$LPIC3_RECORDS" || exit 1\n'
        "__lpic3_stat $BASHPID && __lpic3_boot\n"
        f'printf \'%s %s\\n\' "$__lpic3_start" "$__lpic3_bootid" > "$LPIC3_RECORDS/{SETUP_MARK}"\n'
    )


RECORD_LEFT = "trap __lpic3_record_left EXIT\n"  # a script's last act: record what it leaves running


def sweep_script() -> str:
    """Shell text after a lab's own reset: every recorded process that still runs is stopped, then
    the records are removed (what was not recorded is never touched here)."""
    return 'lpic3_kill_recorded\n[ -z "$LPIC3_RECORDS" ] || rm -rf -- "$LPIC3_RECORDS"\n'
