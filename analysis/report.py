"""Run a table plan over a survey data folder and write the report files of one run.

One run writes, into the output folder:

- ``report_<lang>.xlsx``: one formatted sheet per table (analysis/report_xlsx.py);
- ``report_<lang>.pdf``: the PDF report with contents, notes and charts (analysis/report_pdf.py);
- ``csv/<table id>.csv``: each table as UTF-8 with a byte-order mark, so Excel shows Vietnamese;
- ``departments/<department id>/``: the Excel, PDF and CSV files holding only the tables the
  plan assigns to that department;
- ``estimates.csv``: every indicator table's figures in long format at full precision (one row
  per table row and sex, with SE, CI, unweighted n and the suppression mark), which the web app
  loads into its indicator store when the run is published;
- ``small_areas.csv``: district and commune figures, direct or small-area model (Fay-Herriot)
  or suppressed, by the rule of :mod:`analysis.sae`, which the indicator store loads too;
- ``manifest.json``: what was written, for the web app's results page.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import math
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.comparability import version_notes
from analysis.errors import AnalysisError
from analysis.indicators import SurveyData, read_data_dir
from analysis.kap import add_kap_columns, kap_table
from analysis.report_front import front_tables
from analysis.support_needs import barriers_table, support_needs_table
from analysis.tables import (
    TableResult,
    WorkFrames,
    commune_table,
    for_department,
    indicator_table,
    median_table,
    monitoring_table,
)
from analysis.target_status import PARITY_NOTE, STATUS_RULE
from questionnaires import load_bundled
from questionnaires.cells import csv_cell
from questionnaires.model import Questionnaire
from questionnaires.plans import TablePlan, load_plan
from questionnaires.rounds import KIND_LABELS, RoundInfo, read_round, write_round

if TYPE_CHECKING:
    from analysis.trend import TrendResult

__all__ = [
    "ESTIMATE_COLUMNS",
    "build_tables",
    "round_note",
    "run_report",
    "write_csv",
    "write_estimates",
]

#: Columns of ``estimates.csv``; ``round`` is the survey round's code (blank when the data
#: have none), ``sex`` is F (women), M (men) or T (no sex split).
ESTIMATE_COLUMNS = (
    "round",
    "table",
    "indicator",
    "variable",
    "code",
    "label",
    "sex",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "n",
    "flag",
    "estimator",
)

_BUILDERS: dict[str, Callable[[WorkFrames, dict[str, Any]], TableResult]] = {
    "indicator": indicator_table,
    "knowledge": kap_table,
    "attitude": kap_table,
    "wife_beating": kap_table,
    "decisions": kap_table,
    "chores": kap_table,
    "support_needs": support_needs_table,
    "barriers": barriers_table,
    "commune": commune_table,
    "monitoring": monitoring_table,
    "median": median_table,
}


def build_tables(
    data_dir: str | Path,
    plan: TablePlan,
    lang: str = "vi",
    forms: dict[str, Questionnaire] | None = None,
    progress: Callable[[str], None] | None = None,
    data: SurveyData | None = None,
    survey_baselines: dict[str, tuple[float, int | None]] | None = None,
) -> tuple[list[TableResult], list[str]]:
    """Compute every table of the plan; return the tables and the run's general notes.

    ``data`` is the folder already read for this plan (:func:`read_data_dir`), when the caller
    needs it again afterwards (the report's small-area step) and should not read it twice.
    ``survey_baselines`` (indicator → baseline estimate and year, from an earlier round) give
    M1's survey targets the start of their path to 2020.
    """
    forms = load_bundled() if forms is None else forms
    data = read_data_dir(data_dir, plan, forms) if data is None else data
    work = WorkFrames(data, plan, forms, lang)
    info = read_round(data_dir)
    work.latest_year = None if info is None else info.reference_year
    work.survey_baselines = dict(survey_baselines or {})
    add_kap_columns(work)
    results = []
    for table in plan.tables:
        results.append(_BUILDERS[table["kind"]](work, table))
        work.release()
        if progress is not None:
            progress(table["id"])
    mixed = version_notes(data_dir, plan, forms, lang)
    for result in results:
        note = mixed.get(result.id)
        if note is not None:
            result.notes.append(note)
    notes = [vi if lang == "vi" else en for en, vi in data.notes]
    if any(t["kind"] == "monitoring" for t in plan.tables):
        notes += [STATUS_RULE[lang], PARITY_NOTE[lang]]
    return results, notes


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_csv(
    tables: list[TableResult],
    folder: Path,
    round_label: str = "",
    round_code: str = "",
    written: dict[str, str] | None = None,
) -> list[Path]:
    """One CSV per table, UTF-8 with BOM; title first (with the survey round's label when
    given), then the table (with a first column ``round`` holding the round's code when given,
    as exported data have, so tables of several rounds can be stacked), notes and source.

    ``written`` keeps each table's text by table (its ``cache_key`` where a department's copy
    differs), so a department pack's copy of a report table is not formatted again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = {} if written is None else written
    paths = []
    for table in tables:
        path = folder / f"{_safe_name(table.id)}.csv"
        key = table.extra.get("cache_key", table.id)
        if key not in written:
            written[key] = _csv_text(table, round_label, round_code)
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(written[key])
        paths.append(path)
    return paths


