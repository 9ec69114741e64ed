"""The front pages read their numbers from the tables: hand-made tables, hand-checked findings."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.report_front import findings_table, glance_table
from analysis.report_pdf import write_pdf
from analysis.report_xlsx import write_xlsx
from analysis.tables import Column, Row, TableResult


def _indicator(table_id: str, iid: str, total: dict, districts: dict[str, dict]) -> TableResult:
    rows = [Row(name, values, variable="district") for name, values in districts.items()]
    rows.append(Row("Total", total, variable="total"))
    return TableResult(
        table_id,
        f"{table_id} title",
        [],
        [Column("w_est", "%", "pct")],
        rows,
        chart_unit="%",
        extra={"indicator": iid, "label": f"label {iid}"},
    )


def _m1_row(code: str, est: float, status: str, **more: object) -> Row:
    values = {
        "indicator": f"text {code}",
        "target": "≥ 40%",
        "est": est,
        "ci": (est - 2, est + 2),
        "year": 2018,
        "status": status.replace("_", " "),
        "_status": status,
        "_partial": False,
        "_indicator": None,
        "_comparator": ">=",
    }
    values.update(more)
    return Row(code, values, block="Objective 1: x")


def _m1(rows: list[Row]) -> TableResult:
    return TableResult(
        "M1",
        "M1 title",
        [],
        [Column("status", "Status", "text")],
        rows,
        ["the status rule"],
        extra={"monitoring": True},
    )


def test_glance_takes_each_targets_main_row_from_m1() -> None:
    monitoring = _m1(
        [
            _m1_row("MT1-CT1", math.nan, "cannot_tell"),  # register: no figure
            _m1_row("MT1-CT1", 18.0, "cannot_tell", _partial=True),  # commune level only
            _m1_row("MT2-CT3", 41.0, "on_track", _indicator="I3.2"),
            _m1_row("MT2-CT3", 44.0, "achieved", _partial=True),
        ]
    )
    changes = pd.DataFrame(
        {
            "indicator": ["I3.2", "I3.2", "I3.2"],
            "by": ["total"] * 3,
            "sex": ["all"] * 3,
            "from_round": ["2017", "2018", "2017"],
            "to_round": ["2018", "2020", "2020"],
            "change": [1.5, 3.25, 4.75],
        }
    )
    glance = glance_table(monitoring, "en", changes)
    assert [row.label for row in glance.rows] == ["MT1-CT1", "MT2-CT3"]
    first, second = glance.rows
    assert first.values["est"] == 18.0  # the only figure, though partial
    assert second.values["est"] == 41.0 and second.values["status"] == "on track"
    assert second.values["change"] == 3.25  # 2018 → 2020, not baseline → latest
    assert second.flags["status"] == "status_on_track"
    assert second.values["_link"] == "M1"


def _hand_tables() -> tuple[list[TableResult], pd.DataFrame]:
    # Gaps (points): D1 −14 (p 0.001), D2 +20 but p 0.2 (not significant), D3 +6 (p 0.01).
    d1 = _indicator(
        "D1",
        "I1",
        {"w_est": 60.0, "m_est": 74.0, "gap": -14.0, "gap_ci": (-19, -9), "p": 0.001},
        {
            "Huyện A": {"w_est": 50.0, "w_ci": (45.0, 55.0)},  # wholly below 60: lags
            "Huyện B": {"w_est": 58.0, "w_ci": (52.0, 64.0)},  # straddles 60
        },
    )
    d2 = _indicator(
        "D2",
        "I2",
        {"w_est": 30.0, "m_est": 10.0, "gap": 20.0, "gap_ci": (-10, 50), "p": 0.2},
        {"Huyện A": {"w_est": 20.0, "w_ci": (15.0, 29.9)}},  # below 30: lags
    )
    d3 = _indicator(
        "D3",
        "I3",
        {"w_est": 40.0, "m_est": 34.0, "gap": 6.0, "gap_ci": (2, 10), "p": 0.01},
        {"Huyện B": {"w_est": 30.0, "w_ci": (25.0, 35.0)}},  # I3 has a "<" target: not judged
    )
    monitoring = _m1(
        [
            _m1_row("MT1-CT1", 1.0, "achieved", _indicator="I1"),
            _m1_row("MT1-CT2", 1.0, "achieved", _indicator="I2"),
            _m1_row("MT1-CT3", 1.0, "achieved", _indicator="I3", _comparator="<"),
        ]
    )
    changes = pd.DataFrame(
        {
            "indicator": ["I1", "I2"],
            "by": ["total", "total"],
            "sex": ["women", "all"],
            "from_round": ["2018", "2018"],
            "to_round": ["2020", "2020"],
            "estimate_from": [52.0, 28.0],
            "estimate_to": [60.0, 30.0],
            "change": [8.0, 2.0],
            "p_value": [0.004, 0.5],
        }
    )
    return [d1, d2, d3, monitoring], changes


def test_findings_rank_significant_gaps_and_find_lagging_districts() -> None:
    tables, changes = _hand_tables()
    findings = findings_table(tables, "en", changes)
    by_block: dict[str, list[Row]] = {}
    for row in findings.rows:
        by_block.setdefault(row.block or "", []).append(row)
    gaps = by_block["Largest significant gender gaps"]
    assert [row.values["_link"] for row in gaps] == ["D1", "D3"]
    assert (
        "women 60.0, men 74.0; gap -14.0 points (95% CI -19.0–-9.0; p 0.001)"
        in (gaps[0].values["finding"])
    )
    moved = by_block["What moved since the last round"]
    assert len(moved) == 1 and moved[0].values["_link"] == "D1"
    assert "52.0 (2018) → 60.0 (2020), change +8.0" in moved[0].values["finding"]
    lag = by_block["Districts that lag"]
    assert len(lag) == 1
    assert lag[0].values["finding"].startswith("Huyện A: below the province on 2 of 2")
    assert "D1 50.0 < 60.0; D2 20.0 < 30.0" in lag[0].values["finding"]


def test_findings_say_so_when_there_is_nothing_or_no_earlier_round() -> None:
    findings = findings_table([], "vi")
    texts = [row.values["finding"] for row in findings.rows]
    assert any("Không có vòng khảo sát trước" in t for t in texts)
    assert any("Không có chênh lệch giới" in t for t in texts)


def test_each_finding_links_to_its_table_in_the_pdf_and_the_workbook(tmp_path: Path) -> None:
    tables, changes = _hand_tables()
    findings = findings_table(tables, "en", changes)
    pdf = write_pdf([findings, *tables], tmp_path / "r.pdf", "Report", "en")
    reader = PdfReader(pdf)
    starts = {i.title.split(".")[0]: reader.get_destination_page_number(i) for i in reader.outline}
    targets = []
    for annotation in reader.pages[starts["G2"]].get("/Annots", []):
        annotation = annotation.get_object()
        if annotation.get("/Subtype") == "/Link":
            targets.append(reader.get_page_number(annotation["/Dest"][0].get_object()))
    # two gaps (D1, D3), one change (D1), one lagging district (its first table, D1)
    assert sorted(targets) == sorted([starts["D1"], starts["D3"], starts["D1"], starts["D1"]])
    book = load_workbook(write_xlsx([findings, *tables], tmp_path / "r.xlsx", "Report", "en"))
    assert book.sheetnames[0] == "G2"
    links = [c.hyperlink.location for r in book["G2"].iter_rows() for c in r if c.hyperlink]
    assert sorted(links) == ["'D1'!A1", "'D1'!A1", "'D1'!A1", "'D3'!A1"]  # internal links
