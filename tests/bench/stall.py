"""The GUI event-loop stall probe the stall benchmarks share (``make bench``).

A QTimer ticking every ``TICK_MS`` on the GUI thread: the longest gap between two ticks,
beyond the interval it waits anyway, is the longest time the GUI could not react to the user.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from tests.bench.measure import Figures

LIMIT_MS = 50.0
TICK_MS = 10
IDLE_SECONDS = 2.0


class StallProbe:
    """The longest gap between ticks of a 10 ms timer, beyond the 10 ms it waits anyway."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.times: list[float] = []
        self._last = 0
        #: per tick: CPU time of the GUI thread and of the whole process since the previous
        #: tick (ms): a long gap with little GUI-thread CPU time is a wait (for the GIL, for a
        #: core), not work the GUI thread did
        self.gui_cpu: list[float] = []
        self.process_cpu: list[float] = []
        self._cpu = (0.0, 0.0)
        #: per tick, with ``BOOTIMAGE_BENCH_SAMPLE`` only (reading them is file I/O on the GUI
        #: thread, which lengthens the next gap): ms the GUI thread waited for a core (ready to
        #: run, not running: the scheduler), and the process's major page faults (a wait for I/O)
        self.diagnose = bool(os.environ.get("BOOTIMAGE_BENCH_SAMPLE"))
        self.gui_waited: list[float] = []
        self.major_faults: list[int] = []
        self._waits = (0.0, 0)
        self.sampler = StackSampler() if os.environ.get("BOOTIMAGE_BENCH_SAMPLE") else None

    def start(self) -> None:
        self.gaps.clear()
        self.times.clear()
        self.gui_cpu.clear()
        self.process_cpu.clear()
        self.gui_waited.clear()
        self.major_faults.clear()
        self._cpu = (time.thread_time(), time.process_time())
        self._waits = _waits() if self.diagnose else (0.0, 0)
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self.timer.start()
        if self.sampler is not None:
            self.sampler.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.sampler is not None:
            self.sampler.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append(max(0.0, (now - self._last) / 1e6 - TICK_MS))
        self.times.append(now / 1e6)
        self._last = now
        cpu = (time.thread_time(), time.process_time())
        self.gui_cpu.append((cpu[0] - self._cpu[0]) * 1000)
        self.process_cpu.append((cpu[1] - self._cpu[1]) * 1000)
        self._cpu = cpu
        waits = _waits() if self.diagnose else (0.0, 0)
        self.gui_waited.append(waits[0] - self._waits[0])
        self.major_faults.append(waits[1] - self._waits[1])
        self._waits = waits
        if self.sampler is not None:
            self.sampler.ticked()

    def timeline(self) -> list[tuple[float, float]]:
        """(ms since start, gap in ms) of every tick."""
        return list(zip(self.times, self.gaps, strict=True))

    @property
    def worst(self) -> float:
        return max(self.gaps, default=0.0)


    def cpu_summary(self) -> str:
        """CPU time the GUI thread and the whole process used while the probe ran, and the most
        the GUI thread used within one gap."""
        return (f"CPU while probed: GUI thread {sum(self.gui_cpu):.0f} ms, process {sum(self.process_cpu):.0f} ms; "
                f"most GUI-thread CPU in one gap {max(self.gui_cpu, default=0.0):.1f} ms")

    def worst_five(self) -> str:
        """The five longest gaps (ms), each with the CPU time the GUI thread / the whole process
        used in it and, with ``BOOTIMAGE_BENCH_SAMPLE``, how long the GUI thread waited for a
        core and the process's major page faults: a gap the GUI thread spent working shows its
        own length in the first figure; a wait for a core (the scheduler) in the third; a gap
        with none of these was a block (I/O, a lock, the GIL held by a blocked thread), and page
        faults say when it was reading pages from disk."""
        worst = sorted(range(len(self.gaps)), key=self.gaps.__getitem__)[-5:]

        def waits(i: int) -> str:
            return f", {self.gui_waited[i]:.1f} waited, {self.major_faults[i]} faults" if self.diagnose else ""

        return ", ".join(f"{self.gaps[i]:.1f} ({self.gui_cpu[i]:.1f} / {self.process_cpu[i]:.1f} CPU{waits(i)})"
                         for i in worst)


