"""The export's reader thread: items in order, errors raised once, the thread always joined,
and a COPY stopped early leaves the connection usable (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing

import pytest

from survey_app.export.read_ahead import read_ahead
from survey_app.extensions import db


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gesurvey-export-read-ahead"]


def _source(n: int, events: list[str], fail_at: int | None = None) -> Iterator[int]:
    try:
        for i in range(n):
            if i == fail_at:
                raise OSError("connection lost")
            yield i
    except BaseException as error:
        events.append(f"ended by {type(error).__name__}")
        raise
    finally:
        events.append("closed")


def test_items_come_in_order_and_the_thread_ends() -> None:
    events: list[str] = []
    assert list(read_ahead(_source(50, events), depth=2)) == list(range(50))
    assert events == ["closed"]
    assert _readers() == []


def test_an_error_in_the_source_reaches_the_consumer_once() -> None:
    events: list[str] = []
    seen = []
    with pytest.raises(OSError, match="connection lost"):
        for item in read_ahead(_source(10, events, fail_at=3)):
            seen.append(item)
    assert seen == [0, 1, 2]
    assert events == ["ended by OSError", "closed"]
    assert _readers() == []


def test_a_consumer_that_stops_early_ends_the_source_as_on_an_error() -> None:
    events: list[str] = []
    with closing(read_ahead(_source(1000, events), depth=1)) as items:
        assert next(items) == 0
    # Ended by an exception, as psycopg needs to cancel a COPY TO, and closed in its thread.
    assert events[0].startswith("ended by") and events[-1] == "closed"
    assert _readers() == []


def test_an_error_in_the_consumer_joins_the_thread() -> None:
    events: list[str] = []
    with pytest.raises(ZeroDivisionError), closing(read_ahead(_source(1000, events))) as items:
        for item in items:
            if item == 5:
                raise ZeroDivisionError
    assert events[-1] == "closed"
    assert _readers() == []


def test_a_copy_stopped_early_leaves_the_connection_usable(app) -> None:  # noqa: ANN001
    from sqlalchemy import text

    from survey_app.export.service import _copy_batches

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("COPY is PostgreSQL's")
        driver = db.session.connection().connection.driver_connection
        sql = "COPY (SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g) TO STDOUT"
        with closing(read_ahead(_copy_batches(driver, sql, 1000))) as blocks:
            first = next(blocks)
        assert first.startswith(b"1\t")
        assert _readers() == []
        db.session.rollback()
        assert db.session.scalar(text("SELECT 41 + 1")) == 42


def test_a_failing_writer_stops_the_export_cleanly(app, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    from sqlalchemy import func, select

    from survey_app.admin.services import create_user
    from survey_app.core.questionnaire_store import publish_bundled
    from survey_app.export import ExportOptions, export_submissions, writers
    from survey_app.models import Area, User

    from .conftest import TEST_PASSWORD
    from .test_export import HOUSEHOLD, make_submission

    with app.app_context():
        province = Area(code="20", name="Lạng Sơn", level="province")
        district = Area(code="178", name="TP Lạng Sơn", level="district", parent=province)
        commune = Area(code="17801", name="Chi Lăng", level="commune", parent=district)
        village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
        db.session.add_all([province, district, commune, village])
        db.session.flush()
        create_user("analyst", "analyst", TEST_PASSWORD)
        create_user("enum", "enumerator", TEST_PASSWORD)
        publish_bundled()
        for number in range(3):
            make_submission("household", {**HOUSEHOLD, "household_no": number}, "approved")
        db.session.commit()

        def refuse(self, batch) -> None:  # noqa: ANN001
            raise OSError("disk full")

        monkeypatch.setattr(writers.CsvWriter, "write", refuse)
        user = db.session.scalar(select(User).where(User.username == "analyst"))
        with pytest.raises(OSError, match="disk full"):
            export_submissions(tmp_path / "out", ExportOptions(format="csv"), user)
        assert _readers() == []
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
