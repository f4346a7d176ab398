"""Send a job's output, warnings and progress bars to its log file."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import resource
import sys
import time
from pathlib import Path


def seconds_since_process_start() -> float | None:
    """How long this process has run (Linux): at a script's first line, its start-up."""
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return None
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def log_to(path: str) -> None:
    """Route stdout, stderr (tqdm) and ``logging`` of this process into ``path``.

    Logs the job's start-up (interpreter, Snakemake's script preamble, imports),
    which ``benchmarks/workflow_overhead.py`` sets against the job's wall time.
    """
    stream = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the job
    global _console
    _console = os.fdopen(os.dup(2), "w", buffering=1)  # the job's own stderr: Snakemake's console
    sys.excepthook = _reporting_to(_console, path)
    sys.stdout = sys.stderr = stream
    for descriptor in (1, 2):  # child processes too (vLLM's engine, torchrun's ranks)
        os.dup2(stream.fileno(), descriptor)
    logging.basicConfig(
        stream=stream,
        level=logging.INFO,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.info("python: %s", sys.executable)  # the job's environment (conda, module, venv)
    startup = seconds_since_process_start()
    if startup is not None:
        logging.info("start-up: %.2f s", startup)
    atexit.register(_log_peak_memory)


_console = None  # the job's own stderr, once log_to has sent stderr to the log


def console(message: str) -> None:
    """A line for the person watching the run (and the log): what a job found that
    they must not miss, such as how many verdicts or scores parsed."""
    logging.info("%s", message)
    if _console is not None:
        _console.write(message + "\n")


def _reporting_to(stream, path: str):
    """An excepthook: the traceback to the log, and why the job failed to the console,
    so a user sees the reason beside Snakemake's "Error in rule", not only a log path."""

    def report(kind, error, traceback):
        sys.__excepthook__(kind, error, traceback)  # to stderr, which is the log
        stream.write(f"{kind.__name__}: {error}\n(traceback in {path})\n")

    return report


def _log_peak_memory() -> None:
    """The job's peak resident memory (its own, and its largest child's: shards, torchrun)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    logging.info("peak memory: %.0f MiB (largest child process: %.0f MiB)", own, child)


@contextlib.contextmanager
def timed(step: str):
    """Log how long ``step`` took: jobs split their time into reading, compute
    and writing this way (``benchmarks/scale.py`` reads these lines)."""
    start = time.perf_counter()
    yield
    logging.info("step %s: %.2f s", step, time.perf_counter() - start)
