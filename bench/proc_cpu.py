"""CPU seconds by process kind, read from /proc: what a stack's processes have spent.

`make run` (or a private stack) is one process tree; each process is named by what it runs
(a service's module, postgres, kafka, a simulator), and their user + system CPU is summed by
that name. Take one reading before the work and one after: the difference is the work's.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
KINDS = ("intake", "underwriting", "ledger", "servicing", "collections")


def kind_of(cmdline: str) -> str:
    for service in KINDS:
        if f"lending_{service}" in cmdline:
            return service
    if "postgres" in cmdline:
        return "postgres"
    if "kafka" in cmdline.lower():
        return "kafka"
    if "lending_simulators" in cmdline or "simulator" in cmdline:
        return "simulators"
    if "lending_devstack" in cmdline:
        return "supervisor"
    return "other"


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, cpu seconds of the process and its reaped children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / TICK


def cpu_by_kind(root: int, *also: int) -> Counter[str]:
    """Every descendant of ``root`` and of ``also`` (included), CPU seconds summed by kind.
    PostgreSQL detaches from the stack's tree (pg_ctl daemonizes it): pass its postmaster."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)], cpu[int(entry)] = stat
    tree = {root, *also}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    totals: Counter[str] = Counter()
    for pid in tree:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        totals[kind_of(cmdline)] += cpu.get(pid, 0.0)
    return totals


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def postmaster_pid(profile: str) -> int:
    """The pid of a stack's PostgreSQL (``.local/<profile>/pg/data/postmaster.pid``)."""
    from lending_devstack.settings import find_repo_root

    path = find_repo_root() / ".local" / profile / "pg" / "data" / "postmaster.pid"
    return int(path.read_text().split("\n", 1)[0])
