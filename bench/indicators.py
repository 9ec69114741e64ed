"""Browse page and API page of the indicator store on PostgreSQL with ~1.4 million figures.

Builds a throwaway PostgreSQL database with the migrations (so the indexes are the ones that
ship), 238 areas (the province, its 11 districts, 226 communes), and bulk-loads with COPY one
approved figure per indicator × area × period × sex cell: 200 indicators (the catalogue's plus
stand-ins) × 10 periods × 3 cells = 1,428,000 rows. Then, as a supervisor through the app (the
Flask test client: the whole request, templates and queries, no network), it times:

- the browse page ``/indicators/`` of a random indicator for the province (its table over the
  periods and one row per district) or a district (one row per commune);
- an API page ``/api/v1/indicators`` filtered by code and area, or by period and sex, following
  ``next`` once (keyset pagination).

Prints the row count, the p50/p95 of each, the same-run anchor (the p95 of ``SELECT 1`` through
the same engine, so the ratio tells the app's cost on a noisy machine) and the peak memory.

    python bench/indicators.py [--size full|small] [--requests 200]
                               [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {
    # name: (communes, periods, indicators)
    "full": (226, 10, 200),
    "small": (226, 3, 40),
}
PASSWORD = "bench password 1"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def build(url: str, communes: int, periods: int, indicators: int) -> tuple[object, int, dict]:
    """Migrate, load areas and users, COPY the figures; return the app, row count, choices."""
    from flask_migrate import upgrade

    from survey_app import create_app
    from survey_app.admin.services import bundled_areas_file, create_user, load_areas
    from survey_app.extensions import db
    from survey_app.indicators.services import catalogue
    from survey_app.models import Area

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        load_areas(bundled_areas_file())
        db.session.flush()
        districts = db.session.query(Area).filter_by(level="district").order_by(Area.code).all()
        for i in range(communes):
            district = districts[i % len(districts)]
            db.session.add(
                Area(
                    code=f"{district.code}{i:03d}",
                    name=f"Xã {i}",
                    level="commune",
                    parent=district,
                )
            )
        create_user("giamsat", "supervisor", PASSWORD)
        db.session.commit()
        areas = [(a.id, a.level) for a in db.session.query(Area).order_by(Area.id)]
        real = [i.code for i in catalogue().indicators.values()]
        codes = (real + [f"X{n:03d}" for n in range(indicators)])[:indicators]
        years = [str(2011 + k) for k in range(periods)]
        start = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            columns = (
                "indicator_code, area_id, period, sex, cell, value, std_error, ci_low, ci_high, "
                "flag, status, source_kind, source, department, comment, revision, entered_at"
            )
            rows = 0
            with cursor.copy(f"COPY indicator_value ({columns}) FROM STDIN") as copy:
                buffer = io.StringIO()
                rng = random.Random(7)
                for code in codes:
                    for area_id, _level in areas:
                        for year in years:
                            for sex in ("T", "F", "M"):
                                value = rng.uniform(10, 90)
                                buffer.write(
                                    f"{code}\t{area_id}\t{year}\t{sex}\t\t{value:.6f}\t1.5\t"
                                    f"{value - 3:.6f}\t{value + 3:.6f}\t\tapproved\timport\t"
                                    f"bench\t\t\t1\t2024-01-01 00:00:00+00\n"
                                )
                                rows += 1
                    if buffer.tell() > 8_000_000:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            raw.commit()
            cursor.execute("ANALYZE indicator_value")
            raw.commit()
        finally:
            raw.close()
        print(f"loaded {rows:,} rows with COPY in {time.perf_counter() - start:.1f} s")
        province = next(a for a, level in areas if level == "province")
        district_ids = [a for a, level in areas if level == "district"]
        area_codes = {a.id: a.code for a in db.session.query(Area)}
        with_communes = [
            i.code
            for i in catalogue().indicators.values()
            if "commune" in i.levels and i.code in codes
        ]
    choices = {
        "codes": [c for c in real if c in codes],
        "with_communes": with_communes,
        "province": area_codes[province],
        "districts": [area_codes[d] for d in district_ids],
        "years": years,
    }
    return app, rows, choices


def time_requests(app, choices: dict, n: int) -> dict[str, list[float]]:
    """Milliseconds per browse page and per API page (two pages each), as a supervisor."""
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "giamsat", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    rng = random.Random(11)
    timings: dict[str, list[float]] = {"browse": [], "api": [], "anchor": []}
    from survey_app.extensions import db

    with app.app_context():
        for _ in range(5):  # warm the caches and the connection pool
            client.get(f"/indicators/?code={choices['codes'][0]}&level=province")
    for i in range(n):
        if i % 2:
            code = rng.choice(choices["with_communes"])
            url = f"/indicators/?code={code}&level=district&area={rng.choice(choices['districts'])}"
        else:
            url = f"/indicators/?code={rng.choice(choices['codes'])}&level=province"
        start = time.perf_counter()
        response = client.get(url)
        timings["browse"].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        if i % 2:
            api = f"/api/v1/indicators?period={rng.choice(choices['years'])}&sex=F&limit=100"
        else:
            code = rng.choice(choices["codes"])
            api = f"/api/v1/indicators?code={code}&area={rng.choice(choices['districts'])}"
        start = time.perf_counter()
        body = client.get(api).get_json()
        if body["next"]:
            body = client.get(body["next"]).get_json()
        timings["api"].append((time.perf_counter() - start) * 1000 / 2)
        assert body["items"], api
        with app.app_context():
            start = time.perf_counter()
            db.session.execute(text("SELECT 1"))
            timings["anchor"].append((time.perf_counter() - start) * 1000)
            db.session.remove()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    communes, periods, indicators = SIZES[args.size]
    name = f"gesurvey_bench_ind_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        app, rows, choices = build(url, communes, periods, indicators)
        timings = time_requests(app, choices, args.requests)
        with app.app_context():
            from survey_app.extensions import db

            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    anchor = percentile(timings["anchor"], 0.95)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows in the store: {rows:,} ({args.size}: {communes + 12} areas × {periods} periods "
        f"× {indicators} indicators × 3 sex cells)"
    )
    print(f"anchor: SELECT 1 through the app's engine, p95 {anchor:.2f} ms")
    for key, label in (("browse", "browse page /indicators/"), ("api", "API page")):
        p50 = statistics.median(timings[key])
        p95 = percentile(timings[key], 0.95)
        verdict = "OK" if p95 < 200 else "TOO SLOW"
        print(
            f"{label:<26} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ratio to anchor "
            f"{p95 / anchor:7.0f}x  (< 200 ms: {verdict})"
        )
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