def _csv_text(table: TableResult, round_label: str, round_code: str) -> str:
    frame = table.to_frame().map(csv_cell)
    if round_code:
        frame.insert(0, "round", round_code)
    handle = io.StringIO()
    suffix = f" · {round_label}" if round_label else ""
    handle.write(_csv_line([f"{table.id}. {table.title}{suffix}"]))
    frame.to_csv(handle, index=False, lineterminator="\n")
    for note in table.notes:
        handle.write(_csv_line([note]))
    if table.source:
        handle.write(_csv_line([table.source]))
    return handle.getvalue()


def _number(value: Any) -> str:
    """A float written so that reading it back gives the same float (``repr``); blank for NaN."""
    if value is None:
        return ""
    value = float(value)
    return "" if math.isnan(value) else repr(value)


def write_estimates(tables: list[TableResult], path: Path, round_code: str = "") -> Path:
    """The figures of every indicator table in long format, at full precision, each row with
    the survey round's code (``round``; blank when the data have no round).

    A suppressed figure (fewer than ``suppress_below`` cases) is written without its number,
    as the report shows it: only its n and the mark ``suppressed``.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ESTIMATE_COLUMNS)
        for table in tables:
            indicator = table.extra.get("indicator")
            if not indicator:
                continue
            estimator = table.extra.get("estimator", "direct")
            for row in table.rows:
                if row.variable is None:
                    continue
                code = "" if row.code is None or row.variable == "total" else _code(row.code)
                sides = (("F", "w_"), ("M", "m_")) if "w_n" in row.values else (("T", ""),)
                for sex, prefix in sides:
                    values = row.values
                    flag = row.flags.get(f"{prefix}est", "")
                    hidden = flag == "suppressed"
                    low, high = values.get(f"{prefix}ci", (None, None))
                    writer.writerow(
                        [
                            round_code,
                            table.id,
                            indicator,
                            row.variable,
                            code,
                            row.label,
                            sex,
                            "" if hidden else _number(values.get(f"{prefix}est")),
                            "" if hidden else _number(values.get(f"{prefix}se")),
                            "" if hidden else _number(low),
                            "" if hidden else _number(high),
                            int(values.get(f"{prefix}n", 0) or 0),
                            flag,
                            estimator,
                        ]
                    )
    return path


def _code(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _csv_line(cells: list[str]) -> str:
    quoted = ['"' + csv_cell(c).replace('"', '""') + '"' for c in cells]
    return ",".join(quoted) + "\n"


def round_note(info: RoundInfo, lang: str) -> str:
    """The report's note on its survey round: label, code, kind, reference year, fieldwork."""
    vi = lang == "vi"
    kind = KIND_LABELS[info.kind]["vi" if vi else "en"]
    dates = ""
    if info.field_start is not None or info.field_end is not None:
        start = info.field_start.isoformat() if info.field_start else "?"
        end = info.field_end.isoformat() if info.field_end else "?"
        dates = f"; thực địa {start} – {end}" if vi else f"; fieldwork {start} – {end}"
    if vi:
        return (
            f"Đợt điều tra: {info.label('vi')} (mã {info.code}; {kind.lower()}; "
            f"năm tham chiếu {info.reference_year}{dates})."
        )
    return (
        f"Survey round: {info.label('en')} (code {info.code}; {kind.lower()}; "
        f"reference year {info.reference_year}{dates})."
    )