def _waits() -> tuple[float, int]:
    """(ms the calling thread has waited on a run queue, the process's major page faults) so far."""
    try:
        waited = int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):  # not Linux, or no scheduler statistics
        waited = 0.0
    return waited, resource.getrusage(resource.RUSAGE_SELF).ru_majflt


class StackSampler:
    """Where the GUI thread is while it stalls (``BOOTIMAGE_BENCH_SAMPLE=1``): a thread looks
    every 2 ms; once the probe has not ticked for ``after_ms`` beyond its interval it records
    the GUI thread's Python stack (and the innermost frame of every other thread: who holds
    the GIL), and prints the samples of each gap when the probe stops. A thread that cannot get
    the GIL samples late: a sample is where the GUI thread was when the GIL was free."""

    def __init__(self, after_ms: float = 15.0) -> None:
        self.after = (TICK_MS + after_ms) / 1000
        self.main = threading.main_thread().ident or 0
        self._tick_at = time.perf_counter()
        self._ticks = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.gaps: dict[int, list[tuple[float, list[str], list[str]]]] = {}

    def ticked(self) -> None:
        self._tick_at = time.perf_counter()
        self._ticks += 1

    def start(self) -> None:
        self.gaps = {}
        self._tick_at = time.perf_counter()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for tick, samples in self.gaps.items():
            print(f"-- stall after tick {tick}: {len(samples)} sample(s)")
            for waited, stack, others in samples:
                print(f"   at {waited * 1000:.0f} ms: " + " > ".join(stack))
                for other in others:
                    print(f"      other thread: {other}")

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            waited = time.perf_counter() - self._tick_at
            if waited < self.after:
                continue
            frames = sys._current_frames()
            main = frames.get(self.main)
            if main is None:
                continue
            stack = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in traceback.extract_stack(main)[-12:]]
            others = [f"{Path(f.f_code.co_filename).name}:{f.f_lineno} {f.f_code.co_name}"
                      for ident, f in frames.items() if ident not in (self.main, threading.get_ident())]
            self.gaps.setdefault(self._ticks, []).append((waited, stack, others))


def assert_no_stall(stalls: Figures, idle: Figures, doing: str) -> None:
    """The goal: no stall of ``LIMIT_MS`` while ``doing``. Each figure is the worst stall of one
    run; ``idle`` is the same probe on the same idle window in the same run.

    On a quiet machine the idle window stalls ~2 ms and this is the issue's goal as written. The
    shared 2-core machine under load stalls even an idle window by 20–140 ms now and then (the
    scheduler, not the console): what the idle window stalled in the same run is allowed on top,
    for the typical run (medians) and the worst (maxima)."""
    assert stalls.median < LIMIT_MS + idle.median, (
        f"the GUI stalled {_ms(stalls)} {doing} (idle window: {_ms(idle)}); limit {LIMIT_MS:.0f} ms beyond idle")
    assert stalls.max < LIMIT_MS + idle.max, (
        f"the GUI stalled {stalls.max:.1f} ms {doing}, more than the limit ({LIMIT_MS:.0f} ms) plus the idle "
        f"window's worst ({idle.max:.1f} ms)")


def _ms(figures: Figures) -> str:
    return f"{figures.min:.1f} / {figures.median:.1f} / {figures.max:.1f} ms (min / median / max of {len(figures.values)})"


CONTROL = """
import os, sys, time
from PySide6.QtCore import QCoreApplication
from tests.bench.stall import StallProbe
app = QCoreApplication([])
probe = StallProbe()
probe.start()
while not os.path.exists(sys.argv[1]):
    app.processEvents()
    time.sleep(0.001)
probe.stop()
print(f"{probe.worst:.1f}")
"""


def control_probe(stop_file: Path) -> subprocess.Popen[str]:
    """The same probe in a bare Qt process without any window or work, started next to the work:
    what the machine's scheduler alone costs a process meanwhile (a reference in the same run).
    Touch ``stop_file``, then read its worst stall (ms) from ``communicate()``."""
    env = {k: v for k, v in os.environ.items() if k != "BOOTIMAGE_BENCH_SAMPLE"}
    return subprocess.Popen([sys.executable, "-c", CONTROL, str(stop_file)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], env=env)


