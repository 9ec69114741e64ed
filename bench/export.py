"""Time and peak memory of ``gesurvey export`` on a throwaway database of many submissions.

Usage: python bench/export.py [--n 100000] [--formats csv,parquet,dta,sav,xlsx] [--db URL]

Builds a throwaway PostgreSQL database on 127.0.0.1 (user postgres; or uses the empty database at
--db; ``sqlite:///…`` works but has no COPY anchor), publishes the bundled questionnaires and
inserts N submissions: households with a roster of 1–8 members (70%) and individual interviews
with births (30%), answers filled at random by type (skip logic ignored, so rows are fuller than
real ones). A tenth are approved, the rest submitted.

Then, for each format, it exports in a fresh process the approved tenth and then everything
(``--status all``), and prints rows written, wall and CPU seconds of the export, the process's
peak resident memory (if memory does not grow with the submissions, the two peaks are close),
and the anchor measured in the same run: a plain ``COPY (SELECT uuid, version, answers, village
…) TO STDOUT`` of the same submissions read by psycopg, with the ratio export / COPY.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _value(question: Any, rng: random.Random) -> Any:
    kind = question.type
    if kind in ("single", "yesno", "likert5"):
        return rng.choice(question.choices.codes) if question.choices else rng.randint(0, 1)
    if kind == "multi":
        codes = list(question.choices.codes)
        return sorted(rng.sample(codes, rng.randint(1, min(3, len(codes)))))
    if kind == "grid":
        codes = list(question.choices.codes)
        return {row.id: rng.choice(codes) for row in question.rows}
    if kind in ("integer", "calculate"):
        return rng.randint(0, 60)
    if kind == "decimal":
        return round(rng.uniform(0, 100), 2)
    if kind == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == "text":
        return rng.choice(["Nguyễn Thị Hoa", "Hoàng Văn Nam", "Lý Thị Mai"])
    return None


def _fill(items: Any, rng: random.Random) -> dict[str, Any]:
    from questionnaires import RepeatGroup

    answers: dict[str, Any] = {}
    for item in items:
        if isinstance(item, RepeatGroup):
            answers[item.id] = [_fill(item.items, rng) for _ in range(rng.randint(1, 8))]
        elif item.type != "note":
            answers[item.id] = _value(item, rng)
    return answers


def _answers(questionnaire: Any, rng: random.Random, number: int) -> dict[str, Any]:
    items = [item for section in questionnaire.sections for item in section.items]
    answers = _fill(items, rng)
    answers.update(
        {
            "district": 178,
            "residence": rng.randint(1, 2),
            "household_no": number,
            "weight_final": rng.uniform(50, 300),
        }
    )
    return answers


def build(url: str, n: int, seed: int) -> None:
    """Create the schema, areas, a user, the bundled forms and n submissions at url."""
    from sqlalchemy import insert

    from survey_app import create_app
    from survey_app.admin.services import create_user
    from survey_app.core.questionnaire_store import (
        current_version,
        publish_bundled,
        questionnaire_for,
    )
    from survey_app.extensions import db
    from survey_app.models import Area, Submission

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
    with app.app_context():
        db.create_all()
        district = Area(code="178", name="TP Lạng Sơn", level="district")
        commune = Area(code="17801", name="Chi Lăng", level="commune", parent=district)
        villages = [
            Area(code=f"17801{v:03d}", name=f"Khối {v}", level="village", parent=commune)
            for v in range(1, 101)
        ]
        db.session.add_all([district, commune, *villages])
        user = create_user("bench", "analyst", "bench-password")
        publish_bundled()
        db.session.flush()
        from survey_app.core.rounds import ensure_default_round

        round_id = ensure_default_round().id
        forms = {}
        for form_id in ("household", "individual"):
            version = current_version(form_id)
            forms[form_id] = (version.id, questionnaire_for(version))
        batch: list[dict[str, Any]] = []
        for number in range(n):
            form_id = "household" if number % 10 < 7 else "individual"
            version_id, questionnaire = forms[form_id]
            village = villages[number % len(villages)]
            batch.append(
                {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                    "questionnaire_version_id": version_id,
                    "area_id": village.id,
                    "district_id": district.id,
                    "enumerator_id": user.id,
                    "round_id": round_id,
                    "answers": _answers(questionnaire, rng, number),
                    "status": "approved" if number % 10 == 0 else "submitted",
                    "row_version": 1,
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(Submission), batch)
                batch = []
        if batch:
            db.session.execute(insert(Submission), batch)
        db.session.commit()
        db.engine.dispose()


def copy_anchor(url: str, status: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of a plain COPY of the same submissions to this client; bytes."""
    import psycopg

    where = "" if status == "all" else f"WHERE s.status = '{status}'"
    sql = (
        "COPY (SELECT s.uuid, v.version, s.answers, a.code FROM submission s "
        "JOIN questionnaire_version v ON v.id = s.questionnaire_version_id "
        f"JOIN area a ON a.id = s.area_id {where} ORDER BY s.id) TO STDOUT"
    )
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        size = 0
        with cursor.copy(sql) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - start_wall, time.process_time() - start_cpu, size


