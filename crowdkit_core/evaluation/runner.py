"""Run calls in worker processes, a wall-time limit on each, ``jobs`` of them at a time.

A strategy that loops forever or crashes the interpreter must not take ``crowd evaluate``
with it, so each call runs in its own process, which is terminated when its time is up.
Processes are forked (Linux): the child inherits the loaded datasets and the plugin
registry, in-process plugins included (a spawned child would re-import entry points only,
and would not see a strategy registered with ``PluginRegistry.add_plugin``). Where fork is
not available, calls run one at a time in a thread of this process: a call past its limit
is reported as timed out, but its thread cannot be stopped and runs on in the background.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Literal, Sequence

Status = Literal["ok", "timed_out", "failed"]

#: Seconds a terminated worker gets to exit before it is killed.
_GRACE = 2.0


@dataclass
class Outcome:
    """What one call gave: its value (``ok``), or why there is none; wall seconds it took."""

    status: Status
    value: Any = None
    reason: str = ""
    seconds: float = 0.0


def can_fork() -> bool:
    """Whether calls run in forked worker processes (Linux) rather than in threads."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def failure_reason(exc: BaseException) -> str:
    """One line saying why a call failed: a user error's own message; otherwise the type and
    message of the exception (for a strategy's bug, of the original one, not the wrapper)."""
    from crowdkit_core.errors import CrowdkitError, StrategyFailed

    if isinstance(exc, StrategyFailed) and exc.__cause__ is not None:
        exc = exc.__cause__
    text = " ".join(str(exc).split())
    if isinstance(exc, CrowdkitError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_limited(calls: Sequence[Callable[[], Any]], time_limit: float | None = None,
                jobs: int = 1, on_outcome: Callable[[int, Outcome], None] | None = None,
                ) -> list[Outcome]:
    """The outcome of each call, in the order of ``calls`` whatever the order they finish.

    ``time_limit`` (seconds, None for none) bounds each call's wall time; ``jobs`` calls
    run at once; ``on_outcome(index, outcome)`` is told of each as it finishes.
    """
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if not can_fork():
        return _run_in_threads(calls, time_limit, on_outcome)
    return _run_in_processes(calls, time_limit, jobs, on_outcome)


@dataclass
class _Running:
    index: int
    process: Any
    conn: Connection
    start: float


def _child(call: Callable[[], Any], conn: Connection) -> None:
    """Body of a worker process: run the call, send ("ok", value) or ("failed", reason)."""
    try:
        message: tuple[str, Any] = ("ok", call())
    except BaseException as exc:  # everything, so the parent always learns why
        message = ("failed", failure_reason(exc))
    try:
        conn.send(message)
    except Exception as exc:  # an unpicklable value
        conn.send(("failed", f"result could not be sent back: {failure_reason(exc)}"))
    conn.close()


def _run_in_processes(calls: Sequence[Callable[[], Any]], time_limit: float | None, jobs: int,
                      on_outcome: Callable[[int, Outcome], None] | None) -> list[Outcome]:
    context = multiprocessing.get_context("fork")
    outcomes: list[Outcome | None] = [None] * len(calls)
    pending = list(range(len(calls)))[::-1]
    running: list[_Running] = []

    def finish(run: _Running, outcome: Outcome) -> None:
        running.remove(run)
        run.conn.close()
        outcome.seconds = time.perf_counter() - run.start
        outcomes[run.index] = outcome
        if on_outcome is not None:
            on_outcome(run.index, outcome)

    try:
        while pending or running:
            while pending and len(running) < jobs:
                index = pending.pop()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(calls[index], sender), daemon=True)
                process.start()
                sender.close()
                running.append(_Running(index, process, receiver, time.perf_counter()))
            timeout = None
            if time_limit is not None:
                now = time.perf_counter()
                timeout = max(0.0, min(r.start + time_limit - now for r in running))
            ready = wait([r.conn for r in running] + [r.process.sentinel for r in running], timeout)
            for run in list(running):
                if run.conn in ready or run.conn.poll():
                    try:
                        status, payload = run.conn.recv()
                    except EOFError:  # died without a word (killed, segfault)
                        run.process.join()
                        finish(run, Outcome("failed", reason=_died(run.process.exitcode)))
                        continue
                    run.process.join()
                    finish(run, Outcome("ok", value=payload) if status == "ok"
                           else Outcome("failed", reason=payload))
                elif run.process.sentinel in ready:
                    run.process.join()
                    finish(run, Outcome("failed", reason=_died(run.process.exitcode)))
                elif time_limit is not None and time.perf_counter() - run.start >= time_limit:
                    _stop(run.process)
                    finish(run, Outcome("timed_out", reason=f"stopped after the {time_limit:g} s limit"))
    finally:
        for run in running:
            _stop(run.process)
            run.conn.close()
    return [o for o in outcomes if o is not None]


def _stop(process: Any) -> None:
    """Terminate a worker, then kill it if it has not exited within the grace period."""
    process.terminate()
    process.join(_GRACE)
    if process.is_alive():
        process.kill()
        process.join()


def _died(exitcode: int | None) -> str:
    signal = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return f"worker process died ({signal}) before giving a result"


def _run_in_threads(calls: Sequence[Callable[[], Any]], time_limit: float | None,
                    on_outcome: Callable[[int, Outcome], None] | None) -> list[Outcome]:
    """One call at a time, each in a daemon thread joined for at most ``time_limit``."""
    outcomes = []
    for index, call in enumerate(calls):
        box: dict[str, Outcome] = {}

        def body(call: Callable[[], Any] = call, box: dict[str, Outcome] = box) -> None:
            try:
                box["outcome"] = Outcome("ok", value=call())
            except BaseException as exc:
                box["outcome"] = Outcome("failed", reason=failure_reason(exc))

        start = time.perf_counter()
        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        thread.join(time_limit)
        outcome = box.get("outcome") or Outcome(
            "timed_out", reason=f"stopped waiting after the {time_limit:g} s limit")
        outcome.seconds = time.perf_counter() - start
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(index, outcome)
    return outcomes
