"""Lockstep's explorer next to three Python interleaving explorers, on the same programs.

Run through scripts/peers.sh, which makes the venv and installs the peers:

    peers.py table LOCKSTEP_JSONL [--runs N] [--timeout S]   the whole comparison
    peers.py one TOOL PROGRAM [--runs N]                     one cell (a child process)

The programs are the seed's: the race (`counter += 1`, a read, an add and a write) with 2
threads x 1 increment, 2 x 2 and 3 x 2; the race under a lock (2 x 1); two locks taken in
opposite order (the deadlock) and in the same order; the producer-consumer with a bounded
`queue.Queue` (2 producers x 5 tasks, 3 consumers, maxsize 10, one `None` per producer that
consumers pass on), and the same with 2 tasks per producer, whose queue never fills. Prints and sleeps are left out, as in Lockstep's lessons: they change
when things happen, not which orders are possible.

Each peer is used as its documentation says and stops at the first bug, as each does by
default. frontrun (DPOR) and ploom search with no preemption bound; interleave-test keeps its
default bound of 2 preemptions (unbounded, its bytecode-level DFS runs for many minutes even
on the locked race). frontrun is run a second time with stop_on_first=False, within a
budget, for its counts. Lockstep counts every schedule. Times are the best
of a few runs of the search call alone (interpreter start-up excluded), on whatever machine
runs this: figures to read, never a pass or a fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROGRAMS = [
    "race-2x1",
    "race-2x2",
    "race-3x2",
    "locked-race-2x1",
    "locks-opposite-order",
    "locks-same-order",
    "producer-consumer",
    "producer-consumer-2-tasks",
]
TOOLS = ["frontrun", "interleave-test", "ploom"]
PC_PRODUCERS, PC_CONSUMERS, PC_MAXSIZE = 2, 3, 10
NO_BOUND = 10**9


def pc_tasks(program: str) -> int:
    """Tasks per producer: the seed's 5, or 2 (then the queue never fills)."""
    return 2 if program == "producer-consumer-2-tasks" else 5


def race_shape(program: str) -> tuple[int, int, bool]:
    """Threads, increments per thread and whether a lock is taken, from the program's name."""
    locked = program.startswith("locked-")
    threads, increments = program.rsplit("-", 1)[1].split("x")
    return int(threads), int(increments), locked


# ---------------------------------------------------------------------------------------------
# The programs, once per peer: each peer has its own way to say "threads", "shared" and "bad".


class Shared:
    """State the race threads share (an attribute, so every peer sees its reads and writes)."""

    def __init__(self) -> None:
        self.counter = 0


def two_locks(program: str, lib):
    """Two threads each take two locks, in opposite or the same order; `lib` is `threading` or
    `ploom` (both have `Lock` and `Thread`)."""
    opposite = program == "locks-opposite-order"

    def model() -> None:
        lock1, lock2 = lib.Lock(), lib.Lock()

        def work(first, second) -> None:
            with first:
                with second:
                    pass

        ts = [
            lib.Thread(target=work, args=(lock1, lock2)),
            lib.Thread(target=work, args=(lock2, lock1) if opposite else (lock1, lock2)),
        ]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    return model


