"""Load test of the collection app: 50 concurrent enumerators against gunicorn + PostgreSQL.

Everything stays on this machine: the script creates a scratch PostgreSQL database on
127.0.0.1:5432, migrates it, adds 50 enumerators with assignments and a small household form,
starts gunicorn on a loopback port, then (in this second process) runs 50 client threads. Each
enumerator logs in and repeats a whole interview: open the assignment list, start an interview
(the tablet's UUID), open the form page, save two drafts (page changes) and submit. The run is
bounded by --interviews per enumerator and by --seconds; then gunicorn is stopped and the
database dropped.

Prints submissions per second and p50/p95 latency of submit, draft save and interview-page
requests.

    python bench/load_collect.py [--enumerators 50] [--interviews 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORM = ROOT / "tests" / "survey_app" / "data" / "test_household.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench password 1"
ANSWERS = {
    "HH01": "Hoàng Văn A",
    "HH02": 2,
    "HH03": 0,
    "roster": [{"M01": "A", "M03": 1, "M04": 40}, {"M01": "B", "M03": 2, "M04": 38}],
    "E01": 1,
}
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of values, in the same unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def prepare_database(url: str, enumerators: int) -> None:
    """Migrate, load areas, publish the form, create users and assignments."""
    os.environ["DATABASE_URL"] = url
    os.environ["GESURVEY_SECRET_KEY"] = "bench"
    from flask_migrate import upgrade

    from survey_app import create_app
    from survey_app.admin.services import (
        bundled_areas_file,
        create_assignment,
        create_user,
        load_areas,
    )
    from survey_app.core.questionnaire_store import publish
    from survey_app.extensions import db
    from survey_app.models import Area

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"})
    with app.app_context():
        upgrade()
        load_areas(bundled_areas_file())
        district = db.session.scalar(db.select(Area).where(Area.code == "178"))
        commune = Area(code="17801", name="Phường Chi Lăng", level="commune", parent=district)
        db.session.add(commune)
        publish(json.loads(FORM.read_text(encoding="utf-8")))
        for i in range(enumerators):
            village = Area(
                code=f"17801{i:03d}", name=f"Khối {i + 1}", level="village", parent=commune
            )
            db.session.add(village)
            db.session.flush()
            create_user(f"enum{i:03d}", "enumerator", PASSWORD, area_code=village.code)
            create_assignment(f"enum{i:03d}", village.code, "test_household", 50)
        db.session.commit()
        db.engine.dispose()


class Enumerator(threading.Thread):
    """One tablet: logs in, does one warm-up interview, waits for the others, then runs whole
    interviews (measured) until the count or the time limit is reached."""

    def __init__(
        self,
        base: str,
        name: str,
        interviews: int,
        deadline: float,
        timings: dict[str, list[float]],
        lock: threading.Lock,
        ready: threading.Barrier,
    ) -> None:
        super().__init__(daemon=True)
        self.ready = ready
        self.base, self.name_, self.interviews, self.deadline = base, name, interviews, deadline
        self.timings, self.lock = timings, lock
        self.errors: list[str] = []
        self.done = 0
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def timed(self, kind: str, request: urllib.request.Request | str) -> tuple[int, str]:
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.timings.setdefault(kind, []).append(elapsed)
        return status, body

    def post_form(self, kind: str, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self.timed(kind, urllib.request.Request(self.base + path, data=body))

    def post_json(self, kind: str, url: str, data: dict, token: str) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + url,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        status, body = self.timed(kind, request)
        return status, json.loads(body) if body.startswith("{") else {}

    def run(self) -> None:
        try:
            _, page = self.timed("login_page", self.base + "/auth/login")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            status, _ = self.post_form(
                "login",
                "/auth/login",
                {"csrf_token": token, "username": self.name_, "password": PASSWORD},
            )
            self.interview()  # warm-up: every worker parses the form and compiles templates
            self.done = 0
            self.ready.wait()
            for _ in range(self.interviews):
                if time.monotonic() > self.deadline:
                    break
                self.interview()
        except Exception as error:  # a load client reports failures, it does not crash
            self.errors.append(f"{self.name_}: {error!r}")

    def interview(self) -> None:
        _, page = self.timed("assignments", self.base + "/collect/")
        action = re.search(r'action="(/collect/assignments/\d+/start)"', page).group(1)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client_uuid = str(uuid.uuid4())
        status, page = self.post_form(
            "start", action, {"csrf_token": token, "client_uuid": client_uuid}
        )
        data = json.loads(
            re.search(
                r'<script type="application/json" id="gesurvey-form-data">(.*?)</script>',
                page,
                re.S,
            ).group(1)
        )
        token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
        row_version = data["submission"]["row_version"]
        base = f"/collect/interview/{client_uuid}"
        for page_number, answers in ((1, {"HH01": "A", "HH02": 2, "HH03": 0}), (3, ANSWERS)):
            status, body = self.post_json(
                "draft",
                base + "/draft",
                {"answers": answers, "page": page_number, "row_version": row_version},
                token,
            )
            if status != 200:
                raise RuntimeError(f"draft {status} {body}")
            row_version = body["row_version"]
        status, body = self.post_json(
            "submit",
            base + "/submit",
            {"answers": ANSWERS, "page": 3, "row_version": row_version},
            token,
        )
        if status != 200:
            raise RuntimeError(f"submit {status} {body}")
        self.done += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enumerators", type=int, default=50)
    parser.add_argument(
        "--interviews", type=int, default=10, help="interviews per enumerator (upper bound)"
    )
    parser.add_argument("--seconds", type=float, default=60, help="time limit of the load phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"gesurvey_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    server = None
    try:
        prepare_database(url, args.enumerators)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "GESURVEY_SECRET_KEY": "bench"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{LOOPBACK}:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://{LOOPBACK}:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/auth/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")

        timings: dict[str, list[float]] = {}
        lock = threading.Lock()
        marks: dict[str, float] = {}

        def measure_from_here() -> None:
            # Runs once, when every client has logged in and done its warm-up interview.
            timings.clear()
            marks["start"] = time.monotonic()

        ready = threading.Barrier(
            args.enumerators, action=measure_from_here, timeout=args.seconds + 120
        )
        deadline = time.monotonic() + args.seconds + 120
        clients = [
            Enumerator(base, f"enum{i:03d}", args.interviews, deadline, timings, lock, ready)
            for i in range(args.enumerators)
        ]
        for client in clients:
            client.start()
        ready_deadline = time.monotonic() + args.seconds + 120
        while "start" not in marks and time.monotonic() < ready_deadline:
            time.sleep(0.05)
        for client in clients:
            client.deadline = marks.get("start", 0) + args.seconds
        for client in clients:
            client.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - marks.get("start", time.monotonic())
        submitted = sum(client.done for client in clients)
        errors = [e for client in clients for e in client.errors]
        summary = {
            "enumerators": args.enumerators,
            "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
            "database": "PostgreSQL (loopback)",
            "seconds": round(elapsed, 2),
            "submissions": submitted,
            "submissions_per_second": round(submitted / elapsed, 2),
            "errors": len(errors),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            "cpu_count": os.cpu_count(),
        }
        for kind in ("submit", "draft", "start", "assignments"):
            values = timings.get(kind, [])
            summary[f"{kind}_n"] = len(values)
            summary[f"{kind}_p50_ms"] = round(percentile(values, 50) * 1000, 1)
            summary[f"{kind}_p95_ms"] = round(percentile(values, 95) * 1000, 1)
            if values:
                summary[f"{kind}_mean_ms"] = round(statistics.fmean(values) * 1000, 1)
        print(json.dumps(summary, indent=2))
        for error in errors[:5]:
            print("error:", error, file=sys.stderr)
        return 0 if not errors else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
