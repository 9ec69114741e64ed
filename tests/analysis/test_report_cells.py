"""Every number of the report's indicator tables equals a direct estimate of the indicator.

For every indicator table of the bundled plan (every indicator of the plan, the questionnaire
1.1 ones included), on one small simulated survey: each row's estimate, SE, CI and unweighted n
(for women, for men, or for everyone) and, where the table splits by sex, the women − men gap,
its CI and p-value and the parity index are recomputed the way ``gesurvey analyze estimate``
and ``gesurvey analyze gap`` compute them — a design built from the data's design columns
(``--weight weight_final --strata stratum --psu psu --nest --lonely-psu adjust``) and
:func:`analysis.estimators.mean` / ``proportion`` / ``ratio`` / ``gap`` over the row's domain —
with the indicator's definition evaluated on a fresh read of the data folder. Proportions are
shown ×100. Every row of every indicator table is compared; none is skipped.

The mutation check: with ``analysis/report.py``'s ``build_tables`` changed locally to multiply
every numeric cell of every table by 1.7 and add 3 (``v * 1.7 + 3`` on every number and CI
bound of every row), this module fails on the first cell it compares (and so do six tests of
``test_tables_v11.py``); the change was reverted, never committed. The definitions themselves
are checked by hand in ``test_indicator_hand_values.py``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis import estimators
from analysis.design import SurveyDesign
from analysis.indicators import indicator_values, read_data_dir
from analysis.kap import add_kap_columns
from analysis.report import build_tables
from analysis.tables import TableResult, WorkFrames
from questionnaires import load_bundled
from questionnaires.plans import TablePlan, bundled_plan_path, load_plan

REL = 1e-12


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from analysis.synthetic.run import simulate

    out = tmp_path_factory.mktemp("report_cells")
    simulate(1600, 12, out)
    return out


@pytest.fixture(scope="module")
def plan() -> TablePlan:
    return load_plan(bundled_plan_path(), load_bundled())


@pytest.fixture(scope="module")
def tables(survey: Path, plan: TablePlan) -> dict[str, TableResult]:
    built, _notes = build_tables(survey, plan, "en")
    return {t.id: t for t in built}


@pytest.fixture(scope="module")
def fresh(survey: Path, plan: TablePlan) -> WorkFrames:
    """The data read again, with the derived columns, for the direct estimates."""
    forms = load_bundled()
    work = WorkFrames(read_data_dir(survey, plan, forms), plan, forms, "en")
    add_kap_columns(work)
    return work


def _design(frame: Any) -> SurveyDesign:
    return SurveyDesign(
        frame, weight="weight_final", strata="stratum", psu="psu", lonely_psu="adjust", nest=True
    )


def _same(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == 2, where
        for a, e in zip(actual, expected, strict=True):
            _same(a, e, where)
        return
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert actual is None or math.isnan(actual), f"{where}: {actual} should be blank"
        return
    assert actual == pytest.approx(expected, rel=REL, abs=1e-12), where


def _pick(table: Any, domain: dict[str, float], level: str | None) -> Any:
    for est in table:
        if est.level != level and level is not None:
            continue
        if all(float(est.domain[k]) == v for k, v in domain.items()):
            return est
    return None


def _expected_sex_cells(
    design: SurveyDesign, column: str, stat: str, sex: str, by: str | None, key: float
) -> dict[str, Any]:
    """Women/men cells and the gap by direct calls, as ``analyze estimate``/``gap`` give them."""
    factor = 100.0 if stat == "proportion" else 1.0
    by_list = [by, sex] if by else [sex]
    if stat == "proportion":
        table = estimators.proportion(design, column, by=by_list)
    else:
        table = estimators.mean(design, column, by=by_list)
    out: dict[str, Any] = {}
    for prefix, code in (("w", 2.0), ("m", 1.0)):
        domain = {sex: code} | ({by: key} if by else {})
        side = _pick(table, domain, "1" if stat == "proportion" else None)
        any_level = _pick(table, domain, None)
        n = any_level.n_unweighted if any_level is not None else 0
        if side is None or (side.n_unweighted == 0 and n):
            if n:
                out[f"{prefix}_est"] = 0.0
                out[f"{prefix}_ci"] = (math.nan, math.nan)
        elif side.n_unweighted or n:
            out[f"{prefix}_est"] = side.estimate * factor
            out[f"{prefix}_se"] = side.std_error * factor
            out[f"{prefix}_ci"] = (side.ci_low * factor, side.ci_high * factor)
        out[f"{prefix}_n"] = n
    gaps = estimators.gap(design, column, between=(sex, 2, 1), stat="mean", by=by)
    gap = _pick(gaps, {by: key} if by else {}, None)
    if gap is not None:
        out["gap"] = gap.difference * factor
        out["gap_ci"] = (gap.ci_low * factor, gap.ci_high * factor)
        out["p"] = gap.p_value
        out["gpi"] = gap.ratio
    return out


def _expected_single_cells(
    design: SurveyDesign,
    column: str,
    stat: str,
    by: str | None,
    key: float,
    scale: float,
    denominator: str | None,
) -> dict[str, Any]:
    domain = {by: key} if by else {}
    if stat == "proportion":
        table, level, factor = estimators.proportion(design, column, by=by), "1", 100.0
    elif stat == "ratio":
        assert denominator is not None
        table, level, factor = estimators.ratio(design, column, denominator, by=by), None, scale
    else:
        table, level, factor = estimators.mean(design, column, by=by), None, scale
    any_level = _pick(table, domain, None)
    assert any_level is not None
    out: dict[str, Any] = {"n": any_level.n_unweighted, "weighted_n": any_level.sum_weights}
    est = _pick(table, domain, level)
    if est is None:
        out |= {"est": 0.0, "ci": (math.nan, math.nan)}
    else:
        out |= {
            "est": est.estimate * factor,
            "se": est.std_error * factor,
            "ci": (est.ci_low * factor, est.ci_high * factor),
        }
    return out


def test_every_indicator_table_cell_equals_a_direct_estimate(
    tables: dict[str, TableResult], fresh: WorkFrames, plan: TablePlan
) -> None:
    compared_rows = 0
    compared_cells = 0
    seen_indicators = set()
    without_cases = set()
    for spec_table in plan.tables:
        if spec_table["kind"] == "median":
            seen_indicators.add(spec_table["indicator"])
        if spec_table["kind"] != "indicator":
            continue
        result = tables[spec_table["id"]]
        iid = spec_table["indicator"]
        spec = plan.indicators[iid]
        sid, values, denominator = indicator_values(fresh.data, plan, iid)
        if not np.isfinite(values).any():
            assert not result.rows, f"{result.id}: rows without any case"
            without_cases.add(iid)
            continue
        frame = fresh.frame(sid)
        frame["_value"] = values
        if denominator is not None:
            frame["_den"] = denominator
        stat = spec["type"]
        source = plan.sources[sid]
        sex = None
        if spec_table.get("by_sex", True) and stat != "ratio" and source.get("sex") in frame:
            frame["_sex_code"] = frame[source["sex"]].astype(float)
            sex = "_sex_code"
        design = _design(frame)
        assert result.rows, f"{result.id}: no row although the indicator has cases"
        for row in result.rows:
            coded = fresh.row_variable(sid, row.variable)
            assert coded is not None, result.id
            rv = coded[0]
            by = None if plan.row_variables[row.variable].get("derived") == "total" else rv
            key = float(row.code)
            if sex is not None:
                expected = _expected_sex_cells(design, "_value", stat, sex, by, key)
            else:
                expected = _expected_single_cells(
                    design,
                    "_value",
                    stat,
                    by,
                    key,
                    float(spec.get("multiplier", 1.0)),
                    "_den" if denominator is not None else None,
                )
            where = f"{result.id} {row.variable}={row.code} ({row.label})"
            assert set(row.values) == set(expected), where
            for name, value in expected.items():
                _same(row.values[name], value, f"{where} {name}")
                compared_cells += 1
            compared_rows += 1
        seen_indicators.add(iid)
    # every indicator of the plan has a table, and all but a rare one have cases here
    assert seen_indicators | without_cases == set(plan.indicators)
    assert len(without_cases) <= 2, without_cases
    print(f"{compared_rows} rows, {compared_cells} cells, no case: {sorted(without_cases)}")
    assert compared_rows > 300 and compared_cells > 3000


def _expected_median_cells(
    design: SurveyDesign, column: str, sex: str, by: str | None, key: float, q: float
) -> dict[str, Any]:
    """Women's/men's quantile and the gap, as ``analyze estimate --stat quantile`` and the
    median gap of :mod:`analysis.quantiles` give them (200 bootstrap replicates, seed 20261203)."""
    from analysis.quantiles import median_gap_from_design

    by_list = [by, sex] if by else [sex]
    table = estimators.quantile(design, column, (q,), by=by_list)
    out: dict[str, Any] = {}
    for prefix, code in (("w", 2.0), ("m", 1.0)):
        side = _pick(table, {sex: code} | ({by: key} if by else {}), None)
        if side is not None and side.n_unweighted:
            out[f"{prefix}_est"] = side.estimate
            out[f"{prefix}_se"] = side.std_error
            out[f"{prefix}_ci"] = (side.ci_low, side.ci_high)
        out[f"{prefix}_n"] = side.n_unweighted if side is not None else 0
    gaps = median_gap_from_design(
        design, column, (sex, 2, 1), q=q, by=by, replicates=200, seed=20261203
    )
    gap = _pick(gaps, {by: key} if by else {}, None)
    if gap is not None:
        out |= {
            "gap": gap.difference,
            "gap_se": gap.std_error,
            "gap_ci": (gap.ci_low, gap.ci_high),
            "p": gap.p_value,
            "gpi": gap.ratio,
            "gpi_se": gap.ratio_std_error,
            "gpi_ci": (gap.ratio_ci_low, gap.ratio_ci_high),
        }
    return out


def test_every_median_table_cell_equals_the_quantile_engine(
    tables: dict[str, TableResult], fresh: WorkFrames, plan: TablePlan
) -> None:
    """The median tables (L.4 earnings, F.2 age at first union): every row's women's and men's
    median, Woodruff CI and n, and the gap W − M and ratio W/M with their bootstrap CIs, equal
    the quantile engine called directly on a fresh read of the data. That engine is pinned to
    R's survey 4.1.1 in ``test_replicates_reference.py`` (``svyquantile`` with ``qrule="math"``,
    Woodruff CIs by sex; the median gap's ``withReplicates`` SE); the report's own cell code is
    pinned to R's numbers on a small sample in ``test_median_reference.py``."""
    medians = [t for t in plan.tables if t["kind"] == "median"]
    assert {t["indicator"] for t in medians} == {"EARNINGS", "AGE_FIRST_MARRIAGE"}
    compared = 0
    for spec_table in medians:
        result = tables[spec_table["id"]]
        iid = spec_table["indicator"]
        sid, values, _ = indicator_values(fresh.data, plan, iid)
        frame = fresh.frame(sid)
        frame["_value"] = values
        frame["_sex_code"] = frame[plan.sources[sid]["sex"]].astype(float)
        design = _design(frame)
        assert result.rows, result.id
        assert {row.variable for row in result.rows} <= set(spec_table["rows"]), result.id
        for row in result.rows:
            coded = fresh.row_variable(sid, row.variable)
            assert coded is not None, result.id
            by = None if plan.row_variables[row.variable].get("derived") == "total" else coded[0]
            expected = _expected_median_cells(
                design, "_value", "_sex_code", by, float(row.code), spec_table.get("q", 0.5)
            )
            where = f"{result.id} {row.variable}={row.code} ({row.label})"
            assert set(row.values) == set(expected), where
            for name, value in expected.items():
                _same(row.values[name], value, f"{where} {name}")
                compared += 1
    assert compared > 300, compared
    with_gap = [
        row
        for t in medians
        for row in tables[t["id"]].rows
        if math.isfinite(row.values.get("gap_ci", (math.nan,))[0])
        and math.isfinite(row.values.get("w_ci", (math.nan,))[0])
    ]
    assert len(with_gap) > 40, len(with_gap)


def test_the_workbook_writes_a_median_tables_ratio_ci_as_two_numbers(
    tables: dict[str, TableResult], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from analysis.report_xlsx import write_xlsx

    table = tables["L.4"]
    total = next(row for row in table.rows if row.variable == "total")
    write_xlsx([table], tmp_path / "l4.xlsx", "L.4", "en")
    sheet = load_workbook(tmp_path / "l4.xlsx")["L.4"]
    cells = next(row for row in sheet.iter_rows(min_row=5) if row[0].value == "Total")
    low, high = cells[-2], cells[-1]
    assert (low.value, high.value) == pytest.approx(total.values["gpi_ci"], rel=1e-12)
    assert low.number_format == high.number_format == "0.00"