def stop_control(control: subprocess.Popen[str], stop_file: Path) -> float:
    stop_file.touch()
    return float(control.communicate(timeout=30)[0].strip() or "nan")


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    app = QApplication.instance()
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


class SlowCalls:
    """Where GUI-thread time goes (``BOOTIMAGE_BENCH_TRACE=1``): every Python function the event
    loop called (a slot, an event handler, a model method) that ran longer than ``ms``."""

    def __init__(self, ms: float = 15.0) -> None:
        self.ms = ms
        self.slow: list[tuple[str, float]] = []
        self._stack: list[float] = []

    def _profile(self, frame: FrameType, event: str, _arg: object) -> None:
        if event == "call":
            self._stack.append(time.perf_counter())
        elif event == "return" and self._stack:
            ms = (time.perf_counter() - self._stack.pop()) * 1000
            if ms >= self.ms and len(self._stack) < 4:
                code = frame.f_code
                where = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno} {code.co_qualname}"
                self.slow.append(("  " * len(self._stack) + where, round(ms, 1)))

    def process_events(self, app: QCoreApplication) -> None:
        self._stack.clear()
        sys.setprofile(self._profile)
        try:
            app.processEvents()
        finally:
            sys.setprofile(None)


#: ``BOOTIMAGE_BENCH_TRACE=1`` lists calls of 15 ms or more; a number instead of 1 is the threshold (ms)
TRACE = (SlowCalls(float(os.environ["BOOTIMAGE_BENCH_TRACE"]) if os.environ["BOOTIMAGE_BENCH_TRACE"] != "1" else 15.0)
         if os.environ.get("BOOTIMAGE_BENCH_TRACE") else None)


def print_slow_calls() -> None:
    """What ``BOOTIMAGE_BENCH_TRACE`` found (nothing when it is off)."""
    if TRACE is not None:
        print(f"GUI-thread calls of {TRACE.ms:.0f} ms or more (callees indented, listed first):\n"
              + "\n".join(f"{ms:7.1f} {name}" for name, ms in TRACE.slow))


def wait_for(condition: Callable[[], object], timeout: float) -> None:
    end = time.monotonic() + timeout
    app = QApplication.instance()
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"not reached within {timeout} s")
        if TRACE is not None:
            TRACE.process_events(app)
        else:
            app.processEvents()
        time.sleep(0.002)


class Watched:
    """A condition that reads the database (is every job finished?), checked by a thread of the
    benchmark every ``interval`` s, never on the GUI thread: the console's user does not run the
    benchmark's queries; on the GUI thread, ~1,000 reads per run (``wait_for`` loops every 2 ms)
    took 0.7–1.5 s of its time and made stalls of up to 64 ms of their own. ``wait_for(watched)``
    waits for it; an error in the condition is raised there."""

    def __init__(self, condition: Callable[[], object], interval: float = 0.25) -> None:
        self._condition = condition
        self._interval = interval
        self._met = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-watch", daemon=True)

    def __enter__(self) -> Watched:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __call__(self) -> bool:
        if self._error is not None:
            raise self._error
        return self._met.is_set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if self._condition():
                    self._met.set()
                    return
            except BaseException as exc:  # raised on the GUI thread by __call__
                self._error = exc
                return


def idle_stall(probe: StallProbe, seconds: float = IDLE_SECONDS) -> float:
    """The reference: the same probe on the same idle window, in the same run (ms)."""
    probe.start()
    spin(seconds)
    probe.stop()
    return probe.worst


class GcLog:
    """Garbage collections (any thread) while it is on: generation and milliseconds each.

    A collection stops every Python thread, the GUI thread included, wherever it started."""

    def __init__(self) -> None:
        self.collections: list[tuple[int, float]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((info["generation"], (time.perf_counter() - self._started) * 1000))

    def __enter__(self) -> GcLog:
        import gc

        self.collections.clear()
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        import gc

        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        parts = []
        for generation in (0, 1, 2):
            times = [ms for g, ms in self.collections if g == generation]
            if times:
                parts.append(f"gen {generation}: {len(times)}× (max {max(times):.1f} ms, total {sum(times):.0f} ms)")
        return "; ".join(parts) or "none"
