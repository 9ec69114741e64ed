"""Fault test of the sync API: every interview stored exactly once despite drops and crashes.

Sends N submissions through POST /api/v1/submissions from several client threads. Between the
clients and the server sits a loopback proxy that, at random, closes a connection before
passing the request on, or passes the request on and throws the response away (the server
stored the interview but the tablet never hears so, and must resend). While the clients run, the
server process is killed with SIGKILL and restarted --kills times. Clients retry with
exponential backoff, as the tablet's outbox does, until each submission is acknowledged (201 or
200) or its attempts run out.

Reports sent / acknowledged / stored / duplicated / lost and passes only with stored = sent,
0 duplicated, 0 lost, every stored content hash equal to the one sent. Everything stays on
127.0.0.1; the run is bounded by --seconds.

    python bench/sync_fault.py [--n 2000] [--workers 4] [--kills 2] [--drop 0.1]
                               [--database-url postgresql://postgres@127.0.0.1/db]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import http.client
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuid_module
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FORM = ROOT / "tests" / "survey_app" / "data" / "test_household.json"
LOOPBACK = "127.0.0.1"
ANSWERS = {
    "HH01": "Hoàng Văn A",
    "HH02": 2,
    "HH03": 0,
    "roster": [{"M01": "A", "M03": 1, "M04": 40}, {"M01": "B", "M03": 2, "M04": 38}],
    "E01": 1,
}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _app_config(database_url: str) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "fault-test",
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def prepare(database_url: str) -> str:
    """Create the schema, an area chain, one enumerator with an assignment and the test form;
    return the enumerator's API token.
    """
    from survey_app import create_app
    from survey_app.admin.services import create_assignment, create_user
    from survey_app.api.services import issue_token
    from survey_app.core.questionnaire_store import publish
    from survey_app.extensions import db
    from survey_app.models import Area

    app = create_app(_app_config(database_url))
    with app.app_context():
        db.create_all()
        province = Area(code="20", name="Tỉnh Lạng Sơn", level="province")
        district = Area(code="178", name="Thành phố Lạng Sơn", level="district", parent=province)
        commune = Area(code="17801", name="Phường Chi Lăng", level="commune", parent=district)
        village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
        db.session.add_all([province, district, commune, village])
        db.session.flush()
        user = create_user("field1", "enumerator", "fault test password", area_code="17801001")
        publish(json.loads(FORM.read_text(encoding="utf-8")))
        db.session.flush()
        create_assignment("field1", "17801001", "test_household", 100_000)
        token = issue_token(user)
        db.session.commit()
        db.engine.dispose()
    return token


def serve(database_url: str, port: int) -> None:
    """Run the app on 127.0.0.1:port until killed (the server process of the test)."""
    from werkzeug.serving import make_server

    from survey_app import create_app

    app = create_app(_app_config(database_url))
    make_server(LOOPBACK, port, app, threaded=True).serve_forever()


class Server:
    """The app in a child process that can be killed hard and started again on the same port."""

    def __init__(self, database_url: str, port: int) -> None:
        self.database_url = database_url
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the child and wait until it accepts connections."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve",
                str(self.port),
                "--database-url",
                self.database_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server process exited at start")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL the child: no clean shutdown, requests in flight are cut."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


class DroppingProxy:
    """A loopback TCP proxy (one request per connection) that loses requests and responses."""

    def __init__(self, target_port: int, drop: float, seed: int) -> None:
        self.target_port = target_port
        self.drop = drop
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.dropped_requests = 0
        self.dropped_responses = 0
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with self.lock:
            roll = self.random.random()
        try:
            with conn:
                request = _read_request(conn)
                if request is None:
                    return
                if roll < self.drop:
                    with self.lock:
                        self.dropped_requests += 1
                    return  # the request never reaches the server
                with socket.create_connection((LOOPBACK, self.target_port), timeout=30) as up:
                    up.sendall(request)
                    response = b""
                    while chunk := up.recv(65536):
                        response += chunk
                if roll < 2 * self.drop:
                    with self.lock:
                        self.dropped_responses += 1
                    return  # the server acted, the client never hears
                conn.sendall(response)
        except OSError:
            return

    def close(self) -> None:
        """Stop accepting connections."""
        self.stopping = True
        self.listener.close()


@dataclass
class Report:
    """What happened: counts of the run and of the database afterwards."""

    sent: int = 0
    acknowledged: int = 0
    created: int = 0
    already_stored: int = 0
    attempts: int = 0
    failed_attempts: int = 0
    unexpected: list[str] = field(default_factory=list)
    kills: int = 0
    dropped_requests: int = 0
    dropped_responses: int = 0
    stored: int = 0
    duplicated: int = 0
    lost: int = 0
    hash_mismatches: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The exactly-once rule held."""
        return (
            self.stored == self.sent
            and self.duplicated == 0
            and self.lost == 0
            and self.hash_mismatches == 0
            and self.acknowledged == self.sent
            and not self.unexpected
        )

    def lines(self) -> str:
        """Human-readable summary."""
        return (
            f"sent {self.sent}  acknowledged {self.acknowledged} "
            f"(201 {self.created}, 200 {self.already_stored})  stored {self.stored}  "
            f"duplicated {self.duplicated}  lost {self.lost}  hash mismatches "
            f"{self.hash_mismatches}\nattempts {self.attempts} (failed {self.failed_attempts}), "
            f"requests dropped {self.dropped_requests}, responses dropped "
            f"{self.dropped_responses}, server kills {self.kills}, {self.seconds:.1f} s"
            + (f"\nunexpected: {self.unexpected[:5]}" if self.unexpected else "")
        )


