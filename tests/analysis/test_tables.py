"""Table cells and marks, the M1 status rule, table plans and vectorised expressions."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.indicators import evaluate_frame
from analysis.tables import (
    GPI_FLAG,
    PARENTHESES,
    SUPPRESSED,
    format_cell,
    sex_cells,
    single_cells,
)
from questionnaires import QuestionnaireError, load_bundled
from questionnaires.expressions import Scope, compile_expression, evaluate
from questionnaires.plans import bundled_plan_path, load_plan, plan_from_dict

SETTINGS = {
    "suppress_below": 25,
    "parentheses_below": 50,
    "gpi_low": 0.97,
    "gpi_high": 1.03,
    "confidence": 0.95,
}


def _group(sex: int, district: int, yes: int, no: int, weight_yes: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": [sex] * (yes + no),
            "district": [district] * (yes + no),
            "y": [1.0] * yes + [0.0] * no,
            "w": [weight_yes] * yes + [1.0] * no,
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.concat(
        [
            _group(2, 1, 15, 15),  # women, district 1: 30 cases, 50%
            _group(1, 1, 20, 40),  # men, district 1: 60 cases, 33.3%
            _group(2, 2, 10, 10),  # women, district 2: 20 cases -> suppressed
            _group(1, 2, 30, 30),  # men, district 2: 60 cases, 50%
            _group(2, 3, 40, 20, 2.0),  # women, district 3: weighted 80/100 = 80%
            _group(1, 3, 30, 30),  # men, district 3: 50%
        ],
        ignore_index=True,
    )


def test_sex_cells_give_weighted_shares_gap_gpi_and_marks(frame):
    design = SurveyDesign(frame, weight="w")
    cells = sex_cells(design, "y", "proportion", "sex", 2, 1, "district", SETTINGS)
    values, flags = cells[1.0]
    assert values["w_est"] == pytest.approx(50.0)
    assert values["m_est"] == pytest.approx(100 / 3)
    assert values["w_n"] == 30 and values["m_n"] == 60
    assert values["gap"] == pytest.approx(50 - 100 / 3)
    assert values["gpi"] == pytest.approx(1.5)
    # 30 women: parentheses; the gap and GPI take the stricter mark of the two sides
    assert flags["w_est"] == PARENTHESES and "m_est" not in flags
    assert flags["gap"] == PARENTHESES and flags["gpi"] == PARENTHESES
    # fewer than 25 women: suppressed, and so is the gap
    values, flags = cells[2.0]
    assert values["w_n"] == 20
    assert flags["w_est"] == SUPPRESSED and flags["w_ci"] == SUPPRESSED
    assert flags["gap"] == SUPPRESSED
    # weights count: 40 yes at weight 2, 20 no at weight 1 -> 80%
    values, flags = cells[3.0]
    assert values["w_est"] == pytest.approx(80.0)
    assert values["gpi"] == pytest.approx(1.6)
    assert flags == {"gpi": GPI_FLAG}
    low, high = values["w_ci"]
    assert low < 80 < high


def test_gpi_inside_the_band_is_not_flagged():
    data = pd.concat([_group(2, 1, 50, 50), _group(1, 1, 51, 49)], ignore_index=True)
    cells = sex_cells(
        SurveyDesign(data, weight="w"), "y", "proportion", "sex", 2, 1, None, SETTINGS
    )
    values, flags = cells[0.0]
    assert values["gpi"] == pytest.approx(50 / 51)
    assert "gpi" not in flags


def test_thresholds_are_settings(frame):
    design = SurveyDesign(frame, weight="w")
    strict = {**SETTINGS, "suppress_below": 35, "parentheses_below": 70}
    cells = sex_cells(design, "y", "proportion", "sex", 2, 1, "district", strict)
    assert cells[1.0][1]["w_est"] == SUPPRESSED  # 30 < 35
    assert cells[1.0][1]["m_est"] == PARENTHESES  # 60 < 70


def test_equal_weights_give_unweighted_mean_and_row_order_does_not_matter(frame):
    frame = frame.assign(w=1.0, hours=np.arange(len(frame)) % 7)
    design = SurveyDesign(frame, weight="w")
    cells = sex_cells(design, "hours", "mean", "sex", 2, 1, None, SETTINGS)
    women = frame.loc[frame["sex"] == 2, "hours"].mean()
    men = frame.loc[frame["sex"] == 1, "hours"].mean()
    assert cells[0.0][0]["w_est"] == pytest.approx(women)
    assert cells[0.0][0]["gap"] == pytest.approx(women - men)
    shuffled = frame.sample(frac=1, random_state=4).reset_index(drop=True)
    again = sex_cells(
        SurveyDesign(shuffled, weight="w"), "hours", "mean", "sex", 2, 1, None, SETTINGS
    )
    assert again[0.0][0]["w_ci"] == pytest.approx(cells[0.0][0]["w_ci"])


def test_single_cells_report_n_and_weighted_n(frame):
    design = SurveyDesign(frame, weight="w")
    cells = single_cells(design, "y", "proportion", "district", SETTINGS)
    assert cells[3.0][0]["n"] == 120
    assert cells[3.0][0]["weighted_n"] == pytest.approx(80 + 20 + 60)
    assert cells[3.0][0]["est"] == pytest.approx(100 * (80 + 30) / 160)
    assert cells[2.0][1] == {}  # 80 cases: no mark


def test_format_cell_marks():
    assert format_cell(12.345, "pct") == "12.3"
    assert format_cell(12.345, "pct", PARENTHESES) == "(12.3)"
    assert format_cell(12.345, "pct", SUPPRESSED) == "*"
    assert (
        format_cell((1.25, 20.0), "ci") == "1.2–20.0"
        or format_cell((1.25, 20.0), "ci") == "1.3–20.0"
    )
    assert format_cell(1.2, "gpi", GPI_FLAG) == "1.20 †"
    assert format_cell((0.8, 1.0), "ci2") == "0.80–1.00"
    assert format_cell((0.8, 1.02), "ci2", PARENTHESES) == "(0.80–1.02)"
    assert format_cell(0.0004, "p") == "<0.001"
    assert format_cell(1234, "n") == "1 234"


# ------------------------------------------------------------------ vectorised expressions

EXPRESSIONS = [
    "${a} >= 2 and ${b} = 1",
    "${a} = ${b}",
    "${a} != 3 or not(${b})",
    "${a} + ${b} * 2",
    "${a} div ${b}",
    "${a} mod 2",
    "if(${a} > 1, ${b}, 7)",
    "coalesce(${a}, ${b}, 0)",
    "selected(${m}, 2)",
    "count-selected(${m}) >= 2 and not(selected(${m}, 3))",
    "min(${a}, ${b})",
    "round(${a} div 3, 1)",
    "-${a} < -1",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_vectorised_expressions_agree_with_the_form_engine(text):
    rng = np.random.default_rng(11)
    n = 200
    a = rng.integers(0, 5, n).astype(float)
    b = rng.integers(0, 3, n).astype(float)
    a[rng.random(n) < 0.15] = np.nan
    b[rng.random(n) < 0.15] = np.nan
    multi = [
        None if rng.random() < 0.1 else sorted(set(rng.integers(1, 5, rng.integers(0, 4)).tolist()))
        for _ in range(n)
    ]
    frame = pd.DataFrame(
        {"a": a, "b": b, "m": [None if v is None else " ".join(map(str, v)) for v in multi]}
    )
    ast = compile_expression(
        text, Scope(known=frozenset({"a", "b", "m"}), allow_current=False, attributes=False)
    )
    fast = evaluate_frame(ast, frame, multi={"m"})
    for i in range(n):
        answers = {
            "a": None if np.isnan(a[i]) else int(a[i]),
            "b": None if np.isnan(b[i]) else int(b[i]),
            "m": multi[i],
        }
        expected = evaluate(ast, answers)
        got = fast[i]
        if expected is None:
            assert np.isnan(got), (i, answers)
        else:
            assert got == pytest.approx(float(expected)), (i, answers)


def test_declared_missing_codes_are_null_in_indicators():
    ast = compile_expression("${q} = 1", Scope(known=frozenset({"q"})))
    frame = pd.DataFrame({"q": [1, 0, 98, 99]})
    assert evaluate_frame(ast, frame, {"q": (98, 99)}).tolist() == [1.0, 0.0, 0.0, 0.0]
    ast = compile_expression("${q}", Scope(known=frozenset({"q"})))
    values = evaluate_frame(ast, frame, {"q": (98, 99)})
    assert np.isnan(values[2]) and np.isnan(values[3])


# ------------------------------------------------------------------ plans


@pytest.fixture(scope="module")
def plan_doc() -> dict:
    return json.loads(bundled_plan_path().read_text(encoding="utf-8"))


def test_bundled_plan_covers_every_indicator_and_kind(plan_doc):
    plan = load_plan(bundled_plan_path())
    indicators = {t.get("indicator") for t in plan.tables if t["kind"] == "indicator"}
    for code in [
        "I1.1",
        "I2.1",
        "I2.2",
        "I3.1",
        "I3.2",
        "I4.1",
        "I4.2",
        "I4.3",
        "I5.1",
        "I5.2",
        "I6.1",
        "I6.2",
        "I7.1",
        "I7.2",
        "I8.1",
        "I8.2",
    ]:
        assert code in indicators, code
    kinds = {t["kind"] for t in plan.tables}
    assert {
        "knowledge",
        "attitude",
        "wife_beating",
        "decisions",
        "chores",
        "support_needs",
        "barriers",
        "commune",
        "monitoring",
        "median",
    } <= kinds
    medians = {t["id"]: t["indicator"] for t in plan.tables if t["kind"] == "median"}
    assert medians == {"L.4": "EARNINGS", "F.2": "AGE_FIRST_MARRIAGE"}
    # I1.2 is a commune-form table
    assert any(
        "I1.2" in item["label"]["en"]
        for t in plan.tables
        if t["kind"] == "commune"
        for item in t["items"]
    )
    m1 = next(t for t in plan.tables if t["id"] == "M1")
    assert {t["source"] for t in m1["targets"]} == {"survey", "commune"}
    assert all(t["departments"] for t in plan.tables)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["tables"][0].update(indicator="I9.9"),
            "table D1.1: indicator 'I9.9' is not defined; add it under indicators",
        ),
        (
            lambda d: d["tables"][0].update(departments=["so_moi"]),
            "table D1.1: department 'so_moi' is not defined; add it under departments",
        ),
        (
            lambda d: d["tables"][0].update(rows=["district", "religion"]),
            "table D1.1: row variable 'religion' is not defined",
        ),
        (
            lambda d: d["indicators"]["I1.1"].update(numerator="${D1_99} = 1"),
            "indicator I1.1: numerator '${D1_99} = 1': column 1:",
        ),
        (
            lambda d: d["indicators"]["I1.1"].update(numerator="${D1_01} = 'maybe'"),
            "indicator I1.1: numerator",
        ),
        (
            lambda d: d["sources"]["individual"].update(form="individuals"),
            "source individual: form 'individuals' is not a bundled questionnaire",
        ),
        (
            lambda d: d["settings"].update(parentheses_below=10),
            "settings: parentheses_below is smaller than suppress_below",
        ),
        (
            lambda d: d["tables"].append(copy.deepcopy(d["tables"][0])),
            "table D1.1: the id is used twice",
        ),
        (
            lambda d: d["kap"]["knowledge"]["items"].append("K99"),
            "kap: item 'K99' is not a question of form 'individual'",
        ),
        (
            lambda d: next(t for t in d["tables"] if t["id"] == "L.4").update(indicator="I1.1"),
            "table L.4: a median table needs a mean indicator",
        ),
        (
            lambda d: next(t for t in d["tables"] if t["id"] == "L.4").update(indicator="I9.9"),
            "table L.4: indicator 'I9.9' is not defined",
        ),
        (
            lambda d: d["tables"][0].update(q=0.5),
            "table D1.1: q (the quantile) is for median tables only",
        ),
    ],
)
def test_broken_plans_get_precise_messages(plan_doc, change, expected):
    doc = copy.deepcopy(plan_doc)
    change(doc)
    with pytest.raises(QuestionnaireError) as caught:
        plan_from_dict(doc, "tables/langson.json", load_bundled())
    assert any(
        m.startswith("tables/langson.json: ") and expected in m for m in caught.value.messages
    ), caught.value.messages
    assert len(caught.value.messages_vi) == len(caught.value.messages)


def test_schema_errors_name_the_place(plan_doc):
    doc = copy.deepcopy(plan_doc)
    doc["tables"][2]["kind"] = "pie"
    with pytest.raises(QuestionnaireError) as caught:
        plan_from_dict(doc, "tables/langson.json", load_bundled())
    assert "tables[D2.1].kind" in caught.value.messages[0]


def test_missing_plan_file_is_a_clear_error(tmp_path):
    with pytest.raises(QuestionnaireError, match="file not found"):
        load_plan(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="not valid JSON"):
        load_plan(bad)