def child(url: str, fmt: str, out: str, status: str) -> None:
    """Run one export in this process and print a JSON line of its figures."""
    from survey_app import create_app
    from survey_app.export import ExportOptions, export_submissions
    from survey_app.extensions import db
    from survey_app.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        user = db.session.query(User).filter_by(username="bench").one()
        statuses = () if status == "all" else (status,)
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        result = export_submissions(out, ExportOptions(format=fmt, statuses=statuses), user)
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "format": fmt,
                "status": status,
                "submissions": result.submissions,
                "rows": sum(result.rows.values()),
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mb": round(peak_kb / 1024),
            }
        )
    )


def main() -> None:
    """Build the database, then run each export in a fresh process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,parquet,dta,sav,xlsx")
    parser.add_argument(
        "--db",
        default=None,
        help="an empty database URL (default: a throwaway PostgreSQL database, else SQLite)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--child", nargs=4, metavar=("URL", "FORMAT", "OUT", "STATUS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    database = None
    if args.db is None and _postgres_answers():
        database = f"gesurvey_bench_export_{os.getpid()}"
        _admin(f"CREATE DATABASE {database}")
    try:
        with tempfile.TemporaryDirectory(prefix="gesurvey-bench-") as tmp:
            url = args.db or (
                f"postgresql+psycopg://postgres@127.0.0.1/{database}"
                if database
                else "sqlite:///" + os.path.join(tmp, "bench.sqlite")
            )
            run(url, args, tmp)
    finally:
        if database:
            _admin(f"DROP DATABASE IF EXISTS {database}")


def _postgres_answers() -> bool:
    try:
        _admin("SELECT 1")
    except Exception:  # noqa: BLE001 - no server: fall back to SQLite
        return False
    return True


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run(url: str, args: argparse.Namespace, tmp: str) -> None:
    """Build the database at url, then the exports and the anchors, printing a table."""
    start = time.perf_counter()
    build(url, args.n, args.seed)
    print(
        f"inserted {args.n:,} submissions in {time.perf_counter() - start:.0f} s ({url.split('://')[0]})"
    )
    postgres = url.startswith("postgresql")
    anchors = {}
    if postgres:
        for status in ("approved", "all"):
            anchors[status] = min(copy_anchor(url, status) for _ in range(2))
            wall, cpu, size = anchors[status]
            print(
                f"anchor: COPY … TO STDOUT ({status}): {wall:.2f} s wall, {cpu:.2f} s CPU, "
                f"{size / 1e6:.0f} MB",
                flush=True,
            )
    else:
        print("anchor: none (COPY needs PostgreSQL; pass --db postgresql+psycopg://…)")
    print(
        f"{'format':8} {'status':9} {'subm.':>8} {'rows':>9} {'wall s':>7} {'cpu s':>7} "
        f"{'peak MB':>8} {'COPY s':>7} {'ratio':>6}"
    )
    for fmt in args.formats.split(","):
        for status in ("approved", "all"):
            out = os.path.join(tmp, f"{fmt}-{status}")
            done = subprocess.run(
                [sys.executable, __file__, "--child", url, fmt, out, status],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(f"{fmt:8} {status:9} failed: {done.stderr.strip()[-300:]}", flush=True)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            anchor = anchors.get(status, (math.nan,))[0]
            print(
                f"{fmt:8} {status:9} {r['submissions']:>8,} {r['rows']:>9,} "
                f"{r['wall_s']:>7} {r['cpu_s']:>7} {r['peak_rss_mb']:>8} {anchor:>7.2f} "
                f"{r['wall_s'] / anchor:>5.1f}x",
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