def _lean_arrow_memory() -> None:
    """Read the data through Arrow's jemalloc pool where the wheel has it.

    Reading a million persons' tables leaves about 115 MB less resident with jemalloc than with
    the default mimalloc pool, which keeps freed pages for reuse.
    """
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass


def _first_round_totals(trend: TrendResult) -> dict[str, tuple[float, int | None]]:
    """Each indicator's total estimate (both sexes) in the first round, with its year; and
    each survey target's first-round figure within its own population, by target code (the
    trend's on-track table), which M1 takes first."""
    first = trend.rounds[0]
    levels = trend.levels
    total = levels[
        (levels["by"] == "total")
        & (levels["sex"] == "all")
        & (levels["round"].astype(str) == first.code)
    ]
    found = {
        str(iid): (float(est), first.year)
        for iid, est in zip(total["indicator"], total["estimate"], strict=True)
        if est == est
    }
    targets = trend.targets
    for code, baseline in zip(targets["code"], targets["baseline"], strict=True):
        if baseline == baseline:
            found[str(code)] = (float(baseline), first.year)
    return found


def _small_areas(
    data_dir: str | Path,
    out: Path,
    lang: str,
    small_areas: Sequence[str] | None,
    held: list[SurveyData],
    plan: TablePlan,
    round_code: str = "",
) -> tuple[list[TableResult], dict[str, Any]]:
    """Estimate and write ``small_areas.csv`` (of these indicators, ``None``: the
    catalogue's); its side-by-side tables for the workbook and the PDF
    (:mod:`analysis.report_sae`) and the manifest's entry for it.

    ``held`` holds the survey read for the report, the only reference to it: it is emptied
    once the estimates are made, so the frames are freed before the side-by-side tables (every
    commune's rows) are built.
    """
    from analysis.report_sae import small_area_tables
    from analysis.sae import catalogue_levels, small_area_estimates, write_small_area_table

    name = "small_areas.csv"
    chosen = None if small_areas is None else list(small_areas)
    # By default what the gender database keeps at district and commune level.
    by_level = catalogue_levels() if small_areas is None else None
    table, info = small_area_estimates(
        str(data_dir), chosen, loaded=(held[0], plan), by_level=by_level
    )
    held.clear()
    summary = write_small_area_table(table, info, out / name, lang, round_code=round_code)
    appendix = small_area_tables(table, plan, lang, plan.title[lang])
    return appendix, summary | {"file": name, "tables": [t.id for t in appendix]}


def _on_paper(tables: list[TableResult]) -> list[TableResult]:
    """The tables a PDF holds: all but those marked workbook-only (every commune's small-area
    figures, which the PDF summarises instead)."""
    return [t for t in tables if t.extra.get("pdf", True)]


