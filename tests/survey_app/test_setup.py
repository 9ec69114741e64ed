"""The README's first command gives a newcomer a working app (run as real processes)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# The console script installed next to this Python (pip install -e .), else the one on PATH.
GESURVEY = Path(sys.executable).parent / "gesurvey"
if not GESURVEY.exists():
    GESURVEY = Path(shutil.which("gesurvey") or GESURVEY)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_setup_then_run_serves_the_app(tmp_path: Path) -> None:
    database = tmp_path / "gesurvey.sqlite"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "GESURVEY_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    env.pop("GESURVEY_PASSWORD", None)
    env.pop("GESURVEY_SECRET_KEY", None)
    setup = subprocess.run(
        [str(GESURVEY), "setup"], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr + setup.stdout
    assert "no session key" not in setup.stderr + setup.stdout, "setup makes the key itself"
    password = re.search(r"password \(shown only once\): (\S+)", setup.stdout).group(1)
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute(
            "select count(*) from area where level='district'"
        ).fetchone() == (11,)
        assert connection.execute("select role from user").fetchall() == [("admin",)]
        assert connection.execute("select version_num from alembic_version").fetchone()
        published = {
            row[0]
            for row in connection.execute("select questionnaire_id from questionnaire_version")
        }
    from questionnaires import load_bundled

    assert published == set(load_bundled())
    again = subprocess.run(
        [str(GESURVEY), "setup"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "shown only once" not in again.stdout

    port = free_port()
    server = subprocess.Popen(
        [str(GESURVEY), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = ""
        # Generous: starting Python and importing the app is slow on a busy 2-core machine.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login") as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "Đăng nhập" in page
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert len(password) >= 12


def test_random_session_key_is_reported_once_when_serving(tmp_path, monkeypatch, caplog) -> None:
    """Without a key the app warns when it serves, not when a command merely builds it."""
    from survey_app import create_app

    monkeypatch.delenv("GESURVEY_SECRET_KEY", raising=False)
    monkeypatch.setenv("GESURVEY_SECRET_KEY_FILE", str(tmp_path / "no_key_here"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    app.logger.disabled = False  # an earlier migration test's logging.fileConfig disables it
    assert not [r for r in caplog.records if "no session key" in r.getMessage()]
    client = app.test_client()
    client.get("/static/css/app.css")
    client.get("/static/css/app.css")
    warnings = [r for r in caplog.records if "no session key" in r.getMessage()]
    assert len(warnings) == 1 and "gesurvey setup" in warnings[0].getMessage()
