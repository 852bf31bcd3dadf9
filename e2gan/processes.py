"""Whether the process that wrote a "running" state still runs, so work left running by a crash, a kill or
a restart shows as stopped instead of running forever."""

from __future__ import annotations

import os
import socket

import psutil


def started(pid: int) -> float | None:
    """A process's start time (seconds since the epoch), or None when there is no such process."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def stamp() -> dict:
    """What a writer records beside a "running" state: its pid, start time and computer."""
    return {"pid": os.getpid(), "process_started": started(os.getpid()), "host": socket.gethostname()}


def alive(pid, when: float | None = None, host: str | None = None) -> bool:
    """Whether the process `pid` started at `when` still runs. The pid alone is not enough: after a restart
    (a container's server is often pid 1 again) another process can have it, so its start time must match
    (within a few seconds: a clock step moves how psutil computes start times). A process on another
    computer (a project on a shared drive) cannot be checked and counts as alive."""
    if host is not None and host != socket.gethostname():
        return True
    if not isinstance(pid, int):
        return False
    now = started(pid)
    if now is None:
        return False
    return when is None or abs(now - when) < 5.0
