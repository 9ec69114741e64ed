"""Core statements compiled once into the database driver's own SQL, for the hottest paths.

The sync API runs the same two or three statements on every request. SQLAlchemy's
``Connection.execute`` looks each one up in its compiled cache, builds the parameter set and
sets up the result's type processing every time; for a statement of a few hundred microseconds
that overhead was a large part of the worker's CPU. :class:`DriverStatement` compiles the
statement once per dialect and runs the text through ``Connection.exec_driver_sql``: the same
connection and transaction (the engine's events still see every statement), parameters passed
as the driver takes them, values serialised by the columns' own bind processors (JSON).

Use it only for statements whose result columns need no type processing (integers, text,
plain nullable values): rows come back as the driver returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True)
class DriverStatement:
    """One statement compiled for one dialect: its SQL text, the values of the literals the
    statement holds itself, the order of positional parameters (None when named), and the
    bind processors to apply to given values (by parameter name)."""

    sql: str
    defaults: dict[str, Any]
    positions: tuple[str, ...] | None
    processors: dict[str, Callable[[Any], Any]]

    @classmethod
    def compile(cls, statement: Executable, dialect: Dialect) -> DriverStatement:
        """Compile statement for dialect (once; keep the result)."""
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        defaults: dict[str, Any] = {}
        processors: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
            if bind.value is not None:
                defaults[name] = processor(bind.value) if processor else bind.value
        positions = tuple(compiled.positiontup) if compiled.positional else None
        return cls(compiled.string, defaults, positions, processors)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Sequence[Any] | None:
        """Run with values (by bind parameter name) on connection; the first row (its values
        in the statement's column order) or None."""
        parameters = dict(self.defaults)
        for name, value in values.items():
            processor = self.processors.get(name)
            # Also for None: a JSON column's processor writes it as JSON null, as Core does.
            parameters[name] = processor(value) if processor else value
        if self.positions is not None:
            ordered = tuple(parameters[name] for name in self.positions)
            return connection.exec_driver_sql(self.sql, ordered).first()
        return connection.exec_driver_sql(self.sql, parameters).first()
