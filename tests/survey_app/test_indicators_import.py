"""`gesurvey indicators import`: row-level errors in both languages, all or nothing, idempotent."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from sqlalchemy import func, select

from questionnaires.register import REGISTER_COLUMNS
from survey_app.extensions import db

from .indicator_world import build_indicator_world

GOOD = ["MT2-CT2", "2019", "province", "20", "", "36", "90", "", "percent", "Sở KH&ĐT", "BC 12", ""]
# line in the file (header is line 1) -> (row, column the message must name)
BAD = {
    3: (
        ["MT9-XX", "2019", "province", "20", "", "1", "2", "", "percent", "Sở", "BC", ""],
        "indicator",
    ),
    4: (
        ["MT1-CT2", "2019", "district", "999", "", "1", "2", "", "percent", "Sở", "BC", ""],
        "area_code",
    ),
    5: (
        ["MT5-CT1", "20x9", "province", "20", "", "1", "2", "", "percent", "Sở", "BC", ""],
        "period",
    ),
    6: (
        ["MT4-CT3", "2019", "province", "20", "", "120", "100", "", "percent", "Sở", "BC", ""],
        "numerator",
    ),
    7: (
        ["MT5-CT2", "2019", "province", "20", "", "3", "4", "50", "percent", "Sở", "BC", ""],
        "value",
    ),
    8: (GOOD, "indicator, period, level, area_code, sex"),
    9: (["MT7-CT4", "2019", "province", "20", "X", "1", "2", "", "percent", "Sở", "BC", ""], "sex"),
    10: (
        ["MT7-CT2", "2019", "province", "20", "", "mười", "20", "", "percent", "Sở", "BC", ""],
        "numerator",
    ),
    11: (
        ["MT6-CT2", "2019", "province", "20", "", "5", "10", "", "percent", "", "", ""],
        "source_agency",
    ),
    12: (
        ["MT1-CT2", "2019", "district", "17801", "", "1", "2", "", "percent", "Sở", "BC", ""],
        "level",
    ),
}


def write_csv(path, rows) -> None:  # noqa: ANN001
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTER_COLUMNS)
        writer.writerows(rows)


def write_xlsx(path, rows) -> None:  # noqa: ANN001
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(REGISTER_COLUMNS))
    for row in rows:
        sheet.append(
            [float(c) if c.replace(".", "").isdigit() and i >= 5 else c for i, c in enumerate(row)]
        )
    book.save(path)


def counts(app) -> tuple[int, int, int]:  # noqa: ANN001
    from survey_app.indicators.models import IndicatorRevision, IndicatorValue
    from survey_app.models import AuditLog

    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m))
            for m in (IndicatorValue, IndicatorRevision, AuditLog)
        )


def test_ten_kinds_of_bad_rows_are_each_refused_with_line_and_column(app, runner, tmp_path) -> None:
    build_indicator_world(app)
    path = tmp_path / "bad.csv"
    write_csv(path, [GOOD] + [BAD[line][0] for line in sorted(BAD)])
    before = counts(app)
    result = runner.invoke(["indicators", "import", str(path), "--user", "labour"])
    assert result.exit_code == 1
    output = result.output
    assert "nothing loaded / không tải gì cả" in output
    for line, (_row, column) in BAD.items():
        if line == 8:
            assert (
                f"bad.csv: line {line}: MT2-CT2 2019 province 20 sex total is already on line 2"
                in output
            )
            assert f"(columns {column})" in output and f"(cột {column})" in output
        else:
            assert f"bad.csv: line {line}, column {column}:" in output, (line, column)
            assert f"bad.csv: dòng {line}, cột {column}:" in output, (line, column)
    named = {int(part.split(",")[0].split(":")[0]) for part in output.split("bad.csv: line ")[1:]}
    assert named == set(BAD)  # line 2 is fine; every bad line is named
    assert counts(app) == before


def test_a_good_file_loads_once_and_again_changes_nothing(app, runner, tmp_path) -> None:
    from survey_app.indicators.services import find_area, find_figure

    build_indicator_world(app)
    rows = [
        GOOD,
        [
            "MT7-CT4",
            "2019",
            "province",
            "20",
            "F",
            "30",
            "40",
            "75.0",
            "percent",
            "Sở LĐTBXH",
            "BC",
            "đợt 1",
        ],
        [
            "MT1-CT2",
            "2019",
            "district",
            "180",
            "",
            "3",
            "12",
            "",
            "percent",
            "UBND huyện",
            "BC",
            "",
        ],
    ]
    path = tmp_path / "register_2019.csv"
    write_csv(path, rows)
    result = runner.invoke(["indicators", "import", str(path), "--user", "labour"])
    assert result.exit_code == 0, result.output
    assert "3 rows, 3 figures changed" in result.output
    with app.app_context():
        figure = find_figure("MT7-CT4", find_area("20"), "2019", "F")
        assert (figure.value, figure.status, figure.source_kind) == (75.0, "submitted", "import")
        assert figure.comment == "đợt 1" and "register_2019.csv" in figure.source
        khdt = find_figure("MT2-CT2", find_area("20"), "2019", "T")
        assert khdt.value == 40.0  # replaced the department's draft (36/90)
    after_first = counts(app)
    again = runner.invoke(["indicators", "import", str(path), "--user", "labour"])
    assert again.exit_code == 0 and "3 rows, 0 figures changed" in again.output
    assert counts(app) == after_first
    xlsx = tmp_path / "register_2019.xlsx"
    write_xlsx(xlsx, rows[1:2])
    result = runner.invoke(["indicators", "import", str(xlsx), "--user", "labour"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("user", "status", "message"),
    [
        ("dept_khdt", "submitted", "may not enter MT1-CT2 for 180"),
        ("dept_khdt", "approved", "only the Labour department or an administrator"),
    ],
)
def test_who_may_import_what(app, runner, tmp_path, user, status, message) -> None:
    build_indicator_world(app)
    path = tmp_path / "f.csv"
    rows = [["MT1-CT2", "2019", "district", "180", "", "3", "12", "", "percent", "UBND", "BC", ""]]
    if status == "approved":
        rows = [GOOD]
    write_csv(path, rows)
    before = counts(app)
    result = runner.invoke(["indicators", "import", str(path), "--user", user, "--status", status])
    assert result.exit_code == 1 and message in result.output
    assert counts(app) == before
