"""The whole report on a small synthetic survey: PDF, Excel, CSV, department packs, command."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis.report import run_report
from analysis.report_sae import SAE_TABLE_IDS
from analysis.sae import read_small_area_csv
from analysis.synthetic.frame import load_districts
from analysis.synthetic.run import simulate
from questionnaires.plans import bundled_plan_path, load_plan
from survey_app.cli import cli

#: Administrative values for the plan's register targets (the simulator draws survey data only).
REGISTER = (
    (
        "indicator,period,level,area_code,sex,numerator,denominator,value,unit,"
        "source_agency,source_document,note\n"
    )
    + """MT1-CT2,2018,province,20,,9,20,45,percent,Sở Nội vụ,Báo cáo năm 2018,
MT2-CT2,2018,province,20,,280,1000,28,percent,Sở KH&ĐT,,
MT4-CT1,2018,province,20,,,,112,per_100,Sở Y tế,,
MT4-CT2,2018,province,20,,6,12500,48,per_100000,Sở Y tế,,
MT4-CT4,2018,province,20,,,,17,percent,Sở Y tế,,
MT6-CT1,2018,province,20,,85,100,85,percent,Sở VHTT&DL,,
MT6-CT2,2018,province,20,,90,100,90,percent,Sở VHTT&DL,,
MT6-CT3,2018,province,20,,12,12,100,percent,Công an tỉnh,,
"""
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated survey of 440 households (22 villages), with a register file beside it."""
    folder = tmp_path_factory.mktemp("data")
    simulate(440, 5, folder)
    (folder / "register.csv").write_text(REGISTER, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def report(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("report")
    manifest = run_report(data_dir, bundled_plan_path(), out, "vi")
    return out, manifest


@pytest.fixture(scope="module")
def plan_tables() -> list[dict]:
    return load_plan(bundled_plan_path()).tables


@pytest.fixture(scope="module")
def pdf_text(report) -> str:
    out, _ = report
    reader = PdfReader(out / "report_vi.pdf")
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_shows_vietnamese_text(pdf_text):
    assert "Báo cáo khảo sát bình đẳng giới tỉnh Lạng Sơn" in pdf_text
    assert "Tỷ lệ biết chữ của phụ nữ và nam giới 15–40 tuổi" in pdf_text
    assert "Huyện Lộc Bình" in pdf_text
    assert "Mục lục" in pdf_text


def test_pdf_holds_every_table_of_the_plan(pdf_text, plan_tables):
    for table in plan_tables:
        assert f"{table['id']}. {table['title']['vi']}"[:40] in pdf_text, table["id"]


def test_pdf_embeds_its_font(report):
    out, _ = report
    reader = PdfReader(out / "report_vi.pdf")
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/Subtype"] == "/TrueType":
                descriptor = font["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor
                fonts.add(str(font["/BaseFont"]))
    assert any("DejaVuSansCondensed" in f for f in fonts)


def test_pdf_outline_lists_the_tables(report, plan_tables):
    out, _ = report
    outline = PdfReader(out / "report_vi.pdf").outline
    titles = [item.title for item in outline]
    # the plan at a glance and the key findings, the plan's tables, the small-area appendix
    # (districts and the commune summary; every commune's row is in the workbook only)
    assert len(titles) == 2 + len(plan_tables) + 2
    assert titles[0].startswith("G1.") and titles[1].startswith("G2.")
    assert titles[2].startswith("D1.1.")
    assert titles[-2].startswith("SAE.1.") and titles[-1].startswith("SAE.3.")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_page_renders_to_an_image(report, tmp_path):
    out, _ = report
    prefix = tmp_path / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-gray",
            "-f",
            "3",
            "-l",
            "5",
            str(out / "report_vi.pdf"),
            str(prefix),
        ],
        check=True,
    )
    inked = []
    # the contents run over a page or more as tables are added: look at pages 3 to 5
    for image in sorted(tmp_path.glob("page*.pgm")):
        raw = image.read_bytes()
        # binary PGM: "P5\n<w> <h>\n255\n" then one byte per pixel
        header = raw.split(b"\n", 3)
        assert header[0] == b"P5"
        width, height = map(int, header[1].split())
        pixels = np.frombuffer(header[3], dtype=np.uint8)
        assert pixels.size == width * height
        assert width > height  # landscape
        inked.append((pixels < 128).mean())
    assert max(inked) > 0.005  # text and rules were drawn


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_diacritics(report):
    out, _ = report
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "8", str(out / "report_vi.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Tỷ lệ phụ nữ và nam giới 18–64 tuổi dự họp thôn" in text  # the contents
    # the plan at a glance comes straight after the title page, before the contents
    assert text.index("G1. Kế hoạch trong một trang") < text.index("Mục lục")


def test_excel_has_a_sheet_per_table_with_numbers(report, plan_tables):
    out, _ = report
    book = load_workbook(out / "report_vi.xlsx")
    # the front pages, the contents, the plan's tables, the small-area appendix
    assert len(book.sheetnames) == 3 + len(plan_tables) + len(SAE_TABLE_IDS)
    assert book.sheetnames[:3] == ["G1", "G2", "Mục lục"]  # the front pages open the workbook
    sheet = book["D4.1"]
    assert sheet["A1"].value.startswith("D4.1. Tỷ lệ biết chữ")
    assert sheet.freeze_panes == "B5"  # two header rows stay visible
    numbers = [
        c.value
        for row in sheet.iter_rows(min_row=5)
        for c in row
        if isinstance(c.value, (int, float))
    ]
    assert len(numbers) > 50
    formats = {c.number_format for row in sheet.iter_rows(min_row=5) for c in row}
    assert "0.0" in formats
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Nguồn:") for t in texts)


def test_excel_marks_keep_numbers(report):
    out, manifest = report
    book = load_workbook(out / "report_vi.xlsx")
    found_paren = found_star = False
    for name in book.sheetnames[1:]:
        for row in book[name].iter_rows(min_row=5):
            for cell in row:
                if cell.number_format.startswith('"("'):
                    assert isinstance(cell.value, (int, float))
                    found_paren = True
                if cell.value == "*":
                    found_star = True
    assert found_paren and found_star


def test_median_tables_reach_the_workbook_the_csv_and_the_pdf(report, pdf_text):
    """L.4 (median earnings) and F.2 (median age at first union): medians by sex as numbers,
    the gap and ratio columns, the method note, in every output. This small survey has one
    village per stratum, so no bootstrap: the tables say so instead of showing a gap (the
    gap's cells are checked on a larger survey in ``test_report_cells.py``)."""
    out, _ = report
    book = load_workbook(out / "report_vi.xlsx")
    for tid in ("L.4", "F.2"):
        sheet = book[tid]
        assert sheet["A1"].value.startswith(f"{tid}. Trung vị")
        headers = [c.value for row in sheet.iter_rows(min_row=3, max_row=4) for c in row]
        assert "Trung vị" in headers and "Tỷ số Nữ/Nam" in headers
        total = next(
            [c.value for c in row] for row in sheet.iter_rows(min_row=5) if row[0].value == "Tổng"
        )
        assert sum(isinstance(v, (int, float)) for v in total) >= 4, total
        texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert any("Woodruff" in t and "bootstrap" in t for t in texts)
        assert any(t.startswith("Có tầng chỉ có một PSU") for t in texts)
        csv_text = (out / "csv" / f"{tid}.csv").read_text(encoding="utf-8-sig")
        assert "Trung vị" in csv_text and "Tỷ số Nữ/Nam" in csv_text
        assert tid in pdf_text
    assert "Trung vị tiền lương" in " ".join(pdf_text.split())


def test_csv_files_have_a_bom_and_vietnamese(report, plan_tables):
    out, _ = report
    files = sorted((out / "csv").glob("*.csv"))
    assert len(files) == len(plan_tables) + len(SAE_TABLE_IDS)
    raw = (out / "csv" / "D4.1.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Tỷ lệ biết chữ" in raw.decode("utf-8-sig")


def test_every_table_has_data_for_every_block_on_simulated_data(report, plan_tables):
    out, _ = report
    for table in plan_tables:
        text = (out / "csv" / f"{table['id']}.csv").read_text(encoding="utf-8-sig")
        assert "Không có dữ liệu" not in text, table["id"]


def test_department_packs_hold_their_own_tables(report, plan_tables):
    out, manifest = report
    sae_departments = _sae_departments(out)
    for dep_id, pack in manifest["departments"].items():
        expected = [t["id"] for t in plan_tables if dep_id in t["departments"]]
        expected += [t for t in SAE_TABLE_IDS if dep_id in sae_departments[t]]
        assert pack["tables"] == expected
        folder = out / "departments" / dep_id
        book = load_workbook(folder / f"{dep_id}_vi.xlsx")
        assert book.sheetnames[1:] == expected
    m1 = load_workbook(out / "departments" / "yte" / "yte_vi.xlsx")["M1"]
    codes = {str(row[0].value).strip() for row in m1.iter_rows(min_row=5)}
    assert {"MT4-CT1", "MT4-CT2", "MT4-CT3", "MT4-CT4"} <= codes
    assert "MT1-CT1" not in codes  # the health pack shows the health targets only
    yte = PdfReader(out / "departments" / "yte" / "yte_vi.pdf")
    text = "\n".join(p.extract_text() for p in yte.pages)
    assert "D7.1." in text and "Sở Y tế" in text
    assert "D1.1." not in text


def test_manifest_describes_the_run(report, plan_tables):
    out, manifest = report
    stored = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert stored["tables"] == [t["id"] for t in plan_tables]
    assert stored["files"]["pdf"] == "report_vi.pdf"


def test_command_writes_an_english_report_and_tolerates_missing_tables(
    data_dir, tmp_path, plan_tables
):
    partial = tmp_path / "data"
    shutil.copytree(data_dir, partial)
    for suffix in (".csv", ".parquet"):
        (partial / f"women{suffix}").unlink()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["analyze", "report", str(partial), "--out", str(out), "--lang", "en", "--no-pdf",
         "--small-areas", "I1.1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(plan_tables)} tables" in result.output
    book = load_workbook(out / "report_en.xlsx")
    assert book["D4.1"]["A1"].value.startswith("D4.1. Literacy rate of women and men")
    notes = [c.value for row in book["Contents"].iter_rows() for c in row if c.value]
    assert any("Table 'women' is not in" in str(n) for n in notes)


def test_command_reports_bad_input_without_a_traceback(tmp_path):
    result = CliRunner().invoke(
        cli, ["analyze", "report", str(tmp_path / "none"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "Error: data folder" in result.output and "Lỗi:" in result.output
    bad_plan = tmp_path / "plan.json"
    bad_plan.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "analyze",
            "report",
            str(tmp_path),
            "--plan",
            str(bad_plan),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "plan.json" in result.output
    assert "Traceback" not in result.output


def test_front_pages_take_their_numbers_from_m1_and_link_to_the_tables(report):
    out, manifest = report
    assert manifest["front"] == ["G1", "G2"]
    book = load_workbook(out / "report_vi.xlsx")
    glance, m1 = book["G1"], book["M1"]
    codes = [str(r[0].value).strip() for r in glance.iter_rows(min_row=5) if r[0].value]
    targets = [c for c in codes if c.startswith("MT")]
    assert len(targets) == 28  # 27 targets, the awareness target in its two parts
    # The figure of MT4-CT2 on the glance page is the register's 48 shown in M1.
    row = next(r for r in glance.iter_rows(min_row=5) if str(r[0].value).strip() == "MT4-CT2")
    m1_row = next(r for r in m1.iter_rows(min_row=5) if str(r[0].value).strip() == "MT4-CT2")
    assert 48.0 in [c.value for c in row] and 48.0 in [c.value for c in m1_row]
    assert row[0].hyperlink.location == "'M1'!A1"  # an internal link to M1's first cell
    fills = {str(c.fill.fgColor.rgb)[-6:] for r in glance.iter_rows(min_row=5) for c in r}
    assert "C6EFCE" in fills  # MT4-CT2 achieved: green (whatever the alpha byte)
    reader = PdfReader(out / "report_vi.pdf")
    outline = {
        item.title.split(".")[0]: reader.get_destination_page_number(item)
        for item in reader.outline
    }
    targets_of_links = []
    for page in reader.pages[outline["G1"] : outline["D1"]]:
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                destination = annotation["/Dest"]
                targets_of_links.append(reader.get_page_number(destination[0].get_object()))
    assert outline["M1"] in targets_of_links  # glance rows link to M1


def _sae_departments(out: Path) -> dict[str, set[str]]:
    """The departments each small-area table reaches: those of its indicators' tables."""
    plan = load_plan(bundled_plan_path())
    areas = read_small_area_csv(out / "small_areas.csv")
    found: dict[str, set[str]] = {t: set() for t in SAE_TABLE_IDS}
    for table in plan.tables:
        for level, ids in (("district", ("SAE.1",)), ("commune", ("SAE.2", "SAE.3"))):
            if table.get("indicator") in set(areas.loc[areas["level"] == level, "indicator"]):
                for table_id in ids:
                    found[table_id] |= set(table["departments"])
    return found


def _sheet_rows(sheet) -> dict[tuple[str, str], list]:
    """The data rows of a report sheet by (block, label): values from column B on."""
    rows, block = {}, ""
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if row[0] is None:
            break
        if all(v is None for v in row[1:]):
            block = str(row[0])
        else:
            rows[(block, str(row[0]).strip())] = list(row[1:])
    return rows


def test_past_the_workbook_limit_commune_figures_stay_in_the_csv(report, monkeypatch):
    """A survey with more commune rows than a worksheet should hold gets no SAE.2: SAE.1 and
    the summary SAE.3 remain, and SAE.3's note sends the reader to small_areas.csv."""
    from analysis import report_sae

    out, _ = report
    areas = read_small_area_csv(out / "small_areas.csv")
    communes = int((areas["level"] == "commune").sum())
    plan = load_plan(bundled_plan_path())
    assert [t.id for t in report_sae.small_area_tables(areas, plan, "vi")] == list(SAE_TABLE_IDS)
    monkeypatch.setattr(report_sae, "WORKBOOK_COMMUNE_ROWS", communes - 1)
    for lang, words in (("vi", f"small_areas.csv ({communes} dòng"), ("en", f"({communes} rows")):
        tables = report_sae.small_area_tables(areas, plan, lang)
        assert [t.id for t in tables] == ["SAE.1", "SAE.3"]
        assert words in tables[1].notes[0] and "SAE.2" in tables[1].notes[0]


def test_small_area_figures_side_by_side_in_the_workbook_and_the_pdf(report, pdf_text):
    """SAE.1 (districts) and SAE.2 (communes) carry small_areas.csv's figures cell by cell on
    the report's scale, with Vietnamese headings; SAE.3 counts the communes' estimators; the PDF
    holds SAE.1 and SAE.3 (not the thousands of commune rows)."""
    out, manifest = report
    assert manifest["small_areas"]["tables"] == list(SAE_TABLE_IDS)
    areas = read_small_area_csv(out / "small_areas.csv")
    book = load_workbook(out / "report_vi.xlsx")
    sheet = book["SAE.1"]
    assert sheet["A1"].value.startswith("SAE.1. Ước lượng cấp huyện: trực tiếp và mô hình")
    groups = [c.value for c in sheet[3]]
    assert groups[2:5] == ["Trực tiếp"] * 3 and groups[9:] == ["Công bố"] * 5
    headers = [c.value for c in sheet[4]][1:]
    assert headers == [
        "n", "Ước lượng", "SE", "CV (%)", "Ước lượng", "√MSE", "CV (%)", "γ", "Ước lượng",
        "KTC 95% (cận dưới)", "KTC 95% (cận trên)", "Loại", "Lý do",
    ]  # fmt: skip
    cells = _sheet_rows(sheet)
    plan = load_plan(bundled_plan_path())
    names = load_districts().set_index("district_code")["name_vi"]
    words = {"direct": "Trực tiếp", "model": "Mô hình (EBLUP)", "suppressed": "Không công bố"}
    district = areas[areas["level"] == "district"]
    # One row of each estimator the run published: every figure on the report's scale
    # (×100 for a proportion) beside the CSV's.
    for _, one in district.groupby("estimator").head(1).iterrows():
        spec = plan.indicators[one["indicator"]]
        scale = 100.0 if spec["type"] == "proportion" else spec.get("multiplier", 1.0)
        sex = {"F": " — Nữ", "M": " — Nam"}.get(one["sex"], "")
        block = f"{one['indicator']}. {spec['label']['vi']}{sex}"
        got = cells[(block, names[one["area"]])]
        expected = [
            one["n"], scale * one["direct"], scale * one["direct_se"], 100 * one["direct_cv"],
            scale * one["model"], scale * np.sqrt(one["model_mse"]), 100 * one["model_cv"],
            one["shrinkage"],
        ]  # fmt: skip
        assert got[:8] == pytest.approx(expected, rel=1e-12)
        if one["estimator"] == "suppressed":
            assert got[8:11] == ["*", "*", "*"]
        else:
            published = [one["published"], one["ci_low"], one["ci_high"]]
            assert got[8:11] == pytest.approx([scale * v for v in published], rel=1e-12)
        assert got[11] == words[one["estimator"]]
    assert set(district["estimator"]) >= {"direct", "suppressed"}  # both cases were checked
    assert len(cells) == len(district)  # every district row is there
    communes = _sheet_rows(book["SAE.2"])
    assert len(communes) == (areas["level"] == "commune").sum()
    # SAE.3: per indicator and sex, how many communes publish which estimator.
    summary = _sheet_rows(book["SAE.3"])
    for (iid, sex), group in areas[areas["level"] == "commune"].groupby(["indicator", "sex"]):
        label = next(k[1] for k in summary if k[1].startswith(f"{iid}. ") and (
            sex == "T" or k[1].endswith("— Nữ" if sex == "F" else "— Nam")))  # fmt: skip
        counts = group["estimator"].value_counts()
        row = summary[("", label)]
        assert row[:4] == [len(group), counts.get("direct", 0), counts.get("model", 0),
                           counts.get("suppressed", 0)]  # fmt: skip
    # The PDF: the district table and the commune summary, in Vietnamese, with the same figures.
    flat = " ".join(pdf_text.split())
    assert "SAE.1. Ước lượng cấp huyện" in flat and "SAE.3. Số liệu cấp xã" in flat
    assert "SAE.2. Ước lượng cấp xã" not in flat
    one = district[district["estimator"] == "direct"].iloc[0]
    scale = 100.0 if plan.indicators[one["indicator"]]["type"] == "proportion" else 1.0
    shown = (
        f"{names[one['area']]} {int(one['n'])} {scale * one['direct']:.1f} "
        f"{scale * one['direct_se']:.1f} {100 * one['direct_cv']:.1f} {scale * one['model']:.1f}"
    )
    assert shown in flat
    assert "γ, hệ số co, = A / (A + D)" in flat


def _one_table():
    from analysis.tables import Column, Row, TableResult

    return TableResult(
        "X.1", "A table", [], [Column("n", "n", "n")], [Row("All", {"n": 3}, {})], ["A note."]
    )


def test_pdf_pickles_are_removed_when_the_report_fails(tmp_path, monkeypatch):
    """The tables handed to the PDF process go through a temporary folder of the report's own,
    removed even when the report fails half-way (they were once left in /tmp)."""
    import tempfile

    from analysis.report import _PdfWriter

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError), _PdfWriter(start=True) as pdfs:
        pdfs.render([_one_table()], "Title", "en")
        assert pdfs.folder is not None and pdfs.folder.parent == tmp_path
        raise RuntimeError("the report failed")
    assert list(tmp_path.iterdir()) == []


def test_the_pdf_process_removes_the_pickles_when_its_input_ends(tmp_path, monkeypatch):
    """A report process killed outright cleans up nothing: its PDF process, whose input then
    ends, deletes each pickle once read and the folder at the end."""
    import io
    import pickle
    import sys

    from analysis.report_pdf import pdf_worker

    folder = tmp_path / "gesurvey_pdf_x"
    folder.mkdir()
    request = folder / "1_render.pickle"
    request.write_bytes(pickle.dumps(([_one_table()], "Title", "en")))
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(["render", str(request)]) + "\n"))
    pdf_worker(str(folder))
    assert not folder.exists()
