"""Regression tests of the security review: each test names the hole it keeps closed.

Department packs reached through ``..``; corrections used to infer hidden answers; conflicts
shown across districts; women's answers in clear at rest; unthrottled logins; sessions alive
after logout; spreadsheet formulas; women's answers over the API; malformed JSON; uploads.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from survey_app.extensions import db

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
