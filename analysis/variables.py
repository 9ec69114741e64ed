"""Turn exported answers into analysis variables: missing codes to NaN, multi-choice to 0/1 columns.

The questionnaire declares ``missing_codes`` (98 don't know, 99 refused; FORMAT.md): they are
answers, but never numbers to average, so analysis sees them as missing (NaN). A ``multi``
answer (a list of codes) becomes one 0/1 column per choice, ``<question>_<choice name>``, so the
share choosing each option is a plain mean; an unanswered or missing-coded question gives NaN in
every column, an answered one with nothing selected gives zeros.

The generic functions take the codes and choices as arguments; :func:`question_columns` is the
thin adapter reading them from a ``questionnaires`` ``Question`` (only ``type``,
``missing_codes``, ``choices`` with ``.code``/``.name``, ``id`` and grid ``rows`` with ``.id``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, format_rows
from questionnaires.codes import MISSING

__all__ = [
    "expand_multi",
    "missing_to_nan",
    "parse_multi",
    "parse_multi_column",
    "parse_multi_distinct",
    "question_columns",
]

_SEPARATORS = re.compile(r"[\s,;|]+")


def missing_to_nan(values: pd.Series, missing_codes: Iterable[float] = MISSING) -> pd.Series:
    """The values as floats with the declared missing codes (and blanks) as NaN.

    Text that is not a number is an error naming the column and rows, never a silent NaN.
    """
    numeric = pd.to_numeric(values, errors="coerce")
    blank = values.isna() | (values.astype(str).str.strip() == "")
    bad = numeric.isna() & ~blank
    if bad.any():
        rows = list(values.index[bad.to_numpy()])
        name = values.name
        raise AnalysisError(
            f"column '{name}' must be numeric; rows {format_rows(rows)} are not",
            f"Cột '{name}' phải là số; các dòng {format_rows(rows, 'vi')} không phải số",
            column=str(name),
            rows=rows,
        )
    codes = list(missing_codes)
    out = numeric.astype(float)
    if codes:
        out = out.mask(out.isin(codes))
    return out


def parse_multi(value: Any) -> list[int] | None:
    """One multi-choice answer as a list of codes; None when unanswered.

    Accepts a list/tuple/set/array of codes, a JSON list ("[1, 3]"), codes separated by spaces,
    commas, semicolons or bars ("1 3"), or a single number.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [int(v) for v in value]
    if isinstance(value, (int, np.integer)):
        return [int(value)]
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise ValueError(value)
        return [int(value)]
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("["):
        parsed = json.loads(text)
        return [int(v) for v in parsed]
    parts = [p for p in _SEPARATORS.split(text) if p]
    codes = []
    for part in parts:
        number = float(part)
        if not number.is_integer():
            raise ValueError(value)
        codes.append(int(number))
    return codes


_UNPARSABLE = object()


def parse_multi_column(values: Iterable[Any], on_error: Any = None) -> list[Any]:
    """:func:`parse_multi` of every value of a column; ``on_error`` where a value is not one.

    A column holds few distinct answers ("1 3", "2", …) among many rows, so each distinct text
    is parsed once (a million-row column in a tenth of the time); every row gets its own list.
    """
    known: dict[str, Any] = {}
    out: list[Any] = []
    for value in values:
        parsed = known.get(value, _UNPARSABLE) if type(value) is str else _UNPARSABLE
        if parsed is _UNPARSABLE:
            try:
                parsed = parse_multi(value)
            except (ValueError, TypeError):
                parsed = _UNPARSABLE
            if type(value) is str:
                known[value] = parsed
        if parsed is _UNPARSABLE:
            out.append(on_error)
        else:
            out.append(None if parsed is None else list(cast(list[int], parsed)))
    return out


