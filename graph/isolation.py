"""Running one piece of untrusted work in a child process that can really be stopped.

Neither pyoxigraph nor rdflib can interrupt a query: an aggregate over a cross join computes for
minutes before its first row, and a thread cannot be killed. So the work runs in a child made with
``fork`` (the in-memory store is inherited copy-on-write, nothing is copied or reloaded), and the
parent waits for its answer on a pipe until the child has computed for its time limit (or three
times that has passed on the clock), then kills it. The parent process stays usable whatever the
child does. Cost: about 3 ms per call on the seed library, 35 to 50 ms in a process holding 1,000
guidelines (the page tables of its 750 MB to copy and drop; measured). A child that has computed
for a quarter of a second is given a lower priority, so that on a busy machine the quick ones
finish within their limits (the parent lowers it: see ``LONG_RUNNER_SECONDS``).

The child also gets a private, empty network namespace where the kernel allows one (Linux with
unprivileged user namespaces): a defence in depth under the SPARQL guards, so that even a query
the guards misread cannot open a connection. Where that is not allowed the guards alone apply.

Where ``fork`` does not exist (Windows) the work runs in-process and only the work's own deadline
checks apply; see :func:`can_isolate`.
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import select
import signal
import sys
import time
from dataclasses import dataclass
from typing import Callable

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_READ_CHUNK = 1 << 20
_POLL_SECONDS = 0.05  # how often the parent looks at the child's memory while it waits

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - platforms without a C library handle
    _LIBC = None
try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None
_RSS_UNIT_KB = 1 / 1024 if sys.platform == "darwin" else 1  # getrusage: bytes on macOS, KiB elsewhere
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


class Stopped(Exception):
    """The child was stopped: ``reason`` is "time" or "memory"."""

    def __init__(self, reason: str, elapsed_ms: float):
        self.reason = reason
        self.elapsed_ms = elapsed_ms
        super().__init__(f"stopped ({reason}) after {elapsed_ms:.0f} ms")


class ChildFailed(Exception):
    """The child died without an answer (a crash, or the system killed it)."""


@dataclass(frozen=True)
class Outcome:
    """What the work returned, and how long it took in wall-clock milliseconds."""

    value: object
    elapsed_ms: float


def can_isolate() -> bool:
    """True where work can run in a child that is killed at its deadline (POSIX ``fork``)."""
    return hasattr(os, "fork") and hasattr(select, "poll")


_network_isolated = False  # set in a child whose network namespace is its own


def isolate_network() -> bool:
    """Move the calling process into a new, empty network namespace; False where not allowed.

    Only safe in a single-threaded process (the kernel refuses otherwise), which a forked child is.
    """
    global _network_isolated
    unshare = getattr(_LIBC, "unshare", None)
    if unshare is not None and unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        _network_isolated = True
    return _network_isolated


def network_isolated() -> bool:
    """True inside a child of :func:`run_isolated` that has no network."""
    return _network_isolated


def run_isolated(work: Callable[[], object], *, timeout_ms: int, max_memory_mb: int, network: bool = False) -> Outcome:
    """Run ``work()`` in a forked child and return its value, or stop the child at a limit.

    Parameters
    ----------
    work : a function of no arguments whose return value pickles; it runs in the child.
    timeout_ms : the child is killed when it has computed this long (processor time), or when
        ``WAIT_FACTOR`` times this has passed on the clock (a child that sleeps, or that a busy
        machine keeps waiting). Where /proc does not tell processor time, the clock alone.
    max_memory_mb : limit on the child's growth in resident memory beyond the parent's.
    network : keep the network in the child (work that must reach a remote SPARQL store).

    Returns
    -------
    Outcome with the value and the elapsed milliseconds.

    Raises
    ------
    Stopped : the child passed a limit and was killed.
    ChildFailed : the child died without an answer.
    Exception : whatever ``work`` raised, re-raised in the parent.

    Examples
    --------
    >>> run_isolated(lambda: 6 * 7, timeout_ms=2000, max_memory_mb=256).value
    42
    """
    if not can_isolate():  # pragma: no cover - Windows
        start = time.monotonic()
        return Outcome(work(), (time.monotonic() - start) * 1000)
    start = time.monotonic()
    cpu_limit = timeout_ms / 1000 if _HAS_PROC_STAT else None
    deadline = start + timeout_ms / 1000 * (WAIT_FACTOR if cpu_limit is not None else 1)
    baseline_kb = _peak_rss_kb()
    reader, writer = os.pipe()
    try:
        pid = _fork_without_collector()
    except OSError:  # no process could be made (a process or memory limit): leave nothing open
        os.close(reader)
        os.close(writer)
        raise
    if pid == 0:  # the child: never return into the caller's code, never run its cleanup
        _child(work, reader, writer, network)
    os.close(writer)
    finished = False
    try:
        payload = _collect(pid, reader, deadline, start, baseline_kb + max_memory_mb * 1024, cpu_limit)
        finished = True
    finally:
        os.close(reader)
        if not finished:
            _kill(pid)
    _, status = os.waitpid(pid, 0)
    elapsed_ms = (time.monotonic() - start) * 1000
    if not payload:
        raise ChildFailed(_describe_exit(status))
    ok, value = pickle.loads(payload)
    if not ok:
        raise value
    return Outcome(value, elapsed_ms)


def _fork_without_collector() -> int:
    """``os.fork()``, with the child's cycle collector off from its first instruction.

    A collection in the child visits every object it inherited, copying each page of the parent's
    heap: 600 ms at 1,000 guidelines, most of the one-second limit of a parse that takes 20 ms.
    The child is short-lived and its memory is limited, so its cycles wait for its exit. Turning
    the collector off in the child itself is too late: the fork's own hooks (threading's,
    logging's) allocate first, and can set off a collection (seen: a full one, in a run of the
    test suite).
    """
    enabled = gc.isenabled()
    gc.disable()
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0 and enabled:  # the caller's collector is back on, even when fork failed
            gc.enable()
    return pid


def _child(work: Callable[[], object], reader: int, writer: int, network: bool = False) -> None:
    code = 0
    try:
        os.close(reader)
        _die_with_parent()
        if not network:
            isolate_network()
        try:
            message = (True, work())
        except Exception as error:  # noqa: BLE001 - handed to the parent, which re-raises it
            message = (False, error)
        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - an unpicklable value or error
            data = pickle.dumps((False, ChildFailed(f"the answer could not be passed back: {error}")))
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view) :]
    except BaseException:  # noqa: BLE001 - whatever happens, leave with os._exit below
        code = 1
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Never outlive the caller: Ctrl-C ends the child at once, and so does the caller's death."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # not the caller's handler (uvicorn's, pytest's)
    prctl = getattr(_LIBC, "prctl", None)  # Linux only
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _collect(pid: int, reader: int, deadline: float, start: float, memory_limit_kb: int,
             cpu_limit: float | None = None) -> bytes:
    poller = select.poll()
    poller.register(reader, select.POLLIN | select.POLLHUP)
    chunks: list[bytes] = []
    yielded = False
    while True:
        now = time.monotonic()
        remaining = deadline - now
        over = remaining <= 0
        if not over and (cpu_limit is not None or not yielded) and now - start > min(LONG_RUNNER_SECONDS, cpu_limit or 1):
            used = _cpu_seconds(pid)
            over = cpu_limit is not None and used >= cpu_limit
            if not yielded and used > LONG_RUNNER_SECONDS:
                yielded = _lower_priority(pid)
        # A limit seen late (this process was held up: another thread kept the GIL, the machine
        # stalled) does not throw away an answer that is already waiting in the pipe.
        if over and not poller.poll(0):
            raise Stopped("time", (now - start) * 1000)
        if poller.poll(0 if over else min(remaining, _POLL_SECONDS) * 1000):
            chunk = os.read(reader, _READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
        elif _rss_kb(pid) > memory_limit_kb:
            raise Stopped("memory", (time.monotonic() - start) * 1000)


#: A worker that has computed for this long yields the processor to the short ones (nice 10: about
#: a tenth of a share): on a busy endpoint a slow query must not make the quick ones miss their time
#: limit. CPU time, not wall time, so that a quick query merely kept waiting is not pushed back
#: further. The slow one is still stopped at its own limit, in wall-clock time.
LONG_RUNNER_SECONDS = 0.25
LONG_RUNNER_NICE = 10
#: The clock allows a child this many times its processor-time limit: waiting for the processor on
#: a busy machine is not the work's fault, but a child that sleeps or hangs must still end.
WAIT_FACTOR = 3
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_HAS_PROC_STAT = os.path.exists(f"/proc/{os.getpid()}/stat")


def _cpu_seconds(pid: int) -> float:
    """The child's processor time so far; 0 where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime and stime, fields 14 and 15
    except (OSError, ValueError, IndexError):
        return 0.0


def _lower_priority(pid: int) -> bool:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, LONG_RUNNER_NICE)
    except (OSError, AttributeError):  # the child is gone, or no setpriority (Windows)
        pass
    return True


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _peak_rss_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT_KB)


def _rss_kb(pid: int) -> int:
    """The child's resident memory; 0 where /proc does not tell (then only the time limit applies)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as stream:
            return int(stream.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return f"the query worker was killed by {name} (out of memory?)"
    return f"the query worker stopped with exit code {os.WEXITSTATUS(status)} and no answer"