class _PdfWriter:
    """The report's PDFs written by a process of their own while this one writes the rest.

    Laying out the PDFs is a third of the report's work and needs only the finished tables, so
    on a machine with two cores it runs beside the workbooks, the CSVs and the small-area
    estimates. The process (:func:`analysis.report_pdf.pdf_worker`) is a fresh Python started
    before the survey is read, not a fork: it holds the pickled tables and reportlab, not a
    copy of the survey's frames, and loads reportlab and the fonts while the data are read.
    It is started with ``-c``, not through :mod:`multiprocessing`, so a script that calls
    :func:`run_report` without a ``__main__`` guard is not run again. ``start=False``: no PDFs.
    """

    def __init__(self, start: bool) -> None:
        self.start = start
        self.process: subprocess.Popen[bytes] | None = None
        self.errors: Any = None
        #: The pickles' own temporary folder, removed however the report ends.
        self.folder: Path | None = None
        self.sent = 0

    def __enter__(self) -> _PdfWriter:
        if self.start:
            self.folder = Path(tempfile.mkdtemp(prefix="gesurvey_pdf_"))
            # An exit that skips ``__exit__`` (an interpreter ending on an unhandled signal
            # handler's SystemExit, or a caller not using ``with``) still removes it; a process
            # killed outright leaves it to the PDF process, which removes it when its input ends.
            atexit.register(self._remove_folder)
            self.errors = tempfile.TemporaryFile()
            self.process = subprocess.Popen(
                [sys.executable, "-c", _PDF_WORKER, str(self.folder)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self.errors,
            )
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(sys.path).encode() + b"\n")
            self.process.stdin.flush()
        return self

    def render(self, tables: list[TableResult], title: str, lang: str) -> None:
        """Lay out these tables in the PDF process now (the report's, under its ``title``);
        :meth:`submit` later puts them into the PDFs without drawing them again."""
        if tables:
            self._send("render", (tables, title, lang))

    def submit(
        self, jobs: list[tuple[list[TableResult], Path, str]], lang: str, notes: list[str]
    ) -> None:
        """Write these PDFs (tables, path and title of each) in the PDF process."""
        if jobs:
            self._send("write", (jobs, lang, notes))

    def _send(self, kind: str, payload: Any) -> None:
        if self.process is None or self.folder is None:
            return
        self.sent += 1
        name = str(self.folder / f"{self.sent}_{kind}.pickle")
        with open(name, "wb") as file:
            pickle.dump(payload, file, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([kind, name]).encode() + b"\n")
        self.process.stdin.flush()

    def result(self) -> None:
        """Wait for the PDFs; the PDF process's error as an :class:`AnalysisError`."""
        if self.process is None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait()
        if code != 0:
            self.errors.seek(0)
            detail = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            last = detail[-1] if detail else f"exit code {code}"
            raise AnalysisError(
                f"the PDF files could not be written: {last}",
                f"Không ghi được các tệp PDF: {last}",
            )

    def __exit__(self, kind: object, *exc: object) -> None:
        try:
            if self.process is not None:
                if self.process.poll() is None and kind is not None:
                    self.process.kill()  # the report failed: its PDFs are not wanted
                if self.process.stdin is not None and not self.process.stdin.closed:
                    self.process.stdin.close()
                self.process.wait()
                self.errors.close()
        finally:
            self._remove_folder()
            atexit.unregister(self._remove_folder)

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


#: The PDF process: the parent's import path on the first line of its input, then one line per
#: request (:func:`analysis.report_pdf.pdf_worker`); its argument is the pickles' folder.
_PDF_WORKER = (
    "import json, sys; sys.path[:0] = json.loads(sys.stdin.readline()); "
    "from analysis.report_pdf import pdf_worker; pdf_worker(*sys.argv[1:])"
)


def run_report(
    data_dir: str | Path,
    plan_path: str | Path,
    out: str | Path,
    lang: str = "vi",
    progress: Callable[[str], None] | None = None,
    pdf: bool = True,
    small_areas: bool | Sequence[str] = True,
    trend: TrendResult | None = None,
    survey_round: RoundInfo | None = None,
) -> dict[str, Any]:
    """Build every table and write the Excel, PDF, CSV files and department packs.

    The report opens with the plan at a glance and the key findings
    (:mod:`analysis.report_front`); ``trend`` (the trend tables of earlier rounds and this one)
    gives them the change since the last round.

    ``survey_round`` (default: the data folder's ``round.json``, when there is one) puts the
    round's label in the title of the workbook, the PDF's title page and every table CSV's
    title line, and its ``round.json`` beside the report and in each department pack.

    ``small_areas`` (default: the proportions and means the gender database keeps at district
    and commune level, by its catalogue; a list of indicator ids gives those at both levels;
    ``False`` leaves it out) adds ``small_areas.csv``: the district and commune
    figures, each the direct estimate or the Fay-Herriot model estimate or suppressed by the
    publication rule of :mod:`analysis.sae`, with MSE/CV, the reason, and a note on each
    estimator. The web app's gender database stores these as its district and commune figures.
    The same table closes the workbook and the PDF (:mod:`analysis.report_sae`: SAE.1
    districts, SAE.2 communes in the workbook only, SAE.3 the communes' summary).
    """
    # The PDFs' process starts now, small, and loads reportlab while this one reads the data.
    with _PdfWriter(start=pdf) as pdfs:
        return _run_report(
            data_dir, plan_path, out, lang, progress, small_areas, trend, survey_round, pdfs
        )