def it_model(program: str):
    """interleave-test: a zero-argument model that starts threads, joins them and asserts."""
    if program.startswith(("race", "locked-race")):
        threads, increments, locked = race_shape(program)

        def model() -> None:
            s = Shared()
            lock = threading.Lock()

            def work() -> None:
                for _ in range(increments):
                    if locked:
                        with lock:
                            s.counter += 1
                    else:
                        s.counter += 1

            ts = [threading.Thread(target=work) for _ in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert s.counter == threads * increments, s.counter

        return model
    if program.startswith("locks-"):
        return two_locks(program, threading)
    if program.startswith("producer-consumer"):
        tasks = pc_tasks(program)

        def model() -> None:
            import queue

            task_queue = queue.Queue(maxsize=PC_MAXSIZE)
            results = []
            threads = [
                threading.Thread(target=producer, args=(task_queue, tasks)) for _ in range(PC_PRODUCERS)
            ]
            threads += [
                threading.Thread(target=consumer, args=(task_queue, results)) for _ in range(PC_CONSUMERS)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(results) == PC_PRODUCERS * tasks, len(results)

        return model
    raise KeyError(program)


def producer(task_queue, tasks: int) -> None:
    """The seed's producer, without its print and sleep."""
    for i in range(tasks):
        task_queue.put(f"Task-{i}")
    task_queue.put(None)


def consumer(task_queue, results) -> None:
    """The seed's consumer, without its print and sleep: a `None` is passed on to the others."""
    while True:
        task = task_queue.get()
        if task is None:
            task_queue.put(None)
            break
        results.append(f"{task}-COMPLETED")
        task_queue.task_done()


class PcState:
    """frontrun's shared state for the producer-consumer."""

    def __init__(self) -> None:
        import queue  # looked up now: frontrun swaps in its cooperative Queue while it explores

        self.task_queue = queue.Queue(maxsize=PC_MAXSIZE)
        self.results: list[str] = []


class LockPair:
    """frontrun's shared state for the two-lock programs."""

    def __init__(self) -> None:
        self.lock1, self.lock2 = threading.Lock(), threading.Lock()
        self.done = 0


def frontrun_args(program: str) -> dict:
    """frontrun: setup() makes the shared state, one worker per thread, an invariant at the end."""
    if program.startswith(("race", "locked-race")):
        threads, increments, locked = race_shape(program)

        class State(Shared):
            def __init__(self) -> None:
                super().__init__()
                self.lock = threading.Lock()

        def work(s: State) -> None:
            for _ in range(increments):
                if locked:
                    with s.lock:
                        s.counter += 1
                else:
                    s.counter += 1

        return dict(
            setup=State,
            workers=[work] * threads,
            invariant=lambda s: s.counter == threads * increments,
        )
    if program.startswith("locks-"):
        opposite = program == "locks-opposite-order"

        def one(s: LockPair) -> None:
            with s.lock1:
                with s.lock2:
                    s.done += 1

        def two(s: LockPair) -> None:
            first, second = (s.lock2, s.lock1) if opposite else (s.lock1, s.lock2)
            with first:
                with second:
                    s.done += 1

        return dict(setup=LockPair, workers=[one, two], invariant=lambda s: s.done == 2)
    if program.startswith("producer-consumer"):
        tasks = pc_tasks(program)
        workers = [lambda s: producer(s.task_queue, tasks)] * PC_PRODUCERS
        workers += [lambda s: consumer(s.task_queue, s.results)] * PC_CONSUMERS
        return dict(
            setup=PcState,
            workers=workers,
            invariant=lambda s: len(s.results) == PC_PRODUCERS * tasks,
        )
    raise KeyError(program)


def ploom_scenario(program: str):
    """ploom: a scenario over its own primitives (SharedCell, Lock, Thread); None if it has
    none that can express the program."""
    import ploom

    if program.startswith(("race", "locked-race")):
        threads, increments, locked = race_shape(program)

        def scenario() -> None:
            counter = ploom.SharedCell(0)
            lock = ploom.Lock()

            def work() -> None:
                for _ in range(increments):
                    if locked:
                        with lock:
                            counter.write(counter.read() + 1)
                    else:
                        counter.write(counter.read() + 1)

            ts = [ploom.Thread(target=work) for _ in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert counter.read() == threads * increments, counter.read()

        return scenario
    if program.startswith("locks-"):
        return two_locks(program, ploom)
    # ploom 0.1.x models SharedCell, Lock and Thread only: no Queue, Condition or Semaphore to
    # build a blocking queue from (a hand-made one would have to spin, which it cannot explore).
    return None


# ---------------------------------------------------------------------------------------------
# One cell: run a peer on a program `runs` times, keep the fastest, say what it found.


def run_interleave_test(program: str) -> dict:
    import interleave_test as it

    # Its DFS at its default bound: every bytecode of the model is a scheduling point, so
    # without a bound even the locked 2 x 1 race runs past 9,000 schedules at 2 preemptions.
    bound = 2
    r = it.explore(
        it_model(program),
        strategy=it.DFSStrategy(max_preemptions=bound),
        iterations=NO_BOUND,
        seed=1,
        raise_on_failure=False,
    )
    out = {"executions": r.schedules_run, "bound": bound}
    if r.failure is not None:
        out["found"] = r.failure.kind
    else:
        out["found"], out["exhausted"] = None, r.exhausted
    return out


FRONTRUN_RUN_TIMEOUT = 20.0
FRONTRUN_ALL_BUDGET = 60.0


def run_frontrun(program: str, stop_on_first: bool = True) -> dict:
    import frontrun

    budget = None if stop_on_first else FRONTRUN_ALL_BUDGET
    start = time.perf_counter()
    r = frontrun.explore(
        **frontrun_args(program),
        preemption_bound=None,
        stop_on_first=stop_on_first,
        reproduce_on_failure=0,
        max_executions=NO_BOUND,
        timeout_per_run=FRONTRUN_RUN_TIMEOUT,
        deadlock_timeout=2.0,
        total_timeout=budget,
    )
    out = {"executions": r.num_explored, "failing": len(r.failures)}
    if budget is not None and time.perf_counter() - start >= budget:
        out["stopped"] = budget
    if r.property_holds is False:
        text = (r.explanation or "").lower()
        out["found"] = "deadlock" if "deadlock" in text else "invariant"
    elif r.property_holds is None:
        out["found"] = None
        out["inconclusive"] = r.inconclusive_reason
    else:
        out["found"] = None
    return out


def run_ploom(program: str) -> dict:
    import ploom

    scenario = ploom_scenario(program)
    if scenario is None:
        return {"unsupported": "ploom 0.1.1 has no Queue, Condition or Semaphore"}
    # No minimisation: the other tools report their first counterexample as found.
    config = ploom.Config(max_executions=100_000, timeout=3600.0, minimize_executions=0)
    with tempfile.TemporaryDirectory(prefix="ploom-") as traces:
        try:
            stats = ploom.check(scenario, config=config, trace_dir=Path(traces), on_failure=lambda *_: None)
            return {"found": None, "executions": stats.executions, "exhausted": True}
        except ploom.DeadlockError as e:
            return {"found": "deadlock", "executions": e.statistics.executions}
        except ploom.ModelCheckError as e:
            return {"found": "exception", "executions": e.statistics.executions}


def one(tool: str, program: str, runs: int) -> dict:
    """Best of `runs` (fewer if one run takes over 10 s)."""
    run = {"frontrun": run_frontrun, "interleave-test": run_interleave_test, "ploom": run_ploom}[tool]
    best, result = float("inf"), {}
    for _ in range(runs):
        start = time.perf_counter()
        result = run(program)
        if "unsupported" in result:
            return result
        best = min(best, time.perf_counter() - start)
        if best > 10:
            break
    result["seconds"] = best
    if tool == "frontrun" and result.get("found"):
        # Its counts: the same search, carried on past the first failure (within a budget).
        every = run_frontrun(program, stop_on_first=False)
        result["all_executions"], result["all_failing"] = every["executions"], every["failing"]
        result["all_stopped"] = every.get("stopped")
    return result


# ---------------------------------------------------------------------------------------------
# The table.


def child(tool: str, program: str, runs: int, timeout: float) -> dict:
    """One cell in a fresh interpreter (frontrun's under its `frontrun` launcher)."""
    cmd = [sys.executable, __file__, "one", tool, program, "--runs", str(runs)]
    if tool == "frontrun":
        cmd = [str(Path(sys.executable).with_name("frontrun"))] + cmd
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:120]}
    return json.loads(lines[-1])


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_count(n: int) -> str:
    if n >= 2**128 - 1:
        return "≥3.4e38"
    return f"{n:,}" if n < 10**7 else f"{n:.2e}"


def found_text(tool: str, r: dict) -> str:
    if "unsupported" in r:
        return "cannot express it: " + r["unsupported"]
    if "timeout" in r:
        return f"no answer within {r['timeout']:.0f} s"
    if "error" in r:
        return "error: " + r["error"]
    if r.get("inconclusive"):
        reason = str(r["inconclusive"])
        if "timed out" in reason:
            return f"inconclusive: run {r['executions']} did not finish in {FRONTRUN_RUN_TIMEOUT:.0f} s"
        return "inconclusive: " + reason[:70]
    n = r["executions"]
    bound = f" (≤ {r['bound']} preemptions)" if "bound" in r else ""
    if r.get("found"):
        text = f"{r['found']} at run {n:,}{bound}"
        if "all_executions" in r:
            part = "≥ " if r.get("all_stopped") else ""
            text += f"; all: {part}{r['all_failing']:,}/{part}{r['all_executions']:,} runs fail"
            if r.get("all_stopped"):
                text += f" (stopped at {r['all_stopped']:.0f} s)"
        return text
    return f"no bug in {n:,} runs" + (f", all{bound}" if r.get("exhausted") else bound)


def disagreement(r: dict, ls: dict | None) -> str:
    """A peer's verdict against Lockstep's exhaustive one, when they differ."""
    if not ls or "executions" not in r or r.get("inconclusive"):
        return ""
    if ls["bad"] > 0 and not r.get("found"):
        return "missed"
    if ls["bad"] == 0 and r.get("found"):
        return "bug Lockstep has no schedule for"
    return ""


def lockstep_text(r: dict) -> str:
    what = f"{fmt_count(r['bad'])}/{fmt_count(r['schedules'])} schedules bad, {r['states']:,} states"
    return what + (" (truncated)" if r["truncated"] else "")


def table(lockstep_file: str, runs: int, timeout: float) -> None:
    lockstep = {}
    for line in Path(lockstep_file).read_text().splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            lockstep[row["program"]] = row
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    available = []
    for tool in TOOLS:
        try:
            versions.append(f"{tool} {version(tool)}")
            available.append(tool)
        except PackageNotFoundError:
            versions.append(f"{tool}: not installed (see above)")
    print(f"Python {sys.version.split()[0]}; " + "; ".join(versions))
    print(f"best of {runs} runs of the search call; Lockstep: best of >= 5 (release build)\n")
    rows = []
    for program in PROGRAMS:
        ls = lockstep.get(program)
        cells = {}
        for tool in TOOLS:
            if tool not in available:
                cells[tool] = {"error": "not installed"}
                continue
            print(f"  {program}: {tool}…", file=sys.stderr, flush=True)
            cells[tool] = child(tool, program, runs, timeout)
        rows.append((program, ls, cells))

    print(f"  {'tool':<16} {'time':>10}  {'ratio':>10}  what it found\n")
    for program, ls, cells in rows:
        print(f"{program}")
        if ls:
            print(f"  {'lockstep':<16} {fmt_time(ls['seconds']):>10}  {'':>10}  {lockstep_text(ls)}")
        for tool in TOOLS:
            r = cells[tool]
            secs = r.get("seconds")
            t = fmt_time(secs) if secs is not None else "—"
            # A ratio only for a right verdict: a search that gave up or missed the bug has no
            # time to compare.
            differs = disagreement(r, ls)
            verdict = secs is not None and not r.get("inconclusive") and differs != "missed"
            ratio = f"{secs / ls['seconds']:,.0f}×" if verdict and ls and ls["seconds"] > 0 else ""
            note = f"  <- {differs}" if differs else ""
            print(f"  {tool:<16} {t:>10}  {ratio:>10}  {found_text(tool, r)}{note}")
        print()
    print("ratio: the peer's time over Lockstep's on the same program (higher: Lockstep faster).")
    print("Lockstep counts every schedule; the peers stop at the first bug unless noted.")
    print("missed: the peer reports no bug where Lockstep's exhaustive search has bad schedules.\n")

    # The times once more, side by side.
    head = f"{'program':<27} {'lockstep':>9}" + "".join(f" {t:>24}" for t in TOOLS)
    print(head)
    print("-" * len(head))
    for program, ls, cells in rows:
        line = f"{program:<27} {fmt_time(ls['seconds']) if ls else '—':>9}"
        for tool in TOOLS:
            r = cells[tool]
            if "unsupported" in r:
                cell = "cannot express"
            elif "seconds" not in r:
                cell = "—"
            elif r.get("inconclusive"):
                cell = f"gave up at {fmt_time(r['seconds'])}"
            else:
                missed = disagreement(r, ls) == "missed"
                verdict = "missed" if missed else "bug" if r.get("found") else "ok"
                ratio = f" {r['seconds'] / ls['seconds']:,.0f}×" if ls and not missed else ""
                cell = f"{verdict} {fmt_time(r['seconds'])}{ratio}"
            line += f" {cell:>24}"
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    t.add_argument("lockstep_jsonl")
    t.add_argument("--runs", type=int, default=3)
    t.add_argument("--timeout", type=float, default=300.0)
    o = sub.add_parser("one")
    o.add_argument("tool", choices=TOOLS)
    o.add_argument("program", choices=PROGRAMS)
    o.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if a.cmd == "table":
        table(a.lockstep_jsonl, a.runs, a.timeout)
    else:
        # The peers print progress and trace paths: keep stdout for the one JSON line.
        real_stdout = sys.stdout
        sys.stdout = sys.stderr
        result = one(a.tool, a.program, a.runs)
        sys.stdout = real_stdout
        print(json.dumps(result))


if __name__ == "__main__":
    # For the child interpreters (set here, it cannot change this one's hashing).
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
