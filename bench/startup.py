"""Start-up time of the ``gesurvey`` command, beside a bare Python start-up in the same run.

Usage: python bench/startup.py [--runs 15]

Runs ``gesurvey --version``, ``gesurvey analyze --help`` and, as the anchor, ``python -c pass``
(the same interpreter, so the same site-packages and ``.pth`` files) ``--runs`` times each,
interleaved so a change in the machine's load hits all three alike. Prints for each the median
and best wall time, the median CPU time (user + system) of the process, its peak resident memory,
and the ratio to the anchor. The goal is a wall time under 0.3 s. The ``gesurvey`` script is the
one installed beside this Python (``pip install -e .``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.3


def _run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of one run of command."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()}")  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("gesurvey")
    if not script.exists():
        raise SystemExit(f"no gesurvey script beside {sys.executable}; run pip install -e .")
    jobs = {
        "anchor: python -c pass": [sys.executable, "-c", "pass"],
        "gesurvey --version": [str(script), "--version"],
        "gesurvey analyze --help": [str(script), "analyze", "--help"],
    }
    for command in jobs.values():  # warm the file cache and the byte-code
        _run(command)
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in jobs}
    for _ in range(args.runs):
        for name, command in jobs.items():
            runs[name].append(_run(command))
    anchor = statistics.median(wall for wall, _cpu, _mb in runs["anchor: python -c pass"])
    load = os.getloadavg()[0]
    for name, figures in runs.items():
        walls = [wall for wall, _cpu, _mb in figures]
        wall = statistics.median(walls)
        cpu = statistics.median(cpu for _wall, cpu, _mb in figures)
        peak = max(mb for _wall, _cpu, mb in figures)
        verdict = "" if name.startswith("anchor") else f"  goal < {GOAL_SECONDS} s"
        print(
            f"{name:26s} median {wall:5.3f} s  best {min(walls):5.3f} s  CPU {cpu:5.3f} s  "
            f"peak {peak:4.0f} MB  {wall / anchor:4.1f}x the anchor{verdict}",
            flush=True,
        )
    print(f"{args.runs} runs each, {os.cpu_count()} cores, load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
