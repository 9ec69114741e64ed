"""Keep the SQLite database file readable by its owner only (mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file::memory"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Create path (if missing) with mode 0600 and make an existing one 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(descriptor)
    path.chmod(0o600)


@event.listens_for(Engine, "do_connect")
def _private_sqlite_file(dialect, connection_record, cargs, cparams) -> None:  # noqa: ANN001
    """Before SQLite opens its file, create it 0600 (or make an existing file 0600)."""
    if dialect.name != "sqlite":
        return
    database = cargs[0] if cargs else cparams.get("database")
    if not database or database == ":memory:" or str(database).startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        create_private_file(path)
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