def make_envelope(index: int) -> dict[str, Any]:
    """A distinct, valid interview with its SHA-256 (canonical JSON of ints and strings)."""
    answers = copy.deepcopy(ANSWERS)
    answers["HH01"] = f"Hộ số {index}"
    content = {
        "uuid": str(uuid_module.uuid4()),
        "questionnaire_id": "test_household",
        "questionnaire_version": "1.0.0",
        "area": "17801001",
        "answers": answers,
        "started_at": "2026-11-30T08:00:00+07:00",
        "ended_at": "2026-11-30T08:20:00+07:00",
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {**content, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def _post(port: int, token: str, body: bytes) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/submissions",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def run(
    n: int = 2000,
    workers: int = 4,
    kills: int = 2,
    drop: float = 0.1,
    database_url: str | None = None,
    seconds: float = 600,
    seed: int = 1,
    max_attempts: int = 60,
) -> Report:
    """Run the fault test and return its report (see the module docstring)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'fault.sqlite'}"
        token = prepare(url)
        server = Server(url, free_port())
        server.start()
        proxy = DroppingProxy(server.port, drop, seed)
        report = Report(sent=n)
        envelopes = [make_envelope(i) for i in range(n)]
        work: queue.Queue[dict[str, Any]] = queue.Queue()
        for item in envelopes:
            work.put(item)
        lock = threading.Lock()
        deadline = started + seconds

        def client() -> None:
            jitter = random.Random()
            while time.monotonic() < deadline:
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                body = json.dumps(item, ensure_ascii=False).encode("utf-8")
                for attempt in range(max_attempts):
                    if time.monotonic() >= deadline:
                        return
                    try:
                        status = _post(proxy.port, token, body)
                    except (OSError, http.client.HTTPException):
                        status = None
                    with lock:
                        report.attempts += 1
                        if status in (200, 201):
                            report.acknowledged += 1
                            report.created += status == 201
                            report.already_stored += status == 200
                        elif status is not None and status < 500:
                            report.unexpected.append(f"{item['uuid']}: HTTP {status}")
                        else:
                            report.failed_attempts += 1
                    if status is not None and status < 500:
                        break
                    time.sleep(min(1.0, 0.02 * 2**attempt) * (0.5 + jitter.random()))

        threads = [threading.Thread(target=client, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for k in range(1, kills + 1):
            while report.acknowledged < n * k / (kills + 1) and time.monotonic() < deadline:
                if not any(t.is_alive() for t in threads):
                    break
                time.sleep(0.01)
            server.kill()
            report.kills += 1
            time.sleep(0.3)
            server.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 15)
        proxy.close()
        server.kill()
        report.dropped_requests = proxy.dropped_requests
        report.dropped_responses = proxy.dropped_responses
        _count_database(url, envelopes, report)
    report.seconds = time.monotonic() - started
    return report


def _count_database(url: str, envelopes: list[dict[str, Any]], report: Report) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.uuid, r.content_hash, s.answers FROM submission s "
                "LEFT JOIN submission_receipt r ON r.submission_id = s.id"
            )
        ).all()
    engine.dispose()
    by_uuid: dict[str, list[str | None]] = {}
    households: dict[str, int] = {}
    for uuid, digest, answers in rows:
        by_uuid.setdefault(uuid, []).append(digest)
        name = (json.loads(answers) if isinstance(answers, str) else answers).get("HH01")
        households[name] = households.get(name, 0) + 1
    report.stored = len(rows)
    # A duplicate is the same interview stored twice: same UUID, or the same household content.
    report.duplicated = sum(len(v) - 1 for v in by_uuid.values()) + sum(
        c - 1 for c in households.values() if c > 1
    )
    report.lost = sum(1 for item in envelopes if item["uuid"] not in by_uuid)
    report.hash_mismatches = sum(
        1
        for item in envelopes
        if item["uuid"] in by_uuid and by_uuid[item["uuid"]] != [item["sha256"]]
    )


def main() -> None:
    """Command line: run the fault test and print the report; exit 1 when it fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--drop", type=float, default=0.1)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.database_url, args.serve)
        return
    report = run(
        args.n, args.workers, args.kills, args.drop, args.database_url, args.seconds, args.seed
    )
    print(report.lines())
    print("PASS" if report.ok else "FAIL")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
