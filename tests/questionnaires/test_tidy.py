"""The tidy layout: one table per unit, ids and design columns, labels, exclusions."""

from __future__ import annotations

from importlib import resources

import pytest

from questionnaires import load_bundled, load_questionnaire
from questionnaires.tidy import TidyLayout

FORMS = resources.files("questionnaires").joinpath("forms")


@pytest.fixture(scope="module")
def forms():  # noqa: ANN201
    return load_bundled()


HOUSEHOLD = {
    "province": 20,
    "district": 178,
    "commune": 1,
    "village": 3,
    "residence": 1,
    "household_no": 5,
    "HH01": "Nguyễn Văn A",
    "HH04": 1,
    "HH05": 1,
    "HH06": 2,
    "roster": [
        {"M01": "A", "M03": 1, "M04": 30, "D5_05": [1, 3]},
        {"M01": "B", "M03": 2, "M04": 28, "D5_05": [98]},
    ],
    "HH18": {"tv": 1, "motorbike": 0},
    "weight_final": 12.5,
}


def rows_by_table(layout: TidyLayout, answers: dict, **kwargs) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for table, row in layout.rows(answers, **kwargs):
        out.setdefault(table.name, []).append(row)
    return out


def test_bundled_forms_give_one_table_per_unit(forms) -> None:  # noqa: ANN001
    names = [t.name for f in forms.values() for t in TidyLayout(f, include_sensitive=True).tables]
    assert sorted(names) == [
        "commune",
        "district",
        "hh_birth",
        "household",
        "individual",
        "member",
        "province",
        "women",
    ]


def test_roster_rows_carry_household_key_line_and_design(forms) -> None:  # noqa: ANN001
    layout = TidyLayout(forms["household"])
    rows = rows_by_table(layout, HOUSEHOLD, uuid="u-1", version="1.0.0", psu=17801001)
    [household] = rows["household"]
    assert household["hh_id"] == 17801001 * 1000 + 5
    assert household["stratum"] == 1781
    assert household["psu"] == 17801001
    assert household["weight_final"] == 12.5
    assert household["weight_base"] is None
    assert household["HH18_tv"] == 1 and household["HH18_motorbike"] == 0
    members = rows["member"]
    assert [m["line"] for m in members] == [1, 2]
    assert {m["hh_id"] for m in members} == {household["hh_id"]}
    assert [m["submission_uuid"] for m in members] == ["u-1", "u-1"]
    assert [m["D5_05"] for m in members] == ["1 3", "98"]


def test_identifying_questions_left_out_unless_asked(forms) -> None:  # noqa: ANN001
    plain = TidyLayout(forms["household"])
    assert "HH01" not in plain.tables[0].names
    assert "M01" not in plain.tables[1].names
    full = TidyLayout(forms["household"], include_identifying=True)
    rows = rows_by_table(full, HOUSEHOLD)
    assert rows["household"][0]["HH01"] == "Nguyễn Văn A"
    assert [m["M01"] for m in rows["member"]] == ["A", "B"]


def test_women_module_has_no_table_unless_asked(forms) -> None:  # noqa: ANN001
    assert TidyLayout(forms["women"]).tables == []
    assert list(TidyLayout(forms["women"]).rows({"W01_01": 1})) == []
    assert [t.name for t in TidyLayout(forms["women"], include_sensitive=True).tables] == ["women"]


def test_multi_as_dummies_holds_missing_code_in_every_column(forms) -> None:  # noqa: ANN001
    layout = TidyLayout(forms["household"], multi="dummies")
    member = layout.tables[1]
    dummies = [c for c in member.columns if c.name.startswith("D5_05_")]
    assert len(dummies) == len(forms["household"].question("D5_05").choices)
    rows = rows_by_table(layout, HOUSEHOLD)["member"]
    assert rows[0]["D5_05_1"] == 1 and rows[0]["D5_05_2"] == 0 and rows[0]["D5_05_3"] == 1
    assert {rows[1][c.name] for c in dummies} == {98}
    assert dummies[0].value_labels[1].en == "Yes"


def test_value_labels_include_declared_missing_codes(forms) -> None:  # noqa: ANN001
    layout = TidyLayout(forms["individual"])
    column = next(c for c in layout.tables[0].columns if c.name == "D1_06")
    question = forms["individual"].question("D1_06")
    assert 98 in question.missing_codes
    assert column.value_labels[98].vi == "Không biết"
    assert {c.code for c in question.choices} <= set(column.value_labels)
    assert column.label == question.export_label


def test_births_are_rows_of_their_own() -> None:
    # the respondent's own births are a repeat group of individual form 1.0.0 only (from 1.1.0
    # every woman's births are the household form's hh_birth rows)
    layout = TidyLayout(load_questionnaire(FORMS / "versions/1.0.0/individual.json"))
    answers = {
        "district": 180,
        "residence": 2,
        "household_no": 7,
        "D7_02": 2,
        "D7_03": [{"D7_03_SEX": 1}, {"D7_03_SEX": 2}],
    }
    rows = rows_by_table(layout, answers, psu=18001001)
    assert [b["birth_no"] for b in rows["birth"]] == [1, 2]
    assert [b["D7_03_SEX"] for b in rows["birth"]] == [1, 2]
    assert rows["birth"][0]["hh_id"] == 18001001 * 1000 + 7
    assert rows["birth"][0]["stratum"] == 1802


def test_design_fields_in_the_answers_win(forms) -> None:  # noqa: ANN001
    layout = TidyLayout(forms["household"])
    answers = {**HOUSEHOLD, "stratum": 9, "psu": 42}
    [row] = rows_by_table(layout, answers, psu=17801001)["household"]
    assert (row["stratum"], row["psu"], row["hh_id"]) == (9, 42, 42005)


def test_odd_answers_give_empty_cells_not_errors(forms) -> None:  # noqa: ANN001
    layout = TidyLayout(forms["household"])
    answers = {
        "district": "x",
        "household_no": 2.5,
        "HH18": "not a grid",
        "roster": "nope",
        "HH06": True,
    }
    [row] = rows_by_table(layout, answers)["household"]
    assert row["stratum"] is None and row["hh_id"] is None and row["HH18_tv"] is None
    assert row["HH06"] == 1
    assert list(rows_by_table(layout, "not a dict")) == ["household"]
