"""SPSS ``.sav`` files (uncompressed) written batch by batch with numpy.

Why our own writer: no well-kept library streams this format. pyreadstat (ReadStat) takes a
whole data frame and walks it row by row in Python with one ``write`` per row: at 100,000
submissions that was 34 s of CPU and 466 MB, most of the export. An uncompressed system file
is a documented fixed layout (the PSPP manual's "System File Format"): a 176-byte header with
the number of cases, one record per variable (and one per further 8 bytes of a string),
value-label records, machine and encoding records, long variable names, then the cases as
fixed-width records of 8-byte slots (IEEE doubles, text padded with spaces). Once the number
of rows and the widest text of each string column are known, every batch of Arrow columns
becomes one numpy record array written in one call.

What it writes matches what the pyreadstat writer gave: numbers as doubles (system-missing
for null and NaN), text up to 255 bytes (the caller falls back to pyreadstat for longer text,
which SPSS splits into segments), UTF-8 encoding, variable labels (at most 254 bytes, as
ReadStat cuts them), value labels, discrete user-missing values (at most three per variable),
print formats, and long variable names beside 8-character short ones. Read back by pyreadstat
and pandas alike.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .dta import fixed_width_bytes

__all__ = ["MAX_MISSING", "MAX_STR", "SavVariable", "short_names", "write_sav"]

#: The widest string one SPSS variable holds; longer text is split into segments.
MAX_STR = 255
#: The most discrete user-missing values one variable holds.
MAX_MISSING = 3
_SYSMIS = -np.finfo(np.float64).max
_LABEL_BYTES = 254
_CONTINUATION_FORMAT = 0x011D01  # what SPSS writes for the continuation of a long string


@dataclass(frozen=True)
class SavVariable:
    """One variable: name, variable label, value labels, discrete user-missing codes, print
    format (``F12.0``, ``F8.2``) and, for text, its width in bytes (None for a number)."""

    name: str
    label: str
    value_labels: Mapping[int | float, str]
    missing: Sequence[float]
    format: str
    width: int | None


def _cut(text: str, size: int) -> bytes:
    """text as UTF-8, at most size bytes, cut on a character boundary."""
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore").encode("utf-8")


def _format_code(fmt: str, width: int | None) -> int:
    if width is not None:
        return (1 << 16) | (width << 8)
    digits, _, decimals = fmt[1:].partition(".")
    return (5 << 16) | (int(digits) << 8) | int(decimals or 0)


def short_names(names: Sequence[str]) -> list[str]:
    """Unique 8-byte upper-case names for the variable records (the long names follow in
    their own record): the name's first 8 characters, else ``V`` and a number."""
    used: set[str] = set()
    out = []
    for index, name in enumerate(names, start=1):
        short = name.upper().encode("ascii", errors="ignore").decode()[:8]
        if not short or not short[0].isalpha() or short in used:
            short = f"V{index}"
            while short in used:
                short = f"V{index}_{len(used)}"[:8]
        used.add(short)
        out.append(short)
    return out


def _slots(variable: SavVariable) -> int:
    return 1 if variable.width is None else (variable.width + 7) // 8


