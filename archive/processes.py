"""Which process runs an import, and whether it still runs: an import whose process was killed
(kill -9, out of memory, a restart) cannot say so itself.

A process is named by its machine, the machine's boot, its PID namespace, its pid and its start
time (so a pid used again later is another process). Only a process on the same machine and in
the same PID namespace can be looked up (Linux's /proc); anywhere else the answer is "cannot
tell", never "gone": a running import must not be taken for a dead one.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC = Path("/proc")
SEPARATOR = "|"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _namespace() -> str:
    try:
        return os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        return ""


def _started(pid: int) -> str:
    """The process's start time in clock ticks after boot (field 22 of /proc/PID/stat), or ""
    when there is no such process or it has ended (a zombie)."""
    stat = _read(PROC / str(pid) / "stat")
    if not stat:
        return ""
    fields = stat.rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return "" if fields[0] in ("Z", "X") else fields[19]


def _machine() -> tuple[str, str, str]:
    return (
        socket.gethostname()[:64],
        _read(PROC / "sys" / "kernel" / "random" / "boot_id"),
        _namespace(),
    )


def current() -> str:
    """This process's name, as is_gone() reads it; "" where it cannot be told apart."""
    host, boot, namespace = _machine()
    started = _started(os.getpid())
    if not (boot and namespace and started):
        return ""
    return SEPARATOR.join((host, boot, namespace, str(os.getpid()), started))


def is_gone(name: str) -> bool | None:
    """Whether the process named by current() has ended: True or False, or None when this
    process cannot tell (another machine or PID namespace, or a name it does not read)."""
    parts = name.split(SEPARATOR)
    if len(parts) != 5 or not parts[3].isdigit():
        return None
    host, boot, namespace, pid, started = parts
    here_host, here_boot, here_namespace = _machine()
    if host != here_host or not here_boot:
        return None
    if boot != here_boot:
        return True  # the machine restarted since
    if namespace != here_namespace:
        return None
    return _started(int(pid)) != started
