"""The example script rebuilds the report's cells with the public analysis API.

examples/report_tables.py uses only ``from analysis import ...`` and pandas; on a small
simulated survey its women, men, gap and parity figures must be the report's own cells (the
"total" row of tables D1.1, D5.2 and D6.1), computed by the report's separate route (table plan,
indicator expressions, WorkFrames).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

from analysis.indicators import read_data_dir
from analysis.synthetic.run import simulate
from analysis.tables import WorkFrames, indicator_table
from questionnaires import load_bundled
from questionnaires.plans import bundled_plan_path, load_plan

ROOT = Path(__file__).resolve().parents[2]


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "report_tables", ROOT / "examples/report_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("survey")
    simulate(800, 3, folder)
    return folder


def _report_totals(folder: Path, table_ids: list[str]) -> dict[str, dict]:
    forms = load_bundled()
    plan = load_plan(bundled_plan_path(), forms)
    work = WorkFrames(read_data_dir(folder, plan, forms), plan, forms, "en")
    out = {}
    for table in plan.tables:
        if table["id"] in table_ids:
            result = indicator_table(work, {**table, "rows": ["total"]})
            (row,) = [r for r in result.rows if r.block is None]
            out[table["id"]] = row.values
    return out


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-9)


def test_example_rebuilds_the_reports_total_rows(survey: Path) -> None:
    example = _example()
    rebuilt = example.rebuild(survey)
    report = _report_totals(survey, list(example.TABLES))
    assert set(rebuilt) == set(report) == {"D1.1", "D5.2", "D6.1"}
    for table_id, table in rebuilt.items():
        cells = report[table_id]
        for label, prefix in (("women", "w"), ("men", "m")):
            row = table.loc[label]
            assert _close(row["percent"], cells[f"{prefix}_est"]), (table_id, label)
            assert _close(row["ci_low"], cells[f"{prefix}_ci"][0]), (table_id, label)
            assert _close(row["ci_high"], cells[f"{prefix}_ci"][1]), (table_id, label)
            assert row["n"] == cells[f"{prefix}_n"] > 30
        gap_row = table.loc["gap W − M (points)"]
        assert _close(gap_row["percent"], cells["gap"])
        assert _close(gap_row["ci_low"], cells["gap_ci"][0])
        assert _close(gap_row["p"], cells["p"])
        assert _close(table.loc["parity index W / M", "percent"], cells["gpi"])


def test_example_command_prints_the_three_tables(
    survey: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _example().main(["report_tables.py", str(survey)]) == 0
    printed = capsys.readouterr().out
    assert all(t in printed for t in ("D1.1", "D5.2", "D6.1")) and "parity index" in printed