def parse_multi_distinct(values: pd.Series | Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """Each distinct answer of a multi-choice column parsed once, and each row's position.

    Returns ``(parsed, position)``: row ``i`` reads ``parsed[position[i]]`` (a list of codes,
    or None when unanswered, missing or not a multi-choice answer, as
    :func:`parse_multi_column` with ``on_error=None``). The last entry of ``parsed`` is None
    and stands for blank cells (position −1 reaches it too), so callers build a small
    distinct-answers × codes matrix and index it by ``position`` instead of looping over a
    million rows.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    try:
        position, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # cells holding lists are not hashable: one entry per row
        parsed = parse_multi_column(series.tolist())
        return [*parsed, None], np.arange(len(parsed))
    parsed = parse_multi_column(list(uniques))
    position = np.where(position < 0, len(parsed), position)
    return [*parsed, None], np.asarray(position)


def expand_multi(
    values: pd.Series,
    codes: Sequence[int],
    names: Sequence[str] | None = None,
    prefix: str | None = None,
    missing_codes: Iterable[int] = MISSING,
) -> pd.DataFrame:
    """One 0/1 column per choice (``<prefix>_<name>``), NaN rows for unanswered or missing codes."""
    prefix = str(values.name) if prefix is None else prefix
    labels = [str(c) for c in codes] if names is None else list(names)
    if len(labels) != len(codes):
        raise ValueError("codes and names must have the same length")
    position = {int(c): j for j, c in enumerate(codes)}
    missing = {int(c) for c in missing_codes}
    out = np.zeros((len(values), len(codes)))
    bad_rows: list[Any] = []
    for i, (label, value) in enumerate(values.items()):
        try:
            chosen = parse_multi(value)
        except (ValueError, TypeError):
            bad_rows.append(label)
            continue
        if chosen is None or (len(chosen) == 1 and chosen[0] in missing):
            out[i, :] = np.nan
            continue
        for code in chosen:
            j = position.get(code)
            if j is None:
                bad_rows.append(label)
                break
            out[i, j] = 1.0
    if bad_rows:
        allowed = ", ".join(str(c) for c in codes)
        raise AnalysisError(
            f"column '{prefix}' has answers that are not lists of its choice codes ({allowed}) "
            f"in rows {format_rows(bad_rows)}",
            f"Cột '{prefix}' có câu trả lời không phải danh sách mã lựa chọn ({allowed}) ở các "
            f"dòng {format_rows(bad_rows, 'vi')}",
            column=prefix,
            rows=bad_rows,
        )
    columns = [f"{prefix}_{label}" for label in labels]
    return pd.DataFrame(out, index=values.index, columns=columns)


def question_columns(data: pd.DataFrame, question: Any, column: str | None = None) -> pd.DataFrame:
    """The analysis columns of one questionnaire question found in ``data``.

    ``multi`` → 0/1 columns per choice; ``grid`` → one column per row (``<id>_<row id>``) with
    missing codes as NaN; numeric types (integer, decimal, single, yesno, likert5, calculate) →
    missing codes as NaN; anything else is returned unchanged.
    """
    name = column or question.id
    missing = list(getattr(question, "missing_codes", None) or ())
    qtype = question.type
    if qtype == "grid":
        out = {}
        for row in question.rows:
            key = f"{name}_{row.id}"
            if key not in data.columns:
                raise AnalysisError(
                    f"grid row column '{key}' of question '{question.id}' is not in the data",
                    f"Không có cột '{key}' (hàng của câu '{question.id}') trong dữ liệu",
                    column=key,
                )
            out[key] = missing_to_nan(data[key], missing)
        return pd.DataFrame(out, index=data.index)
    if name not in data.columns:
        raise AnalysisError(
            f"column '{name}' of question '{question.id}' is not in the data",
            f"Không có cột '{name}' của câu '{question.id}' trong dữ liệu",
            column=name,
        )
    if qtype == "multi":
        choices = list(question.choices or ())
        return expand_multi(
            data[name],
            [c.code for c in choices],
            [c.name for c in choices],
            prefix=name,
            missing_codes=missing,
        )
    if qtype in ("integer", "decimal", "single", "yesno", "likert5", "calculate"):
        return missing_to_nan(data[name], missing).to_frame(name)
    return data[[name]]