def _variable_records(variable: SavVariable, short: str) -> bytes:
    label = _cut(variable.label, _LABEL_BYTES)
    code = _format_code(variable.format, variable.width)
    record = struct.pack(
        "<iiiiii",
        2,
        0 if variable.width is None else variable.width,
        1 if label else 0,
        len(variable.missing),
        code,
        code,
    ) + short.encode().ljust(8)
    if label:
        record += struct.pack("<i", len(label)) + label.ljust((len(label) + 3) // 4 * 4)
    record += b"".join(struct.pack("<d", value) for value in variable.missing)
    continuation = struct.pack(
        "<iiiiii", 2, -1, 0, 0, _CONTINUATION_FORMAT, _CONTINUATION_FORMAT
    ) + (b" " * 8)
    return record + continuation * (_slots(variable) - 1)


def _value_label_records(labels: Mapping[int | float, str], index: int) -> bytes:
    record = struct.pack("<ii", 3, len(labels))
    for code, text in labels.items():
        data = _cut(text, 120)
        record += struct.pack("<dB", float(code), len(data)) + data.ljust(
            (len(data) + 8) // 8 * 8 - 1
        )
    return record + struct.pack("<iii", 4, 1, index)


def _extension(subtype: int, size: int, data: bytes) -> bytes:
    return struct.pack("<iiii", 7, subtype, size, len(data) // size) + data


def _dictionary(
    variables: Sequence[SavVariable], rows: int, file_label: str, now: datetime
) -> bytes:
    shorts = short_names([v.name for v in variables])
    slots = sum(_slots(v) for v in variables)
    header = (
        b"$FL2"
        + b"@(#) SPSS DATA FILE - gesurvey".ljust(60)
        + struct.pack("<iiiii", 2, slots, 0, 0, rows if rows < 2**31 else -1)
        + struct.pack("<d", 100.0)
        + now.strftime("%d %b %y").encode()
        + now.strftime("%H:%M:%S").encode()
        + _cut(file_label, 64).ljust(64)
        + b"\0" * 3
    )
    records = [header]
    labels = []
    index = 1  # the dictionary index of each variable's first record
    for variable, short in zip(variables, shorts, strict=True):
        records.append(_variable_records(variable, short))
        if variable.value_labels:
            labels.append(_value_label_records(variable.value_labels, index))
        index += _slots(variable)
    records.extend(labels)
    records.append(_extension(3, 4, struct.pack("<8i", 20, 0, 0, -1, 1, 1, 2, 65001)))
    records.append(
        _extension(4, 8, struct.pack("<3d", _SYSMIS, -_SYSMIS, np.nextafter(_SYSMIS, 0)))
    )
    records.append(_extension(20, 1, b"UTF-8"))
    display = b"".join(
        struct.pack("<iii", 0, 8, 0 if v.width is not None else 1) for v in variables
    )
    records.append(_extension(11, 4, display))
    long_names = "\t".join(
        f"{short}={v.name}" for short, v in zip(shorts, variables, strict=True)
    ).encode("utf-8")
    records.append(_extension(13, 1, long_names))
    records.append(_extension(16, 8, struct.pack("<qq", 1, rows)))
    records.append(struct.pack("<ii", 999, 0))
    return b"".join(records)


def _record_dtype(variables: Sequence[SavVariable]) -> np.dtype:
    return np.dtype(
        {
            "names": [f"v{i}" for i in range(len(variables))],
            "formats": ["<f8" if v.width is None else f"S{_slots(v) * 8}" for v in variables],
        }
    )


def _records(batch: pa.RecordBatch, variables: Sequence[SavVariable], dtype: np.dtype) -> bytes:
    records = np.empty(batch.num_rows, dtype=dtype)
    for index, variable in enumerate(variables):
        column = batch.column(index)
        if variable.width is None:
            array = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
            records[f"v{index}"] = np.where(np.isnan(array), _SYSMIS, array)
        else:
            size = _slots(variable) * 8
            fixed = fixed_width_bytes(column, size, pad=ord(" "))
            records[f"v{index}"] = fixed.view(f"S{size}").ravel()
    return records.tobytes()


def write_sav(
    path: Path,
    variables: Sequence[SavVariable],
    rows: int,
    batches: Iterable[pa.RecordBatch],
    file_label: str = "",
    now: datetime | None = None,
) -> None:
    """Write an uncompressed SPSS system file of ``rows`` rows: batches hold the variables'
    columns in order.

    ValueError when a text is wider than its variable's width or the batches do not add up
    to ``rows``.
    """
    dtype = _record_dtype(variables)
    written = 0
    with path.open("wb") as handle:
        handle.write(_dictionary(variables, rows, file_label, now or datetime.now()))
        for batch in batches:
            if batch.num_rows:
                handle.write(_records(batch, variables, dtype))
                written += batch.num_rows
    if written != rows:
        raise ValueError(f"{written} rows written to a .sav file announced with {rows}")
