"""The ``gesurvey simulate`` command: a synthetic Lạng Sơn survey to files (or the app's database).

``--out DIR`` writes the tables (CSV + Parquet), data_dictionary.csv and README.md.
``--rounds 2017,2018,2020 --out DIR`` writes one such folder per round (``DIR/2017/`` …), each an
independent sample of the same frame with its ``round.json``, with the documented changes of
:mod:`analysis.synthetic.rounds` between them and ``DIR/changes_truth.json``.
``--into-db`` hands the generated interviews to a loader the web app registers in
:data:`DB_LOADERS` (analysis never imports the web app); without one it says so and exits 2.
Bad input exits with status 2 and a message in Vietnamese and English.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from analysis.synthetic.run import Simulator

__all__ = ["DB_LOADERS", "simulate"]

# The web app appends a function taking the Simulator and returning the number of submissions
# stored; ``--into-db`` uses the first one.
DB_LOADERS: list[Callable[[Simulator], int]] = []


def _fail(vi: str, en: str) -> None:
    click.echo(f"Lỗi: {vi}\nError: {en}", err=True)
    raise SystemExit(2)


@click.command("simulate")
@click.option(
    "--households",
    type=int,
    required=True,
    help="Households to sample (rounded up to villages of 20) / Số hộ mẫu.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Random seed; the same seed gives identical files / Hạt giống ngẫu nhiên.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the tables / Thư mục ghi các bảng.",
)
@click.option(
    "--into-db",
    is_flag=True,
    help="Store approved submissions in the app's database / Ghi vào CSDL.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Validate every interview with the questionnaire engine (slow) / Kiểm tra "
    "mọi phiếu bằng bộ kiểm tra của phiếu hỏi.",
)
@click.option(
    "--paradata",
    is_flag=True,
    help="With --out, also write paradata (time per question, corrections) with a few "
    "fabricating enumerators / Ghi thêm dữ liệu quá trình phỏng vấn.",
)
@click.option(
    "--rounds",
    "rounds",
    help="Years of several rounds, e.g. 2017,2018,2020: one folder per round under --out, with "
    "known changes between them / Các năm của nhiều vòng điều tra.",
)
@click.option(
    "--panel",
    is_flag=True,
    help="With --rounds: every round re-uses the first round's villages (PSUs) / các vòng dùng "
    "lại các thôn của vòng đầu.",
)
def simulate(
    households: int,
    seed: int,
    out: Path | None,
    into_db: bool,
    check: bool,
    paradata: bool,
    rounds: str | None,
    panel: bool,
) -> None:
    """Generate a synthetic Lạng Sơn survey (design, weights, answers) / Tạo điều tra mô phỏng."""
    if (out is None) == (not into_db):
        _fail(
            "cần đúng một trong --out THƯ_MỤC hoặc --into-db",
            "give exactly one of --out DIR or --into-db",
        )
    if households < 20:
        _fail(
            f"--households phải ít nhất là 20 (một thôn), nhận {households}",
            f"--households must be at least 20 (one village of 20), got {households}",
        )
    if rounds is not None and (out is None or check or paradata):
        _fail(
            "--rounds cần --out THƯ_MỤC và không dùng cùng --into-db, --check, --paradata",
            "--rounds needs --out DIR and does not go with --into-db, --check or --paradata",
        )
    if panel and rounds is None:
        _fail("--panel chỉ dùng cùng --rounds", "--panel goes with --rounds only")
    if into_db and not DB_LOADERS:
        _fail(
            "ứng dụng web chưa có chức năng nạp bài nộp vào CSDL; dùng --out THƯ_MỤC",
            "the web app provides no database loader for submissions yet; use --out DIR",
        )
    # numpy, pandas and pyarrow load only when the command runs, so ``gesurvey run`` and the
    # other commands start fast.
    from analysis.errors import AnalysisError
    from analysis.synthetic.run import SimulationError, Simulator
    from questionnaires.errors import GesurveyError

    started = time.perf_counter()
    if rounds is not None:
        assert out is not None
        from analysis.synthetic.rounds import parse_years, simulate_rounds

        try:
            years = parse_years(rounds)
            if out.exists() and any(out.iterdir()):
                _fail(f"thư mục {out} không trống", f"folder {out} is not empty")
            simulate_rounds(years, households, seed, out, click.echo, panel=panel)
        except (GesurveyError, OSError) as exc:
            message = exc.message_in("en") if isinstance(exc, GesurveyError) else str(exc)
            message_vi = exc.message_in("vi") if isinstance(exc, GesurveyError) else str(exc)
            _fail(message_vi, message)
        click.echo(f"{out / 'changes_truth.json'}")
        click.echo(f"{time.perf_counter() - started:.1f} s")
        return
    try:
        simulator = Simulator(households, seed)
        if check:
            checked = simulator.check()
            click.echo(f"{checked} phiếu hợp lệ / interviews validate")
        if out is not None:
            if out.exists() and any(out.iterdir()):
                _fail(f"thư mục {out} không trống", f"folder {out} is not empty")

            def progress(done: int, total: int) -> None:
                click.echo(f"  {done}/{total}", err=True)

            result = simulator.write(out, progress)
            click.echo(
                f"{result.households} hộ / households, {result.persons} người / persons → {out}"
            )
            tables = dict(result.tables)
            if paradata:
                from analysis.synthetic.paradata import write_paradata

                tables.update(write_paradata(simulator, out))
            for name, rows in tables.items():
                click.echo(f"  {name}: {rows}")
        else:
            stored = DB_LOADERS[0](simulator)
            click.echo(f"{stored} bài nộp đã duyệt / approved submissions stored")
    except (SimulationError, AnalysisError, OSError) as exc:
        message = exc.message_in("en") if isinstance(exc, GesurveyError) else str(exc)
        message_vi = exc.message_in("vi") if isinstance(exc, GesurveyError) else str(exc)
        _fail(message_vi, message)
    click.echo(f"{time.perf_counter() - started:.1f} s")
