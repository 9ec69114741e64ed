"""Time the full report (tables, Excel, PDF, CSV, department packs) and its peak memory.

The PDFs are written by a process of the report's own beside the rest: its CPU time is
added to the report's, and its peak memory to the report's peak (an upper bound of the two
together, since they need not peak at the same moment).

Two sizes, as issue 7 asks: the synthetic survey of 3,600 households, and a survey of about
1,000,000 persons (household members). The data come from the simulator (``gesurvey simulate``,
``analysis.synthetic``). Each report runs in a fresh child process, so its peak resident
memory is its own (``ru_maxrss`` of the child), not the data generator's.

Usage: python bench/report.py [--sizes 3600,1000000] [--no-pdf] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Keep bench/ off the import path: bench/analysis.py would shadow the analysis package.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

#: Household members per household in the simulator's Lạng Sơn frame (about 3.6–4.6).
PERSONS_PER_HOUSEHOLD = 3.7


def _generate(households: int, folder: Path) -> int:
    """Simulate ``households`` households into ``folder``; return the persons drawn."""
    from analysis.synthetic.run import simulate

    return simulate(households, 1, folder).persons


def _child(data: str, out: str, pdf: bool) -> None:
    from analysis.report import run_report
    from questionnaires.plans import bundled_plan_path

    start = time.perf_counter()
    manifest = run_report(data, bundled_plan_path(), out, "vi", pdf=pdf)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # The PDFs are written by a process of the report's own (analysis.report._PdfWriter): its
    # CPU counts, and its peak is added to the report's (an upper bound of the two together).
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": usage.ru_utime + usage.ru_stime + helpers.ru_utime + helpers.ru_stime,
                "peak_mb": (usage.ru_maxrss + helpers.ru_maxrss) / 1024,
                "report_mb": usage.ru_maxrss / 1024,
                "helper_mb": helpers.ru_maxrss / 1024,
                "tables": len(manifest["tables"]),
            }
        )
    )


def _rows(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    counts = {}
    for name in ("household", "member", "individual", "women"):
        path = folder / f"{name}.parquet"
        if path.is_file():
            counts[name] = pq.ParquetFile(path).metadata.num_rows
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="3600,1000000",
        help="households, or persons when above 100,000 (comma-separated)",
    )
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument(
        "--keep",
        default=None,
        help="keep the data and reports in this folder (data there is reused)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], not args.no_pdf)
        return
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_report_"))
    for size in (int(s) for s in args.sizes.split(",")):
        households = size if size <= 100_000 else int(size / PERSONS_PER_HOUSEHOLD)
        data = base / f"data_{size}"
        start = time.perf_counter()
        if (data / "household.parquet").is_file():  # simulated by an earlier run with --keep
            made = "data reused from --keep"
        else:
            persons = _generate(households, data)
            made = f"{persons:,} persons simulated in {time.perf_counter() - start:.1f} s"
        rows = _rows(data)
        command = [sys.executable, __file__, "--child", str(data), str(base / f"report_{size}")]
        if args.no_pdf:
            command.append("--no-pdf")
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{households:>9,} households ({', '.join(f'{k} {v:,}' for k, v in rows.items())}; "
            f"{made})"
        )
        print(
            f"          report: {figures['tables']} tables in {figures['seconds']:.1f} s wall "
            f"({figures['cpu']:.1f} s CPU, imports and the PDF process included), "
            f"peak memory {figures['peak_mb']:.0f} MB (report {figures['report_mb']:.0f} MB "
            f"+ PDF process {figures['helper_mb']:.0f} MB, an upper bound)"
            f"{' (no PDF)' if args.no_pdf else ''}"
        )


if __name__ == "__main__":
    main()
