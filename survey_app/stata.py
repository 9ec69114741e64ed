"""Write a Stata 14+ ``.dta`` file (format 118) batch by batch, with variable and value labels.

pyreadstat and pandas write a ``.dta`` only from a whole DataFrame; this writer takes the rows in
batches, so the export's memory does not grow with the number of submissions. It needs the row
count and, per column, the value range (integers) or the longest text (strings) up front: the
export spools the rows to Parquet first and collects both while spooling.

Format reference: Stata's "dta file format" documentation (``help dta``), release 118: an XML-like
sequence of tagged sections whose offsets are recorded in ``<map>``; numbers little-endian;
missing values are the type's "." code; strings fixed-width ``str1``…``str2045``, UTF-8.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["StataColumn", "stata_type", "write_dta"]

MAX_STR = 2045
# (type code, numpy dtype, missing value ".", smallest, largest non-missing value)
_BYTE = (65530, "i1", 101, -127, 100)
_INT = (65529, "<i2", 32741, -32767, 32740)
_LONG = (65528, "<i4", 2147483621, -2147483647, 2147483620)
_DOUBLE = (65526, "<f8", 2.0**1023, None, None)


@dataclass(frozen=True)
class StataColumn:
    """One variable: name, label, storage (``"int"``, ``"float"`` or ``"str"``), the range of
    its integer values or the byte length of its longest string, and its value labels."""

    name: str
    label: str
    kind: str
    low: int | None = None
    high: int | None = None
    width: int = 1
    value_labels: Mapping[int, str] | None = None


def stata_type(column: StataColumn) -> tuple[int, str, Any]:
    """Stata type code, numpy dtype and missing value for column (smallest integer that fits)."""
    if column.kind == "str":
        width = max(1, min(column.width, MAX_STR))
        return width, f"S{width}", b""
    if column.kind == "int":
        codes = list(column.value_labels or {})
        low = min([v for v in (column.low, *codes) if v is not None], default=0)
        high = max([v for v in (column.high, *codes) if v is not None], default=0)
        for code, dtype, missing, smallest, largest in (_BYTE, _INT, _LONG):
            if smallest <= low and high <= largest:
                return code, dtype, missing
    code, dtype, missing, _, _ = _DOUBLE
    return code, dtype, missing


def _fixed(text: str, size: int) -> bytes:
    data = text.encode("utf-8")[: size - 1]
    # Do not cut a character in two.
    data = data.decode("utf-8", errors="ignore").encode("utf-8")
    return data + b"\x00" * (size - len(data))


def _tag(name: str, body: bytes) -> bytes:
    return f"<{name}>".encode() + body + f"</{name}>".encode()


def _value_label_table(labels: Mapping[int, str]) -> bytes:
    offsets, values, text = [], [], b""
    for value in sorted(labels):
        offsets.append(len(text))
        values.append(value)
        text += labels[value].encode("utf-8")[:32000] + b"\x00"
    n = len(values)
    return (
        struct.pack("<ii", n, len(text))
        + struct.pack(f"<{n}i", *offsets)
        + struct.pack(f"<{n}i", *values)
        + text
    )


def write_dta(
    path: str | Path,
    columns: Sequence[StataColumn],
    n_rows: int,
    batches: Iterable[Mapping[str, Sequence[Any]]],
    file_label: str = "",
) -> None:
    """Write columns to path from batches (each a mapping column name → values, None missing).

    The batches must hold n_rows rows in total.
    """
    types = [stata_type(c) for c in columns]
    record = np.dtype([(f"f{i}", dtype) for i, (_, dtype, _) in enumerate(types)])
    offsets: dict[str, int] = {}
    with Path(path).open("wb") as handle:

        def mark(name: str) -> None:
            offsets[name] = handle.tell()

        mark("stata_data")
        handle.write(b"<stata_dta>")
        label = file_label.encode("utf-8")[:80]
        stamp = datetime.now().strftime("%d %b %Y %H:%M").encode("ascii")
        handle.write(
            _tag(
                "header",
                (
                    _tag("release", b"118")
                    + _tag("byteorder", b"LSF")
                    + _tag("K", struct.pack("<H", len(columns)))
                    + _tag("N", struct.pack("<Q", n_rows))
                    + _tag("label", struct.pack("<H", len(label)) + label)
                    + _tag("timestamp", bytes([len(stamp)]) + stamp)
                ),
            )
        )
        mark("map")
        handle.write(_tag("map", b"\x00" * 14 * 8))
        mark("variable_types")
        handle.write(
            _tag("variable_types", b"".join(struct.pack("<H", code) for code, _, _ in types))
        )
        mark("varnames")
        handle.write(_tag("varnames", b"".join(_fixed(c.name, 129) for c in columns)))
        mark("sortlist")
        handle.write(_tag("sortlist", b"\x00\x00" * (len(columns) + 1)))
        mark("formats")
        formats = [
            f"%{code}s" if code <= MAX_STR else ("%10.0g" if code == _DOUBLE[0] else "%9.0g")
            for code, _, _ in types
        ]
        handle.write(_tag("formats", b"".join(_fixed(f, 57) for f in formats)))
        mark("value_label_names")
        handle.write(
            _tag(
                "value_label_names",
                b"".join(_fixed(c.name if c.value_labels else "", 129) for c in columns),
            )
        )
        mark("variable_labels")
        handle.write(_tag("variable_labels", b"".join(_fixed(c.label, 321) for c in columns)))
        mark("characteristics")
        handle.write(b"<characteristics></characteristics>")
        mark("data")
        handle.write(b"<data>")
        written = 0
        for batch in batches:
            size = len(next(iter(batch.values()))) if batch else 0
            if size == 0:
                continue
            rows = np.zeros(size, dtype=record)
            for i, (column, (_, dtype, missing)) in enumerate(zip(columns, types, strict=True)):
                values = batch[column.name]
                if column.kind == "str":
                    width = rows.dtype[i].itemsize
                    rows[f"f{i}"] = [
                        b"" if v is None else _fixed(str(v), width + 1)[:width].rstrip(b"\x00")
                        for v in values
                    ]
                else:
                    rows[f"f{i}"] = np.array(
                        [missing if v is None else v for v in values], dtype=dtype
                    )
            handle.write(rows.tobytes())
            written += size
        if written != n_rows:
            raise ValueError(f"{path}: {written} rows written, {n_rows} announced")
        handle.write(b"</data>")
        mark("strls")
        handle.write(b"<strls></strls>")
        mark("value_labels")
        handle.write(b"<value_labels>")
        for column in columns:
            if column.value_labels:
                table = _value_label_table(column.value_labels)
                handle.write(
                    b"<lbl>"
                    + struct.pack("<i", len(table))
                    + _fixed(column.name, 129)
                    + b"\x00\x00\x00"
                    + table
                    + b"</lbl>"
                )
        handle.write(b"</value_labels>")
        mark("stata_data_close")
        handle.write(b"</stata_dta>")
        mark("end")
        order = [
            "stata_data",
            "map",
            "variable_types",
            "varnames",
            "sortlist",
            "formats",
            "value_label_names",
            "variable_labels",
            "characteristics",
            "data",
            "strls",
            "value_labels",
            "stata_data_close",
            "end",
        ]
        handle.seek(offsets["map"] + len(b"<map>"))
        handle.write(b"".join(struct.pack("<Q", offsets[name]) for name in order))
