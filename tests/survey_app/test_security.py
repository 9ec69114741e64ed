"""Regression tests of the security review: each test names the hole it keeps closed.

Department packs reached through ``..``; corrections used to infer hidden answers; conflicts
shown across districts; women's answers in clear at rest; unthrottled logins; sessions alive
after logout; spreadsheet formulas; women's answers over the API; malformed JSON; uploads.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sa_text

from survey_app.extensions import db
from survey_app.models import Submission

from .test_results import login, results, write_report  # noqa: F401  (fixture)

# ----------------------------------------------------------------------------- department packs


@pytest.mark.parametrize(
    "path",
    [
        "departments/yte/../../report_vi.xlsx",
        "departments/yte/../ldtbxh/ldtbxh_vi.pdf",
        "departments/yte/%2e%2e/%2e%2e/report_vi.xlsx",
        "departments/yte/%252e%252e/%252e%252e/report_vi.xlsx",
        "departments/yte/./../../manifest.json",
        "departments/yte//../../report_vi.pdf",
        "departments/yte/..%2f..%2freport_vi.pdf",
    ],
)
def test_viewer_cannot_leave_own_pack_with_dot_dot(client, results, path) -> None:  # noqa: ANN001, F811
    login(client, "viewer_yte")
    response = client.get(f"/results/{results['published']}/files/{path}")
    assert response.status_code in (403, 404)
    assert b"%PDF" not in response.data and b"xlsx full" not in response.data
    assert client.get(f"/results/{results['published']}/files/departments/yte/yte_vi.pdf").data


def test_viewer_cannot_follow_a_link_out_of_the_pack(app, client, results, tmp_path) -> None:  # noqa: ANN001, F811
    from survey_app.results.models import ReportRun

    with app.app_context():
        folder = (
            Path(app.config["RESULTS_DIR"]) / db.session.get(ReportRun, results["published"]).folder
        )
    (folder / "departments" / "yte" / "leak.pdf").symlink_to(folder / "report_vi.pdf")
    login(client, "viewer_yte")
    response = client.get(f"/results/{results['published']}/files/departments/yte/leak.pdf")
    assert response.status_code == 403


# ----------------------------------------------------------------------------- uploads


def _zip(entries: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _upload(client, buffer: io.BytesIO, **extra):  # noqa: ANN001, ANN202
    return client.post(
        "/results/upload",
        data={"archive": (buffer, "r.zip"), **extra},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _run_folders(app) -> set[str]:  # noqa: ANN001
    return {p.name for p in Path(app.config["RESULTS_DIR"]).iterdir()}


def test_zip_with_a_file_and_a_folder_of_one_name_is_refused_and_leaves_nothing(
    app,
    client,
    results,  # noqa: ANN001, F811
) -> None:
    before = _run_folders(app)
    login(client, "analyst")
    response = _upload(client, _zip({"a": b"x", "a/b": b"y", "manifest.json": b"{}"}))
    assert response.status_code == 200
    assert "vừa là tệp vừa là thư mục" in response.get_data(as_text=True)
    assert _run_folders(app) == before


def test_zip_bomb_is_refused_by_the_unpacked_quota(app, client, results) -> None:  # noqa: ANN001, F811
    app.config["RESULTS_MAX_UNPACKED"] = 2 * 1024 * 1024
    before = _run_folders(app)
    login(client, "analyst")
    response = _upload(client, _zip({"manifest.json": b"{}", "big.csv": b"0" * (3 * 1024 * 1024)}))
    assert "giải nén ra hơn 2 MB" in response.get_data(as_text=True)
    assert _run_folders(app) == before


def test_zip_lying_about_its_sizes_is_stopped_while_unpacking(app, results) -> None:  # noqa: ANN001, F811
    from survey_app.results.services import ResultsError, add_zip

    app.config["RESULTS_MAX_UNPACKED"] = 1024 * 1024
    data = _zip({"manifest.json": b"{}", "big.csv": b"0" * (2 * 1024 * 1024)}).getvalue()
    # Rewrite the declared uncompressed size (central directory and local header) to 10 bytes.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("big.csv")
    real = info.file_size.to_bytes(4, "little")
    patched = data.replace(real, (10).to_bytes(4, "little"))
    before = _run_folders(app)
    with app.test_request_context(), pytest.raises(ResultsError):
        add_zip(io.BytesIO(patched), "", None)
    assert _run_folders(app) == before


def test_results_upload_over_two_megabytes_passes_the_csrf_check(app, client, results) -> None:  # noqa: ANN001, F811
    login(client, "analyst")
    page = client.get("/results/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    app.config["WTF_CSRF_ENABLED"] = True
    folder = write_report(Path(app.config["RESULTS_DIR"]).parent / "big" / "rep")
    (folder / "report_vi.pdf").write_bytes(bytes(range(256)) * (3 * 4096))  # 3 MB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, arcname=str(path.relative_to(folder)))
    buffer.seek(0)
    response = client.post(
        "/results/upload",
        data={"archive": (buffer, "r.zip"), "csrf_token": token, "title": "big"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.status_code
    assert "/results/" in response.headers["Location"]


def test_manifest_nested_too_deep_is_a_message_not_a_500(app, client, results) -> None:  # noqa: ANN001, F811
    before = _run_folders(app)
    login(client, "analyst")
    response = _upload(client, _zip({"manifest.json": b"[" * 5000 + b"]" * 5000, "a.csv": b"1"}))
    assert response.status_code == 200
    assert "manifest.json" in response.get_data(as_text=True)
    assert _run_folders(app) == before


# ----------------------------------------------------------------------------- women's module


SECRETS = {
    "sent": "Zyxel-Alpha-4711 bị đánh",
    "resent": "Zyxel-Beta-4712 bị dọa",
    "refused": "Zyxel-Gamma-4713 tự sửa",
    "fixed": "Zyxel-Delta-4714 đã sửa",
    "member": "Zyxel-Epsilon-4715",
}


def _women_world(app) -> None:  # noqa: ANN001
    from survey_app.admin.services import create_assignment
    from survey_app.questionnaire_store import publish

    from .test_review import women_form

    with app.app_context():
        publish(women_form())
        create_assignment("enum178", "17801001", "test_women", 5)
        db.session.commit()


def _women_answers(head: str) -> dict:
    from .test_collect import GOOD_ANSWERS

    answers = copy.deepcopy(GOOD_ANSWERS)
    answers["HH01"] = head
    answers["roster"][1]["M01"] = SECRETS["member"]
    return answers


def _dump(app) -> str:  # noqa: ANN001
    """Every row of every table, as text (what a database dump would hold)."""
    with app.app_context():
        parts = []
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                for row in connection.execute(table.select()):
                    parts.append(repr(tuple(row)))
        return "\n".join(parts)


def _raw_answers(app, uuid: str):  # noqa: ANN001, ANN202
    with app.app_context(), db.engine.connect() as connection:
        table = Submission.__table__
        return connection.execute(select(table.c.answers).where(table.c.uuid == uuid)).scalar_one()


def test_womens_answers_never_reach_the_database_or_logs_in_clear(
    app,
    client,
    auth,
    world,
    tmp_path,
    caplog,  # noqa: ANN001
) -> None:
    import logging

    from survey_app.export import ExportOptions, export_submissions
    from survey_app.models import User

    from .sync_helpers import envelope

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    _women_world(app)
    auth.login("enum178")
    sent = envelope(_women_answers(SECRETS["sent"]), questionnaire_id="test_women")
    assert client.post("/api/v1/submissions", json=sent).status_code == 201
    resent = envelope(
        _women_answers(SECRETS["resent"]), uuid=sent["uuid"], questionnaire_id="test_women"
    )
    assert client.post("/api/v1/submissions", json=resent).status_code == 409
    auth.logout()
    # The supervisor cannot correct; the attempt is refused, audited, and its value not kept.
    auth.login("sup178")
    client.post(
        f"/review/{sent['uuid']}/correct",
        data={"question_id": "HH01", "value": SECRETS["refused"], "reason": "x"},
    )
    assert client.get("/review/conflicts").status_code == 200
    client.post(f"/review/{sent['uuid']}/decide", data={"action": "return", "comment": "HH01"})
    auth.logout()
    # The enumerator corrects the returned interview in the form and submits again.
    auth.login("enum178")
    page = client.get(f"/collect/interview/{sent['uuid']}").get_data(as_text=True)
    assert (
        SECRETS["sent"].split()[0] in page
    )  # the enumerator still holds the values before submission
    row_version = int(re.search(r'"row_version": (\d+)', page).group(1))
    fixed = _women_answers(SECRETS["fixed"])
    response = client.post(
        f"/collect/interview/{sent['uuid']}/submit",
        json={"answers": fixed, "page": 0, "row_version": row_version},
    )
    assert response.status_code == 200, response.get_json()
    auth.logout()
    auth.login("sup178")
    client.post(f"/review/{sent['uuid']}/decide", data={"action": "approve"})
    auth.logout()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        export_submissions(
            tmp_path / "out",
            ExportOptions(
                format="csv",
                include_women=True,
                include_identifying=True,
                questionnaires=("test_women",),
                lang="en",
            ),
            admin,
        )
    # The authorised export gives the values back exactly.
    exported = "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").iterdir())
    assert SECRETS["fixed"] in exported and SECRETS["member"] in exported
    dump = _dump(app)
    logs = caplog.text
    for name, value in SECRETS.items():
        assert value not in dump, f"{name} answer in the database dump"
        assert value not in logs, f"{name} answer in the logs"
        assert value.split()[0] not in dump
    # Coded answers too: the stored column holds one sealed token, no question names.
    raw = _raw_answers(app, sent["uuid"])
    raw = raw if isinstance(raw, dict) else __import__("json").loads(raw)
    assert set(raw) == {"sealed"}
    assert not any(name in raw["sealed"] for name in ("HH02", "roster", "E01"))


def test_women_answers_are_withheld_from_the_api_once_submitted(app, client, auth, world) -> None:  # noqa: ANN001
    from .sync_helpers import envelope

    _women_world(app)
    auth.login("enum178")
    sent = envelope(_women_answers(SECRETS["sent"]), questionnaire_id="test_women")
    created = client.post("/api/v1/submissions", json=sent)
    assert created.status_code == 201
    again = client.post("/api/v1/submissions", json=sent)
    fetched = client.get(f"/api/v1/submissions/{sent['uuid']}")
    for response in (created, again, fetched):
        body = response.get_json()
        assert body["answers"] == {} and body["answers_withheld"] is True
        assert SECRETS["sent"] not in response.get_data(as_text=True)
    # Ordinary questionnaires are unchanged.
    household = envelope()
    assert client.post("/api/v1/submissions", json=household).get_json()["answers"]


def test_key_rotation_reencrypts_everything_and_retires_the_old_key(
    app,
    client,
    auth,
    world,
    runner,
    tmp_path,  # noqa: ANN001
) -> None:
    from survey_app.security.sealing import SealingError, new_key, unseal, write_key_file

    from .sync_helpers import envelope

    key_path = tmp_path / "data_key"
    old_key = app.config["DATA_KEY"]
    write_key_file(key_path, [old_key])
    app.config["DATA_KEY"] = None
    app.config["DATA_KEY_FILE"] = str(key_path)
    _women_world(app)
    auth.login("enum178")
    sent = envelope(_women_answers(SECRETS["sent"]), questionnaire_id="test_women")
    assert client.post("/api/v1/submissions", json=sent).status_code == 201
    before = _raw_answers(app, sent["uuid"])
    result = runner.invoke(["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "submission 1" in result.output
    keys = key_path.read_text().split()
    assert len(keys) == 1 and keys[0] != old_key
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    assert old_key in key_path.with_name("data_key.retired").read_text()
    after = _raw_answers(app, sent["uuid"])
    assert after != before
    with app.app_context():
        assert unseal(after)["HH01"] == SECRETS["sent"]
        write_key_file(key_path, [new_key()])  # a wrong key opens nothing
        with pytest.raises(SealingError):
            unseal(after)


def test_setup_writes_a_private_data_key_and_a_private_sqlite_file(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from survey_app.cli import cli

    monkeypatch.delenv("GESURVEY_DATA_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GESURVEY_PASSWORD", "long enough password")
    monkeypatch.setenv("GESURVEY_SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    monkeypatch.setenv("GESURVEY_DATA_KEY_FILE", str(tmp_path / "data_key"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'g.sqlite'}")
    monkeypatch.setenv("FLASK_APP", "survey_app:create_app")
    result = CliRunner().invoke(cli, ["setup"])
    assert result.exit_code == 0, result.output
    for name in ("data_key", "g.sqlite"):
        assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o600", name


def test_migration_seals_womens_answers_stored_in_clear(database_url, tmp_path) -> None:  # noqa: ANN001
    """An installation from before encryption: the upgrade seals the clear rows it finds."""
    from flask_migrate import upgrade

    from survey_app import create_app
    from survey_app.security.sealing import is_sealed, unseal

    from .conftest import BASE_CONFIG, create_pg_database, drop_pg_database

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = create_pg_database()
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade(revision="7e3b1f0c9a21")
            connection = db.session.connection()
            connection.execute(
                sa_text(
                    "INSERT INTO area (id, code, name, level) VALUES (1, '20', 'P', 'province')"
                )
            )
            connection.execute(
                sa_text(
                    'INSERT INTO "user" (id, username, full_name, password_hash, role, language,'
                    " active, created_at) VALUES (1, 'e', '', 'x', 'enumerator', 'vi', true,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                sa_text(
                    "INSERT INTO questionnaire_version (id, questionnaire_id, version,"
                    " content_hash, title_vi, title_en, unit, definition, published_at)"
                    " VALUES (1, 'women', '1', 'h', 't', 't', 'women', '{}', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                sa_text(
                    "INSERT INTO submission (id, uuid, questionnaire_version_id, area_id,"
                    " enumerator_id, answers, page, status, review_comment, created_at,"
                    " updated_at, row_version) VALUES (1, 'u', 1, 1, 1, :answers, 0,"
                    " 'approved', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"answers": '{"W_TEXT": "' + SECRETS["sent"] + '"}'},
            )
            db.session.commit()
            upgrade()
            raw = db.session.execute(sa_text("SELECT answers FROM submission")).scalar_one()
            raw = raw if isinstance(raw, dict) else __import__("json").loads(raw)
            assert is_sealed(raw) and unseal(raw) == {"W_TEXT": SECRETS["sent"]}
            db.session.remove()
            db.engine.dispose()
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)
