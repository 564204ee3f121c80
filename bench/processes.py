"""Child processes: started pinned to a core in their own process group, always reaped.

Every process the harness starts goes through `Process`, so one `stop()` (or
the harness's ExitStack on any failure) kills the whole tree: granian workers,
nginx workers, and anything they spawned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

_PAGE_KIB = os.sysconf("SC_PAGESIZE") // 1024


class StartError(RuntimeError):
    """A server did not come up; the message holds the tail of its log."""


class Process:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cpu: int,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self._popen = subprocess.Popen(
                ["taskset", "-c", str(cpu), *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,  # own process group: killpg reaches every child
            )

    @property
    def pid(self) -> int:
        return self._popen.pid  # taskset execs, so this is the server itself

    def running(self) -> bool:
        return self._popen.poll() is None

    def wait_for_port(self, port: int, *, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running():
                raise StartError(f"{self.name} exited with {self._popen.returncode}: {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise StartError(
            f"{self.name} did not listen on {port} in {timeout_s:.0f} s: {self.tail()}"
        )

    def stop(self, *, grace_s: float = 5.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after the grace period."""
        if self._popen.returncode is None:
            _signal_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=grace_s)
        # Workers may outlive their master for a moment: always sweep the group.
        _signal_group(self.pid, signal.SIGKILL)
        if self._popen.returncode is None:
            self._popen.wait(timeout=grace_s)

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice); racy, fine for loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tree_pids(roots: Iterable[int]) -> set[int]:
    """The roots and all their descendants, from /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                # The command name may hold spaces: the fields after the last ')' are safe.
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    pending = list(roots)
    while pending:
        pid = pending.pop()
        if pid not in found:
            found.add(pid)
            pending.extend(children.get(pid, ()))
    return found


def rss_mib(pids: Iterable[int]) -> float:
    """Sum of resident memory (VmRSS) of the given processes, in MiB.

    Pages shared between processes (nginx master and worker) count once per
    process, as VmRSS does; the error is a few MiB at most.
    """
    total_kib = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                # statm's second field is VmRSS in pages; cheaper to read than status.
                total_kib += int(fh.read().split()[1]) * _PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    return total_kib / 1024
