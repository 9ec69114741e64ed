"""The results page serves what ``gesurvey analyze report`` really writes."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from survey_app.extensions import db

from .conftest import TEST_PASSWORD


@pytest.mark.slow
def test_real_report_folder_is_published_and_packed(app, client, tmp_path, report_folder) -> None:  # noqa: ANN001
    from questionnaires.plans import bundled_plan_path
    from survey_app.admin.services import create_user
    from survey_app.models import User
    from survey_app.results.services import add_folder, bundled_plan, publish, set_department

    app.config["RESULTS_DIR"] = str(tmp_path / "results")
    folder = report_folder
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    with app.app_context():
        assert bundled_plan().resolve() == bundled_plan_path().resolve()  # the app's own plan
        for name, role in [
            ("analyst", "analyst"),
            ("viewer_yte", "viewer"),
            ("viewer_gddt", "viewer"),
        ]:
            create_user(name, role, TEST_PASSWORD)
        db.session.flush()
        users = {u.username: u for u in db.session.query(User)}
        set_department(users["viewer_yte"], "yte", None)
        set_department(users["viewer_gddt"], "gddt", None)
        run = add_folder(folder, "", users["analyst"])
        publish(run, users["analyst"])
        db.session.commit()
        run_id = run.id
    assert {"yte", "gddt"} <= set(manifest["departments"])
    client.post("/auth/login", data={"username": "viewer_yte", "password": TEST_PASSWORD})
    page = client.get(f"/results/{run_id}").get_data(as_text=True)
    assert manifest["departments"]["yte"]["label"] in page
    assert manifest["departments"]["gddt"]["label"] not in page
    response = client.get(f"/results/{run_id}/packs/yte.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "yte/yte_vi.xlsx" in names
    assert client.get(f"/results/{run_id}/packs/gddt.zip").status_code == 403
    assert client.get(f"/results/{run_id}/files/report_vi.xlsx").status_code == 403
