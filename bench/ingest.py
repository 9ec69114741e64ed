"""Throughput and latency of POST /api/v1/submissions against a bare Flask + psycopg ceiling.

Usage: python bench/ingest.py [--clients 50] [--seconds 20] [--workers 4] [--db URL]

Creates a throwaway PostgreSQL database on 127.0.0.1 (user postgres; or uses the empty one at
--db), an enumerator with an API token and an assignment, and the test questionnaire. Then two
servers run in turn under the same gunicorn settings (``--workers`` sync workers, loopback):

- the anchor: a bare Flask app whose only route parses the same JSON and inserts it with one
  psycopg ``INSERT … ON CONFLICT DO NOTHING`` (one connection per worker, autocommit), the
  ceiling of any Flask + PostgreSQL intake on this machine;
- the app (``wsgi:app``) with its full intake: token, validation by the questionnaire, hash,
  receipt and audit.

``--clients`` threads each send distinct valid interviews (new connection per request, as
gunicorn's sync workers close them) for ``--seconds``; the bench prints requests per second,
p50/p95/p99 latency, statuses, the peak resident memory of the largest worker, and the ratio
app / anchor. Every response must be 201.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
_spec = importlib.util.spec_from_file_location(
    "sync_fault", Path(__file__).with_name("sync_fault.py")
)
assert _spec is not None and _spec.loader is not None
sync_fault = importlib.util.module_from_spec(_spec)
sys.modules["sync_fault"] = sync_fault  # its dataclasses look their module up
_spec.loader.exec_module(sync_fault)


def bare_app() -> Any:
    """The anchor: parse the JSON body, insert it with psycopg, answer 201 (gunicorn factory)."""
    import psycopg
    from flask import Flask, jsonify, request

    app = Flask("bare")
    url = os.environ["BARE_DATABASE_URL"]
    state: dict[str, Any] = {}

    @app.post("/api/v1/submissions")
    def submissions():  # noqa: ANN202
        body = request.get_json()
        if "connection" not in state:
            state["connection"] = psycopg.connect(url, autocommit=True)
        state["connection"].execute(
            "INSERT INTO bare_submission (uuid, body) VALUES (%s, %s) "
            "ON CONFLICT (uuid) DO NOTHING",
            (body["uuid"], json.dumps(body)),
        )
        return jsonify({"uuid": body["uuid"]}), 201

    return app


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A gunicorn master with its workers on a free loopback port."""

    def __init__(self, target: str, workers: int, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"{LOOPBACK}:{self.port}",
                "--chdir",
                str(ROOT),
                "--log-level",
                "warning",
                target,
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start within 60 s")

    def _workers(self) -> list[Path]:
        found = []
        for child in Path("/proc").iterdir():
            if not child.name.isdigit():
                continue
            try:
                status = (child / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("PPid:") and line.split()[1] == str(self.process.pid):
                    found.append(child)
        return found

    def peak_worker_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the master's workers."""
        peak = 0.0
        for worker in self._workers():
            for line in (worker / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        return peak

    def worker_cpu_seconds(self) -> float:
        """User + system CPU seconds the workers have used so far (robust to a busy machine)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for worker in self._workers():
            fields = (worker / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        """Stop the master (and its workers)."""
        self.process.terminate()
        self.process.wait(timeout=30)


def _post(port: int, token: str, body: bytes) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/submissions",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load(port: int, token: str, clients: int, seconds: float, seed: int = 0) -> dict[str, Any]:
    """``clients`` threads posting distinct interviews for ``seconds``; the figures."""
    bodies = [
        [
            json.dumps(sync_fault.make_envelope(seed * 10**8 + c * 10**6 + i)).encode()
            for i in range(400)
        ]
        for c in range(clients)
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start_at = time.perf_counter() + 0.5
    stop_at = start_at + seconds

    def client(own: list[bytes]) -> None:
        mine: list[float] = []
        seen: dict[int, int] = {}
        while time.perf_counter() < start_at:
            time.sleep(0.01)
        for body in own:
            if time.perf_counter() >= stop_at:
                break
            began = time.perf_counter()
            status = _post(port, token, body)
            mine.append(time.perf_counter() - began)
            seen[status] = seen.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(own,)) for own in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = min(time.perf_counter(), stop_at + 30) - start_at
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p95_ms": quantiles[94] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default=None, help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    database = None
    if args.db is None:
        database = f"gesurvey_bench_ingest_{os.getpid()}"
        _admin(f"CREATE DATABASE {database}")
    url = args.db or f"postgresql://postgres@127.0.0.1/{database}"
    try:
        token = sync_fault.prepare(url.replace("postgresql://", "postgresql+psycopg://"))
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bare_submission (uuid text PRIMARY KEY, body jsonb)")
        results = {}
        env_common = {"PYTHONPATH": str(ROOT), "GESURVEY_SECRET_KEY": "bench-ingest"}
        for name, target, env in (
            ("anchor: bare Flask + psycopg", "bench.ingest:bare_app()", {"BARE_DATABASE_URL": url}),
            ("gesurvey POST /api/v1/submissions", "wsgi:app", {"DATABASE_URL": url}),
        ):
            server = Gunicorn(target, args.workers, {**env_common, **env})
            try:
                # Warm-up: every worker builds its app and parses the questionnaire once.
                load(server.port, token, 2 * args.workers, 2.0, seed=99)
                cpu_before = server.worker_cpu_seconds()
                figures = load(server.port, token, args.clients, args.seconds)
                cpu = server.worker_cpu_seconds() - cpu_before
                figures["cpu_ms"] = 1000 * cpu / max(figures["requests"], 1)
                figures["peak_worker_mb"] = server.peak_worker_mb()
            finally:
                server.stop()
            results[name] = figures
            print(
                f"{name:36s} {figures['per_second']:8.1f} req/s  "
                f"server CPU {figures['cpu_ms']:5.1f} ms/req  p50 {figures['p50_ms']:6.1f} ms"
                f"  p95 {figures['p95_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
                f"peak worker {figures['peak_worker_mb']:.0f} MB  statuses {figures['statuses']}",
                flush=True,
            )
        anchor, ours = results.values()
        print(
            f"ratio gesurvey / bare ceiling: {ours['per_second'] / anchor['per_second']:.2f} "
            f"in req/s (goal >= 0.5), {anchor['cpu_ms'] / ours['cpu_ms']:.2f} in server CPU "
            f"per request; p95 {ours['p95_ms']:.0f} ms (goal < 100 ms); "
            f"{args.clients} clients, {args.workers} gunicorn workers, {args.seconds:.0f} s each"
        )
    finally:
        if database:
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    main()
