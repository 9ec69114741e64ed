"""The survey round in every exported file: a ``round`` column first in each table.

An export holds one round's interviews, so the column is the same on every row; it is there so
that files of several rounds can be stacked and still say where each row came from. The round's
whole description goes beside the tables as ``round.json`` (:mod:`questionnaires.rounds`).
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from questionnaires.model import Label
from questionnaires.tidy import Column, UnitTable

__all__ = ["ROUND_COLUMN", "add_round", "with_round_column"]

ROUND_COLUMN = "round"
_COLUMN = Column(ROUND_COLUMN, "str", Label("Đợt điều tra", "Survey round"))


def with_round_column(table: UnitTable) -> UnitTable:
    """The table with the ``round`` column first (the writers label it like any other)."""
    return replace(table, columns=(_COLUMN, *table.columns))


def add_round(rows: pa.Table, code: str) -> pa.Table:
    """Arrow rows with the round's code as their first column."""
    return rows.add_column(0, ROUND_COLUMN, pa.array([code] * rows.num_rows, type=pa.string()))
