"""Results page: who sees which run and which file; upload, run, publish, departments."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from survey_app.extensions import db

from .conftest import TEST_PASSWORD

USERS = {
    "admin": "admin",
    "analyst": "analyst",
    "sup": "supervisor",
    "enum": "enumerator",
    "viewer_yte": "viewer",
    "viewer_ldtbxh": "viewer",
    "viewer_none": "viewer",
}


def write_report(folder: Path, lang: str = "vi") -> Path:
    """A report folder of the shape ``gesurvey analyze report`` writes."""
    (folder / "csv").mkdir(parents=True)
    (folder / f"report_{lang}.pdf").write_bytes(b"%PDF-1.4 full report")
    (folder / f"report_{lang}.xlsx").write_bytes(b"xlsx full")
    (folder / "csv" / "I1.1.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    departments = {}
    for code, label in [("yte", "Sở Y tế"), ("ldtbxh", "Sở Lao động")]:
        pack = folder / "departments" / code
        (pack / "csv").mkdir(parents=True)
        (pack / f"{code}_{lang}.pdf").write_bytes(f"%PDF {code}".encode())
        (pack / "csv" / "T.csv").write_text(code, encoding="utf-8")
        departments[code] = {"label": label, "tables": ["T"], "files": [f"{code}_{lang}.pdf"]}
    manifest = {
        "plan": "langson",
        "lang": lang,
        "tables": ["I1.1"],
        "files": {"pdf": f"report_{lang}.pdf"},
        "departments": departments,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture
def results(app, tmp_path):  # noqa: ANN001, ANN201
    """Users of each role, viewers in two departments, a published and a draft run."""
    from survey_app.admin.services import create_user
    from survey_app.models import User
    from survey_app.results.services import add_folder, publish, set_department

    app.config["RESULTS_DIR"] = str(tmp_path / "results")
    with app.app_context():
        for name, role in USERS.items():
            create_user(name, role, TEST_PASSWORD)
        db.session.flush()
        by_name = {u.username: u for u in db.session.query(User)}
        set_department(by_name["viewer_yte"], "yte", by_name["admin"])
        set_department(by_name["viewer_ldtbxh"], "ldtbxh", by_name["admin"])
        published = add_folder(write_report(tmp_path / "r1"), "Báo cáo 2026", by_name["analyst"])
        publish(published, by_name["analyst"])
        draft = add_folder(write_report(tmp_path / "r2"), "Draft", by_name["analyst"])
        db.session.commit()
        yield {"published": published.id, "draft": draft.id}


def login(client, name: str) -> None:  # noqa: ANN001
    response = client.post("/auth/login", data={"username": name, "password": TEST_PASSWORD})
    assert response.status_code == 302


FULL = "report_vi.pdf"
YTE = "departments/yte/yte_vi.pdf"
LDTBXH = "departments/ldtbxh/csv/T.csv"

# user -> (published run page, full report file, yte pack file, ldtbxh pack file, draft page)
MATRIX = {
    "admin": (200, 200, 200, 200, 200),
    "analyst": (200, 200, 200, 200, 200),
    "sup": (200, 200, 200, 200, 404),
    "enum": (403, 403, 403, 403, 403),
    "viewer_yte": (200, 403, 200, 403, 404),
    "viewer_ldtbxh": (200, 403, 403, 200, 404),
    "viewer_none": (200, 403, 403, 403, 404),
}


@pytest.mark.parametrize("user", sorted(MATRIX))
def test_who_sees_which_run_and_file(client, results, user) -> None:  # noqa: ANN001
    login(client, user)
    run_id = results["published"]
    got = (
        client.get(f"/results/{run_id}").status_code,
        client.get(f"/results/{run_id}/files/{FULL}").status_code,
        client.get(f"/results/{run_id}/files/{YTE}").status_code,
        client.get(f"/results/{run_id}/files/{LDTBXH}").status_code,
        client.get(f"/results/{results['draft']}").status_code,
    )
    assert got == MATRIX[user]


@pytest.mark.parametrize(
    ("user", "department", "status"),
    [
        ("viewer_yte", "yte", 200),
        ("viewer_yte", "ldtbxh", 403),
        ("viewer_none", "yte", 403),
        ("sup", "ldtbxh", 200),
        ("analyst", "yte", 200),
        ("enum", "yte", 403),
    ],
)
def test_department_pack_zip(client, results, user, department, status) -> None:  # noqa: ANN001
    login(client, user)
    response = client.get(f"/results/{results['published']}/packs/{department}.zip")
    assert response.status_code == status
    if status == 200:
        names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
        assert sorted(names) == sorted(
            [f"{department}/{department}_vi.pdf", f"{department}/csv/T.csv"]
        )


def test_viewer_page_lists_only_own_pack(client, results) -> None:  # noqa: ANN001
    login(client, "viewer_yte")
    page = client.get(f"/results/{results['published']}").get_data(as_text=True)
    assert "Sở Y tế" in page and "Sở Lao động" not in page
    assert FULL not in page
    listing = client.get("/results/").get_data(as_text=True)
    assert "Báo cáo 2026" in listing and "Draft" not in listing


def test_viewer_without_department_is_told(client, results) -> None:  # noqa: ANN001
    login(client, "viewer_none")
    page = client.get("/results/").get_data(as_text=True)
    assert "Bạn chưa được gán vào sở/ngành nào" in page


def test_path_outside_the_run_is_refused(client, results) -> None:  # noqa: ANN001
    login(client, "analyst")
    response = client.get(f"/results/{results['published']}/files/../r1/manifest.json")
    assert response.status_code == 404


def test_analyst_uploads_then_publishes(client, app, results, tmp_path) -> None:  # noqa: ANN001
    folder = write_report(tmp_path / "up" / "report_out", lang="en")
    (folder / "report_en.pdf").write_bytes(os.urandom(3 * 1024 * 1024))  # above the app's 2 MB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, arcname=str(path.relative_to(folder.parent)))
    buffer.seek(0)
    login(client, "analyst")
    response = client.post(
        "/results/upload",
        data={"title": "Uploaded", "archive": (buffer, "report.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert client.get(f"/results/{run_id}/files/report_en.pdf").status_code == 200
    client.post("/auth/logout")
    login(client, "viewer_yte")
    assert client.get(f"/results/{run_id}").status_code == 404
    client.post("/auth/logout")
    login(client, "analyst")
    assert client.post(f"/results/{run_id}/publish").status_code == 302
    client.post("/auth/logout")
    login(client, "viewer_yte")
    assert client.get(f"/results/{run_id}/files/departments/yte/yte_en.pdf").status_code == 200


def test_zip_with_paths_outside_is_refused(client, results) -> None:  # noqa: ANN001
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.txt", "x")
    buffer.seek(0)
    login(client, "analyst")
    response = client.post(
        "/results/upload",
        data={"archive": (buffer, "r.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "đường dẫn nằm ngoài" in response.get_data(as_text=True)


def test_withdrawn_run_disappears_for_supervisors(client, results) -> None:  # noqa: ANN001
    login(client, "analyst")
    client.post(f"/results/{results['published']}/withdraw")
    client.post("/auth/logout")
    login(client, "sup")
    assert client.get(f"/results/{results['published']}").status_code == 404


def test_run_report_on_approved_submissions(client, app, results) -> None:  # noqa: ANN001
    """The run exports the approved data (women's module in, names out) for the runner."""
    from survey_app.core.questionnaire_store import current_version, publish_bundled
    from survey_app.models import Area, Submission, User

    seen: dict = {}

    def fake_runner(data_dir, plan, out, lang="vi") -> None:  # noqa: ANN001
        import pandas as pd

        seen["household"] = pd.read_parquet(Path(data_dir) / "household.parquet")
        seen["women"] = (Path(data_dir) / "women.parquet").exists()
        seen["lang"] = lang
        write_report(Path(out), lang=lang)

    with app.app_context():
        village = Area(code="17801001", name="Khối 1", level="village")
        db.session.add(village)
        publish_bundled()
        db.session.flush()
        enumerator = db.session.query(User).filter_by(username="enum").one()
        for number, status in [(1, "approved"), (2, "submitted")]:
            db.session.add(
                Submission(
                    uuid=f"00000000-0000-0000-0000-00000000000{number}",
                    questionnaire_version_id=current_version("household").id,
                    area_id=village.id,
                    enumerator_id=enumerator.id,
                    status=status,
                    answers={"household_no": number, "HH01": "Tên"},
                )
            )
        db.session.commit()
    app.config["RESULTS_RUNNER"] = fake_runner
    login(client, "analyst")
    response = client.post("/results/run", data={"title": "Live", "lang": "en"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert list(seen["household"]["household_no"]) == [1]
    assert "HH01" not in seen["household"].columns
    assert seen["women"] is True and seen["lang"] == "en"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Live" in page and "report_en.pdf" in page


def test_run_report_failure_is_a_message(client, app, results) -> None:  # noqa: ANN001
    def broken_runner(data_dir, plan, out, lang="vi") -> None:  # noqa: ANN001
        raise ValueError("column weight_final is empty")

    app.config["RESULTS_RUNNER"] = broken_runner
    with app.app_context():
        from survey_app.core.questionnaire_store import publish_bundled

        publish_bundled()
        db.session.commit()
    login(client, "analyst")
    page = client.post("/results/run", data={"lang": "vi"}, follow_redirects=True)
    assert "Không tạo được báo cáo: column weight_final is empty" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("vi", "Không tạo được báo cáo: cột weight_final trống"),
        ("en", "Không tạo được báo cáo: column weight_final is empty"),
    ],
)
def test_analysis_error_is_reported_in_the_readers_language(
    client, app, results, lang, shown
) -> None:  # noqa: ANN001
    """An AnalysisError from the report is shown in the report's language.

    The page once read ``message_vi``/``message`` attributes that AnalysisError does not have:
    a Vietnamese report got the English text and an English one a method's repr.
    """
    from analysis.errors import AnalysisError

    def failing_runner(data_dir, plan, out, lang="vi") -> None:  # noqa: ANN001
        raise AnalysisError(
            "column weight_final is empty", "cột weight_final trống", column="weight_final"
        )

    app.config["RESULTS_RUNNER"] = failing_runner
    with app.app_context():
        from survey_app.core.questionnaire_store import publish_bundled

        publish_bundled()
        db.session.commit()
    login(client, "analyst")
    page = client.post("/results/run", data={"lang": lang}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert shown in text
    assert "bound method" not in text


def test_admin_sets_a_viewer_department(client, app, results) -> None:  # noqa: ANN001
    from survey_app.results.models import ViewerDepartment

    login(client, "admin")
    client.post("/results/departments", data={"username": "viewer_none", "department": "yte"})
    with app.app_context():
        links = {link.user.username: link.department for link in db.session.query(ViewerDepartment)}
    assert links["viewer_none"] == "yte"
    page = client.post(
        "/results/departments",
        data={"username": "analyst", "department": "yte"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Chỉ người xem của sở/ngành" in page


def test_cli_adds_and_publishes_a_folder(runner, app, results, tmp_path) -> None:  # noqa: ANN001
    folder = write_report(tmp_path / "cli")
    result = runner.invoke(
        ["results", "add", str(folder), "--user", "analyst", "--title", "CLI run", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    refused = runner.invoke(["results", "add", str(folder), "--user", "sup"])
    assert refused.exit_code != 0 and "may not add runs" in refused.output
    result = runner.invoke(["results", "department", "viewer_none", "ldtbxh"])
    assert result.exit_code == 0, result.output
