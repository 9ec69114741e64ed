"""Write an SPSS ``.sav`` file batch by batch, with variable labels, value labels and 98/99
declared user-missing.

pyreadstat and pandas write a ``.sav`` only from a whole DataFrame; this writer takes the rows in
batches, so the export's memory does not grow with the number of submissions. It needs each
string column's longest text up front (the export collects it while spooling to Parquet).

Format reference: the PSPP developers' guide, "System File Format": an uncompressed system file
is a header record, one variable record per 8-byte segment, value-label records (types 3 and 4),
machine, long-name and encoding records (type 7), the terminator (999), then the cases, each
numeric value an IEEE double (missing: ``-DBL_MAX``) and each string padded with spaces to a
multiple of 8 bytes. Strings are capped at 255 bytes (longer ones would need "very long string"
records) and cut at a character boundary.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SpssColumn", "write_sav"]

MAX_STR = 255
SYSMIS = -sys.float_info.max
_VALUE_LABEL_BYTES = 120


@dataclass(frozen=True)
class SpssColumn:
    """One variable: name (≤ 64 bytes), label, ``"int"``/``"float"``/``"str"``, the byte length
    of its longest string, value labels and the codes declared user-missing (at most 3)."""

    name: str
    label: str
    kind: str
    width: int = 1
    value_labels: Mapping[int, str] | None = None
    missing_codes: tuple[int, ...] = ()


def _cut(text: str, limit: int) -> bytes:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def _pad(data: bytes, multiple: int, fill: bytes = b" ") -> bytes:
    extra = (-len(data)) % multiple
    return data + fill * extra


def _width(column: SpssColumn) -> int:
    return max(1, min(column.width, MAX_STR)) if column.kind == "str" else 0


def _format(column: SpssColumn) -> int:
    if column.kind == "str":
        return (1 << 16) | (_width(column) << 8)
    decimals = 0 if column.kind == "int" else 2
    return (5 << 16) | (11 << 8) | decimals


def write_sav(
    path: str | Path,
    columns: Sequence[SpssColumn],
    n_rows: int,
    batches: Iterable[Mapping[str, Sequence[Any]]],
    file_label: str = "",
) -> None:
    """Write columns to path from batches (column name → values, None missing).

    The batches must hold n_rows rows in total.
    """
    out = bytearray()
    now = datetime.now()
    segments = [1 if c.kind != "str" else (_width(c) + 7) // 8 for c in columns]
    out += b"$FL2" + _pad(b"@(#) SPSS DATA FILE gesurvey", 60)
    out += struct.pack("<iiiii", 2, sum(segments), 0, 0, n_rows)
    out += struct.pack("<d", 100.0)
    out += now.strftime("%d %b %y").encode("ascii") + now.strftime("%H:%M:%S").encode("ascii")
    out += _pad(_cut(file_label, 64), 64) + b"\x00\x00\x00"
    short_names = [f"V{i + 1}" for i in range(len(columns))]
    index: list[int] = []  # 1-based dictionary index of each column's first segment
    position = 1
    for column, short, count in zip(columns, short_names, segments, strict=True):
        index.append(position)
        position += count
        label = _cut(column.label, 255)
        missing = list(column.missing_codes)[:3] if column.kind != "str" else []
        fmt = _format(column)
        out += struct.pack("<iiiiii", 2, _width(column), 1 if label else 0, len(missing), fmt, fmt)
        out += _pad(short.encode("ascii"), 8)
        if label:
            out += struct.pack("<i", len(label)) + _pad(label, 4)
        out += b"".join(struct.pack("<d", float(code)) for code in missing)
        for _ in range(count - 1):
            out += struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8
    for column, first in zip(columns, index, strict=True):
        if not column.value_labels or column.kind == "str":
            continue
        out += struct.pack("<ii", 3, len(column.value_labels))
        for value in sorted(column.value_labels):
            text = _cut(column.value_labels[value], _VALUE_LABEL_BYTES)
            out += struct.pack("<d", float(value)) + _pad(bytes([len(text)]) + text, 8)
        out += struct.pack("<iii", 4, 1, first)
    out += struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, 65001)
    out += struct.pack("<iiii", 7, 4, 8, 3) + struct.pack(
        "<3d", SYSMIS, sys.float_info.max, np.nextafter(-sys.float_info.max, 0)
    )
    names = "\t".join(
        f"{short}={_cut(c.name, 64).decode('utf-8')}"
        for short, c in zip(short_names, columns, strict=True)
    ).encode("utf-8")
    out += struct.pack("<iiii", 7, 13, 1, len(names)) + names
    out += struct.pack("<iiii", 7, 20, 1, 5) + b"UTF-8"
    out += struct.pack("<ii", 999, 0)
    record = np.dtype(
        [
            (f"f{i}", "<f8" if c.kind != "str" else f"S{count * 8}")
            for i, (c, count) in enumerate(zip(columns, segments, strict=True))
        ]
    )
    written = 0
    with Path(path).open("wb") as handle:
        handle.write(bytes(out))
        for batch in batches:
            size = len(next(iter(batch.values()))) if batch else 0
            if size == 0:
                continue
            rows = np.zeros(size, dtype=record)
            for i, (column, count) in enumerate(zip(columns, segments, strict=True)):
                values = batch[column.name]
                if column.kind == "str":
                    size_bytes = count * 8
                    rows[f"f{i}"] = [
                        _cut("" if v is None else str(v), _width(column)).ljust(size_bytes, b" ")
                        for v in values
                    ]
                else:
                    rows[f"f{i}"] = np.array(
                        [SYSMIS if v is None else v for v in values], dtype="<f8"
                    )
            handle.write(rows.tobytes())
            written += size
    if written != n_rows:
        raise ValueError(f"{path}: {written} rows written, {n_rows} announced")
