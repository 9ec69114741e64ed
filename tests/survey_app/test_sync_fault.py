"""The fault test of bench/sync_fault.py, smaller: drops and two server kills, nothing lost or
doubled, on SQLite and PostgreSQL. (The full run: python bench/sync_fault.py --n 2000.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .conftest import create_pg_database, drop_pg_database

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sync_fault.py"


def load_bench():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("sync_fault", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["sync_fault"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_every_submission_stored_exactly_once_despite_drops_and_kills(backend: str) -> None:
    url = None
    if backend == "postgres":
        url = create_pg_database()
        if url is None:
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    try:
        report = load_bench().run(
            n=120, workers=4, kills=2, drop=0.1, database_url=url, seconds=150, seed=7
        )
    finally:
        if url is not None:
            drop_pg_database(url)
    assert report.kills == 2
    assert report.dropped_requests > 0 and report.dropped_responses > 0
    assert report.already_stored > 0  # some resends followed a lost response
    assert report.ok, report.lines()
    assert (report.sent, report.stored, report.duplicated, report.lost) == (120, 120, 0, 0)