def _run_report(
    data_dir: str | Path,
    plan_path: str | Path,
    out: str | Path,
    lang: str,
    progress: Callable[[str], None] | None,
    small_areas: bool | Sequence[str],
    trend: TrendResult | None,
    survey_round: RoundInfo | None,
    pdfs: _PdfWriter,
) -> dict[str, Any]:
    """:func:`run_report` with its PDF process (``pdfs``) running."""
    from analysis.report_xlsx import write_xlsx

    pdf = pdfs.start
    _lean_arrow_memory()

    forms = load_bundled()
    plan = load_plan(plan_path, forms)
    # Read once: the tables and the small-area step use the same frames (a million persons'
    # tables read twice held both copies at once).
    data = read_data_dir(data_dir, plan, forms)
    baselines = None if trend is None else _first_round_totals(trend)
    tables, notes = build_tables(
        data_dir, plan, lang, forms, progress, data=data, survey_baselines=baselines
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    title = plan.title[lang]
    round_label = round_code = ""
    if survey_round is None:
        survey_round = read_round(data_dir)
    if survey_round is not None:
        round_label = f"{survey_round.label(lang)} ({survey_round.code})"
        round_code = survey_round.code
        title = f"{title} · {round_label}"
        notes = [round_note(survey_round, lang), *notes]
        write_round(out, survey_round)
    manifest: dict[str, Any] = {
        "plan": plan.id,
        "plan_version": plan.version,
        "lang": lang,
        "tables": [t.id for t in tables],
        "notes": notes,
        "files": {},
        "departments": {},
        "round": survey_round.to_dict() if survey_round is not None else None,
    }
    front = front_tables(tables, lang, None if trend is None else trend.changes)
    manifest["front"] = [t.id for t in front]
    if trend is not None:
        from analysis.report_trend import trend_table
        from analysis.trend_cli import write_trend

        trend_result = trend_table(trend, plan, lang)
        tables = tables + [trend_result]
        write_trend(trend, out / "trend")
        manifest["trend"] = {"table": trend_result.id, "folder": "trend"}
    # The PDF process lays out the tables while this one makes the small-area estimates.
    pdfs.render(front + _on_paper(tables), title, lang)
    held = [data]  # the small-area step lets the survey go as soon as it is done with it
    del data
    if small_areas is not False:
        # Before the PDFs are put together: the side-by-side table is their appendix, as the
        # workbook's.
        chosen = None if small_areas is True else small_areas
        appendix, manifest["small_areas"] = _small_areas(
            data_dir, out, lang, chosen, held, plan, round_code
        )
        manifest["files"]["small_areas"] = manifest["small_areas"]["file"]
        tables = tables + appendix
    held.clear()  # the survey's frames are not needed any more
    packs = []
    for dep_id, label in plan.departments.items():
        own = [for_department(t, dep_id) for t in tables if dep_id in t.departments]
        if own:
            packs.append((dep_id, label, own, out / "departments" / dep_id))
    pdf_jobs: list[tuple[list[TableResult], Path, str]] = []
    if pdf:
        pdf_jobs.append((front + _on_paper(tables), out / f"report_{lang}.pdf", title))
        for dep_id, label, own, folder in packs:
            pdf_jobs.append(
                (_on_paper(own), folder / f"{dep_id}_{lang}.pdf", f"{title} – {label[lang]}")
            )
    pdfs.submit(pdf_jobs, lang, notes)
    xlsx = write_xlsx(front + tables, out / f"report_{lang}.xlsx", title, lang, notes)
    manifest["files"]["xlsx"] = xlsx.name
    if pdf:
        manifest["files"]["pdf"] = pdf_jobs[0][1].name
    texts: dict[str, str] = {}
    write_csv(tables, out / "csv", round_label, round_code, texts)
    manifest["files"]["csv"] = "csv"
    manifest["files"]["estimates"] = write_estimates(tables, out / "estimates.csv", round_code).name
    for dep_id, label, own, folder in packs:
        folder.mkdir(parents=True, exist_ok=True)
        dep_title = f"{title} – {label[lang]}"
        xlsx_path = folder / f"{dep_id}_{lang}.xlsx"
        write_xlsx(own, xlsx_path, dep_title, lang, notes)
        write_csv(own, folder / "csv", round_label, round_code, texts)
        if survey_round is not None:
            write_round(folder, survey_round)
        manifest["departments"][dep_id] = {
            "label": label[lang],
            "tables": [t.id for t in own],
            "files": [xlsx_path.name, *([f"{dep_id}_{lang}.pdf"] if pdf else [])],
        }
    pdfs.result()
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest
