"""The indicator store: entry with the catalogue's rules, approval, revisions, audit, reading."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select

from survey_app.extensions import db

from .conftest import TEST_PASSWORD
from .indicator_world import build_indicator_world


def login(client, name: str) -> None:  # noqa: ANN001
    response = client.post("/auth/login", data={"username": name, "password": TEST_PASSWORD})
    assert response.status_code == 302


def stored(app, code: str, area: str, period: str, sex: str = "T"):  # noqa: ANN001, ANN201
    from survey_app.indicators.services import find_area, find_figure

    with app.app_context():
        figure = find_figure(code, find_area(area), period, sex)
        if figure is not None:
            db.session.expunge(figure)
        return figure


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_department_enters_a_ratio_from_its_counts_and_labour_approves(app, client) -> None:
    from survey_app.models import AuditLog

    build_indicator_world(app)
    login(client, "dept_khdt")
    response = client.post(
        "/indicators/entry?code=MT2-CT2&area=20&period=2020",
        data={"T-numerator": "36", "T-denominator": "90", "submit_figures": "1"},
    )
    assert response.status_code == 302
    figure = stored(app, "MT2-CT2", "20", "2020")
    assert (figure.value, figure.numerator, figure.denominator) == (40.0, 36.0, 90.0)
    assert figure.status == "submitted" and figure.source_kind == "department"
    assert figure.department == "khdt"
    client.post("/auth/logout")
    login(client, "labour")
    page = client.get("/indicators/approvals").get_data(as_text=True)
    assert "MT2-CT2" in page
    response = client.post("/indicators/approvals", data={"figure": str(figure.id), "approve": "1"})
    assert response.status_code == 302
    figure = stored(app, "MT2-CT2", "20", "2020")
    assert figure.status == "approved" and figure.approved_at is not None
    with app.app_context():
        actions = db.session.scalars(
            select(AuditLog.action)
            .where(AuditLog.object_type == "indicator_value", AuditLog.object_id == str(figure.id))
            .order_by(AuditLog.id)
        ).all()
    assert actions == ["indicator.create", "indicator.approved"]


def test_entry_rules_refuse_with_a_message_on_the_field(app, client) -> None:
    from survey_app.indicators.models import IndicatorValue

    build_indicator_world(app)
    login(client, "dept_khdt")
    before = count(app, IndicatorValue)
    url = "/indicators/entry?code=MT2-CT2&area=20&period=2020"
    response = client.post(url, data={"T-numerator": "130", "T-denominator": "100"})
    assert response.status_code == 422
    assert "tử số 130 lớn hơn mẫu số 100" in response.get_data(as_text=True)
    response = client.post(url, data={"T-numerator": "ba mươi", "T-denominator": "100"})
    assert response.status_code == 422
    assert "Không phải là số." in response.get_data(as_text=True)
    response = client.post(url, data={"T-numerator": "5", "T-denominator": "0"})
    assert "mẫu số bằng 0" in response.get_data(as_text=True)
    assert count(app, IndicatorValue) == before


def test_a_large_change_from_last_year_needs_a_comment(app, client) -> None:
    build_indicator_world(app)
    login(client, "dept_khdt")
    first = {"T-numerator": "60", "T-denominator": "100", "submit_figures": "1"}
    assert (
        client.post("/indicators/entry?code=MT2-CT2&area=20&period=2018", data=first).status_code
        == 302
    )
    url = "/indicators/entry?code=MT2-CT2&area=20&period=2019"
    response = client.post(url, data={"T-numerator": "30", "T-denominator": "100"})
    assert response.status_code == 422
    assert "thay đổi so với kỳ trước (60 → 30) lớn hơn 20" in response.get_data(as_text=True)
    response = client.post(
        url, data={"T-numerator": "30", "T-denominator": "100", "comment": "Luật doanh nghiệp mới"}
    )
    assert response.status_code == 302
    assert stored(app, "MT2-CT2", "20", "2019").comment == "Luật doanh nghiệp mới"


def test_women_and_men_make_the_total_from_summed_counts(app, client) -> None:
    build_indicator_world(app)
    login(client, "labour")
    response = client.post(
        "/indicators/entry?code=MT7-CT4&area=20&period=2020",
        data={
            "F-numerator": "30",
            "F-denominator": "40",
            "M-numerator": "10",
            "M-denominator": "20",
        },
    )
    assert response.status_code == 302
    assert stored(app, "MT7-CT4", "20", "2020", "F").value == 75.0
    assert stored(app, "MT7-CT4", "20", "2020", "M").value == 50.0
    total = stored(app, "MT7-CT4", "20", "2020", "T")
    assert (total.numerator, total.denominator, total.value) == (40.0, 60.0, 40 * 100 / 60)


def test_departments_and_districts_edit_only_their_own(app, client) -> None:
    build_indicator_world(app)
    login(client, "dept_khdt")
    assert client.get("/indicators/entry?code=MT4-CT1").status_code == 403  # Health's
    client.post("/auth/logout")
    login(client, "district178")
    assert client.get("/indicators/entry?code=MT1-CT2&area=178").status_code == 200
    response = client.post(
        "/indicators/entry?code=MT1-CT2&area=180&period=2020",
        data={"T-numerator": "1", "T-denominator": "2"},
    )
    assert response.status_code == 403
    assert stored(app, "MT1-CT2", "180", "2020") is None


def test_changing_an_approved_figure_keeps_a_revision(app) -> None:
    from survey_app.indicators.models import IndicatorRevision
    from survey_app.indicators.services import Figure, find_area, put_figure
    from survey_app.models import AuditLog, User

    build_indicator_world(app)
    with app.app_context():
        admin = db.session.query(User).filter_by(username="admin").one()
        province = find_area("20")
        figure, changed = put_figure(
            "I4.1", province, "2019", "F", Figure(value=92.0, status="approved"), admin
        )
        db.session.commit()
        assert changed and figure.value == 92.0 and figure.revision == 2
        [revision] = db.session.scalars(select(IndicatorRevision)).all()
        assert (revision.value, revision.ci_low, revision.status) == (91.25, 88.0, "approved")
        entry = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "indicator.revise")
        ).one()
        assert entry.old["value"] == 91.25 and entry.new["value"] == 92.0
        _same, changed = put_figure(
            "I4.1", province, "2019", "F", Figure(value=92.0, status="approved"), admin
        )
        assert not changed


def test_drafts_are_seen_by_their_owner_and_labour_only(app, client) -> None:
    build_indicator_world(app)
    seen = {}
    for user in ("dept_khdt", "labour", "sup178", "district178"):
        login(client, user)
        items = client.get("/api/v1/indicators?code=MT2-CT2").get_json()["items"]
        seen[user] = [(i["area"], i["status"]) for i in items]
        client.post("/auth/logout")
    assert seen == {
        "dept_khdt": [("20", "draft")],
        "labour": [("20", "draft")],
        "sup178": [],
        "district178": [],
    }


def test_sensitive_figures_are_never_shown_below_district(app, client) -> None:
    from survey_app.indicators.services import Figure, find_area, put_figure

    build_indicator_world(app)
    with app.app_context():
        for area, value in (("17801", 31.0), ("178", 30.0)):
            put_figure(
                "I8.2", find_area(area), "2019", "T", Figure(value=value, status="approved"), None
            )
        db.session.commit()
    login(client, "admin")
    items = client.get("/api/v1/indicators?code=I8.2").get_json()["items"]
    assert [i["area"] for i in items] == ["178"]
    page = client.get("/indicators/?code=I8.2&level=commune&area=17801").get_data(as_text=True)
    assert "30.0" in page and "31.0" not in page


def test_api_pages_by_cursor_and_filters(app, client, runner) -> None:
    from survey_app.indicators.services import Figure, find_area, put_figure

    build_indicator_world(app)
    with app.app_context():
        for year in range(2010, 2016):
            for sex in ("F", "M"):
                put_figure(
                    "I5.2",
                    find_area("178"),
                    str(year),
                    sex,
                    Figure(value=float(year - 2000), status="approved"),
                    None,
                )
        db.session.commit()
    token = runner.invoke(["users", "token", "sup178"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    seen = []
    url = "/api/v1/indicators?code=I5.2&area=178&limit=5"
    while url:
        body = client.get(url, headers=headers).get_json()
        seen += [(i["period"], i["sex"]) for i in body["items"]]
        url = body["next"]
    assert len(seen) == 12 and len(set(seen)) == 12
    assert seen == sorted(seen)
    body = client.get("/api/v1/indicators?code=I5.2&period=2012&sex=M", headers=headers).get_json()
    assert [(i["value"], i["sex"]) for i in body["items"]] == [(12.0, "M")]
    assert client.get("/api/v1/indicators?sex=X", headers=headers).status_code == 400
    assert client.get("/api/v1/indicators?area=999", headers=headers).status_code == 404
    assert client.get("/api/v1/indicators?cursor=@@", headers=headers).status_code == 400
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/indicators" in document["paths"]


def test_browse_page_and_downloads_show_the_same_figures(app, client) -> None:
    from survey_app.indicators.services import Figure, find_area, put_figure

    build_indicator_world(app)
    with app.app_context():
        for area, value in (("178", 81.5), ("180", 77.25)):
            put_figure(
                "I4.1", find_area(area), "2019", "F", Figure(value=value, status="approved"), None
            )
        db.session.commit()
    login(client, "viewer")
    page = client.get("/indicators/?code=I4.1&level=province&area=20").get_data(as_text=True)
    assert "91.2" in page and "88.0–94.0" in page  # the province over time, with its CI
    assert "81.5" in page and "77.2" in page  # one row per district
    assert "<svg" in page and 'class="target"' in page  # MT3-CT1: > 98
    csv_body = client.get("/indicators/download.csv?code=I4.1&level=province&area=20").data
    assert csv_body.startswith("\ufeff".encode())
    text = csv_body.decode("utf-8-sig")
    assert "91.25" in text and "81.5" in text and "77.25" in text
    xlsx = client.get("/indicators/download.xlsx?code=I4.1&level=province&area=20").data
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    numbers = {
        float(c)
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if isinstance(c, (int, float))
    }
    assert {91.25, 88.0, 94.0, 81.5, 77.25} <= numbers


def test_yearly_report_lists_entries_and_what_is_missing(app, client) -> None:
    build_indicator_world(app)
    login(client, "labour")
    response = client.get("/indicators/report.xlsx?year=2019")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    entries, missing = book.worksheets
    entered = {(r[0], r[3]) for r in entries.iter_rows(min_row=2, values_only=True)}
    assert entered == {("MT2-CT2", "20"), ("MT1-CT2", "178")}
    absent = {(r[0], r[3]) for r in missing.iter_rows(min_row=2, values_only=True)}
    assert ("MT1-CT2", "180") in absent and ("MT1-CT2", "178") not in absent
    assert ("MT2-CT2", "20") not in absent and ("MT4-CT1", "20") in absent
    pdf = client.get("/indicators/report.pdf?year=2019")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_sensitive_register_figures_with_few_cases_are_not_shown(app, client) -> None:
    from survey_app.indicators.services import Figure, find_area, put_figure

    build_indicator_world(app)
    with app.app_context():
        for area, (num, den) in (("178", (6, 10)), ("180", (30, 40))):
            put_figure(
                "MT6-CT1",
                find_area(area),
                "2019",
                "T",
                Figure(value=num * 100 / den, numerator=num, denominator=den, status="approved"),
                None,
            )
        db.session.commit()
    login(client, "sup178")
    items = client.get("/api/v1/indicators?code=MT6-CT1").get_json()["items"]
    shown = {i["area"]: (i["value"], i["numerator"], i["flag"]) for i in items}
    assert shown == {"178": (None, None, "suppressed"), "180": (75.0, 30.0, "")}
    text = client.get("/indicators/download.csv?code=MT6-CT1&level=province&area=20").data
    assert b"60.0" not in text and b"75.0" in text


def test_publishing_a_run_loads_its_estimates_and_withdrawing_hides_them(
    app, client, tmp_path
) -> None:
    from survey_app.models import User
    from survey_app.results.services import add_folder, publish, withdraw

    build_indicator_world(app)
    app.config["RESULTS_DIR"] = str(tmp_path / "results")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"plan": "langson", "round": {"code": "2019"}}')
    (folder / "estimates.csv").write_text(
        "\ufefftable,indicator,variable,code,label,sex,estimate,std_error,ci_low,ci_high,n,flag,"
        "estimator\n"
        "D5.2,I5.2,total,,Tổng,F,41.123456789012345,2.5,36.2,46.1,410,,direct\n"
        "D5.2,I5.2,district,178,TP,F,,,,,12,suppressed,model\n",
        encoding="utf-8",
    )
    with app.app_context():
        analyst = db.session.query(User).filter_by(username="analyst").one()
        run = add_folder(folder, "Vòng 2019", analyst)
        publish(run, analyst)
        db.session.commit()
        run_id = run.id
    login(client, "sup178")
    items = client.get("/api/v1/indicators?code=I5.2").get_json()["items"]
    assert [(i["area"], i["period"], i["value"], i["flag"], i["estimator"]) for i in items] == [
        ("20", "2019", 41.123456789012345, "", "direct"),
        ("178", "2019", None, "suppressed", "model"),
    ]
    with app.app_context():
        from survey_app.results.models import ReportRun

        withdraw(db.session.get(ReportRun, run_id), None)
        db.session.commit()
    assert client.get("/api/v1/indicators?code=I5.2").get_json()["items"] == []


def test_a_district_official_opens_the_browse_page_on_her_district(app, client) -> None:
    build_indicator_world(app)
    login(client, "district178")
    page = client.get("/indicators/?code=MT1-CT2").get_data(as_text=True)
    assert "MT1-CT2 – " in page and " · Thành phố Lạng Sơn</h2>" in page
    assert "40.0" in page  # her own draft, with its status


def test_figure_page_says_which_estimator_a_survey_figure_is(app, client) -> None:
    from survey_app.indicators.models import FigureStatus, SourceKind
    from survey_app.indicators.services import Figure, find_area, put_figure

    world = build_indicator_world(app)
    with app.app_context():
        common = {
            "status": FigureStatus.APPROVED.value,
            "source_kind": SourceKind.SURVEY.value,
            "source": "report run 1",
        }
        model, _ = put_figure(
            "I4.1",
            find_area("178"),
            "2019",
            "F",
            Figure(
                value=88.5, std_error=2.0, estimator="model", comment="MSE=4 / CV=2.3%", **common
            ),
            None,
        )
        hidden, _ = put_figure(
            "I4.1", find_area("178"), "2019", "M", Figure(flag="suppressed", **common), None
        )
        db.session.commit()
        ids = (model.id, hidden.id)
    login(client, "admin")
    shown = client.get(f"/indicators/figures/{ids[0]}").get_data(as_text=True)
    # the pages speak Vietnamese by default
    assert "Ước lượng mô hình địa bàn nhỏ (EBLUP Fay–Herriot" in shown
    assert "MSE=4 / CV=2.3%" in shown
    direct = client.get(f"/indicators/figures/{world.approved_id}").get_data(as_text=True)
    assert "Ước lượng trực tiếp từ khảo sát" in direct
    suppressed = client.get(f"/indicators/figures/{ids[1]}").get_data(as_text=True)
    assert "Không công bố: cả khảo sát và mô hình địa bàn nhỏ" in suppressed
