"""Read a survey data folder, evaluate a table plan's indicators over it, and monitor the plan.

A data folder (``DATA_DIR``) holds one table per unit of observation, as written by
``gesurvey simulate --out`` or an export: ``household``, ``member`` (the roster),
``individual``, ``women``, ``hh_birth`` (births of every woman 15–49) and ``commune``
(``.parquet`` preferred, else ``.csv``), with the design columns ``stratum``, ``psu`` and
``weight_final``; optionally ``register.csv``, administrative figures in the long format of
:mod:`questionnaires.register` (indicator, period, level, area, sex, numerator, denominator,
value, unit, source, note). The reader is tolerant: a missing table only leaves out the tables
that need it (with a note), a missing background column only leaves out its block of rows.

Indicator expressions are the questionnaire expression language (FORMAT.md) compiled once by
the plan loader and evaluated over whole columns by the questionnaire package's vectorised
evaluator (:mod:`questionnaires.vectorised`, through :func:`evaluate_frame`), with the same null
rules as the form engine: a declared missing code (98, 99) or a blank is ``null``;
arithmetic with ``null`` is ``null``; ``=`` is true when both sides are ``null``; ``<`` and
friends with a ``null`` side are false; ``and``/``or``/``not`` treat ``null`` and 0 as false.

Plan monitoring (table M1) decides each target's status with the CI rule of
:mod:`analysis.target_status`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.variables import parse_multi_distinct
from questionnaires.codes import MISSING
from questionnaires.errors import ExpressionError
from questionnaires.model import Questionnaire
from questionnaires.plans import LATEST_COLUMN, TablePlan
from questionnaires.register import REGISTER_COLUMNS, RegisterRecord, read_register
from questionnaires.vectorised import Level, MultiColumn, evaluate_columns

__all__ = [
    "SurveyData",
    "evaluate_frame",
    "indicator_values",
    "read_register_file",
    "read_data_dir",
    "source_design",
]

_TRUE_NULL = object()


@dataclass
class SurveyData:
    """The tables of one survey run, prepared for a plan: one DataFrame per plan source."""

    frames: dict[str, pd.DataFrame]
    register: list[RegisterRecord]
    notes: list[tuple[str, str]] = field(default_factory=list)
    missing_codes: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)
    multi: dict[str, set[str]] = field(default_factory=dict)
    _designs: dict[str, SurveyDesign] = field(default_factory=dict, repr=False)


def _read_table(
    folder: Path, names: list[str], keep: Callable[[str], bool] | None = None
) -> pd.DataFrame | None:
    """Read the first table found (Parquet, else CSV), only the columns ``keep`` accepts."""
    for name in names:
        for suffix in (".parquet", ".csv"):
            path = folder / f"{name}{suffix}"
            if not path.is_file():
                continue
            try:
                if suffix == ".parquet":
                    return _read_parquet(path, keep)
                return _small_integers(
                    pd.read_csv(path, encoding="utf-8-sig", low_memory=False, usecols=keep)
                )
            except Exception as exc:  # pandas raises many types for a broken file
                raise AnalysisError(
                    f"data file '{path}' cannot be read ({exc}); re-export it",
                    f"Không đọc được tệp dữ liệu '{path}' ({exc}); hãy xuất lại",
                ) from None
    return None


def _read_parquet(path: Path, keep: Callable[[str], bool] | None) -> pd.DataFrame:
    """Read a Parquet table with integer columns narrowed, freeing Arrow memory as it goes.

    Answers are small codes stored as int64; narrowing them (and converting column by column
    with ``self_destruct``) keeps a million-person roster at a fraction of its int64 size and
    avoids holding the Arrow table and the DataFrame at once.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    columns = None
    if keep is not None:
        columns = [c for c in pq.read_schema(path).names if keep(c)]
    table = pq.read_table(path, columns=columns)
    for i, field_ in enumerate(table.schema):
        if pa.types.is_integer(field_.type) and table.num_rows:
            narrow = _narrow_type(pc.min_max(table.column(i)).as_py())
            if narrow is not None:
                table = table.set_column(i, field_.name, table.column(i).cast(narrow))
    return table.to_pandas(self_destruct=True, split_blocks=True)


def _narrow_type(bounds: dict[str, Any]) -> Any:
    import pyarrow as pa

    low, high = bounds["min"], bounds["max"]
    if low is None or high is None:
        return None
    for kind, info in (
        (pa.int8(), np.iinfo(np.int8)),
        (pa.int16(), np.iinfo(np.int16)),
        (pa.int32(), np.iinfo(np.int32)),
    ):
        if info.min <= low and high <= info.max:
            return kind
    return None


def _small_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV path's counterpart of :func:`_read_parquet`: int64 columns narrowed."""
    for name in frame.columns[frame.dtypes == np.int64]:
        frame[name] = pd.to_numeric(frame[name], downcast="integer")
    return frame


def _needed_columns(plan: TablePlan) -> Callable[[str], bool]:
    """Which data columns the plan can use, so large tables are read only in part."""
    from questionnaires.expressions import references

    names: set[str] = set(plan.design.values()) | set(plan.document.get("household_key", ()))
    names |= {
        "hh_id",
        "household_id",
        "district",
        "commune",
        "village",
        "household_no",
        "residence",
        "line",
        "M02",
        "M03",
        "M05",
        "D2_02",
        "wealth_quintile",
        "W_LINK",
        "hh_link",
    }
    prefixes: list[str] = []
    for entry in plan.asts.values():
        # indicators hold {part: ast}; commune items and targets hold the ast itself
        for ast in [entry] if "node" in entry else entry.values():
            names |= references(ast)
    for source in plan.sources.values():
        names |= {v for v in (source.get("sex"), source.get("line")) if v}
        names |= set(source.get("attach", ()))
        latest = source.get("latest") or {}
        names |= {*latest.get("within", ()), *latest.get("order", ())}
    for variable in plan.row_variables.values():
        column = variable.get("column")
        for value in column.values() if isinstance(column, dict) else [column]:
            names |= {value} if isinstance(value, str) else set(value or ())
        names |= set(variable.get("assets", ()))
    kap = plan.kap
    for key in ("knowledge", "attitude", "wife_beating"):
        names |= set(kap.get(key, {}).get("items", ()))
    for key in ("decisions", "chores"):
        if key in kap:
            prefixes.append(f"{kap[key]['grid']}_")
    names |= {g.get("column") for g in [kap.get("alpha_groups", {})] if g.get("column")}
    names |= {kap.get("sex", "")}
    if kap.get("married"):
        from questionnaires.expressions import compile_expression

        names |= references(compile_expression(kap["married"]))
    support = plan.support_needs
    names |= {support.get("need", ""), support.get("barriers", ""), support.get("sex", "")}
    names |= set(support.get("priorities", ()))
    wanted = frozenset(names - {""})
    starts = tuple(prefixes)

    def keep(column: str) -> bool:
        return column in wanted or column.startswith(starts) if starts else column in wanted

    return keep


def _form_columns(
    form: Questionnaire, group: str | None
) -> tuple[dict[str, tuple[int, ...]], set[str]]:
    missing: dict[str, tuple[int, ...]] = {}
    multi: set[str] = set()
    for question in form.iter_questions():
        missing[question.id] = tuple(question.missing_codes)
        for row in question.rows:
            missing[f"{question.id}_{row.id}"] = tuple(question.missing_codes)
        if question.type == "multi":
            multi.add(question.id)
    return missing, multi


def _key(plan: TablePlan, *frames: pd.DataFrame) -> list[str] | None:
    candidates = [
        list(plan.document.get("household_key", ())),
        ["hh_id"],
        ["household_id"],
        ["district", "commune", "village", "household_no"],
    ]
    for key in candidates:
        if key and all(all(k in f.columns for k in key) for f in frames):
            return key
    return None


def _link_by_code(plan: TablePlan, frame: pd.DataFrame, household: pd.DataFrame) -> pd.DataFrame:
    """Give the women's records their household key through the link code.

    From version 1.1.0 the women's record carries no household number or roster line, only the
    random code ``hh_link`` that the household record holds as ``W_LINK``; the key is looked up
    there, so the module's tables can still be split by the household's background.
    """
    if "hh_link" not in frame.columns or "W_LINK" not in household.columns:
        return frame
    key = _key(plan, household)
    if key is None or len(key) != 1:
        return frame
    column = key[0]
    if column in frame.columns and frame[column].notna().all():
        return frame
    lookup = household.dropna(subset=["W_LINK"]).drop_duplicates("W_LINK")
    found = frame["hh_link"].map(lookup.set_index("W_LINK")[column])
    frame = frame.copy()
    frame[column] = found if column not in frame.columns else frame[column].fillna(found)
    return frame


def read_data_dir(
    data_dir: str | Path, plan: TablePlan, forms: dict[str, Questionnaire]
) -> SurveyData:
    """Read the tables a plan needs from a data folder and add derived and attached columns."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise AnalysisError(
            f"data folder '{folder}' does not exist; give the folder the simulator or the "
            f"export wrote",
            f"Không có thư mục dữ liệu '{folder}'; hãy chỉ thư mục do lệnh simulate hoặc "
            f"export tạo ra",
        )
    raw: dict[str, pd.DataFrame] = {}
    data = SurveyData(frames={}, register=[])
    keep = _needed_columns(plan)
    for sid, source in plan.sources.items():
        names = [source["table"]]
        if source.get("group"):
            names += [source["group"], f"{source['form']}_{source['group']}"]
        frame = _read_table(folder, names, keep)
        if frame is None:
            data.notes.append(
                (
                    f"Table '{source['table']}' is not in {folder}; tables from it are left out.",
                    f"Không có bảng '{source['table']}' trong {folder}; "
                    "các bảng dùng nó bị bỏ qua.",
                )
            )
            continue
        raw[sid] = frame
        missing, multi = _form_columns(forms[source["form"]], source.get("group"))
        data.missing_codes[sid] = missing
        data.multi[sid] = multi
    household_sid = next(
        (
            s
            for s, src in plan.sources.items()
            if src["form"] == "household" and not src.get("group")
        ),
        None,
    )
    member_sid = next(
        (s for s, src in plan.sources.items() if src["form"] == "household" and src.get("group")),
        None,
    )
    household = raw.get(household_sid) if household_sid else None
    member = raw.get(member_sid) if member_sid else None
    if member is not None and household is not None and member_sid is not None:
        key = _key(plan, member, household)
        line = plan.sources[member_sid].get("line", "line")
        if key is not None and line not in member.columns:
            member = member.copy()
            member[line] = member.groupby(key, sort=False).cumcount() + 1
            raw[member_sid] = member
    if household is not None and household_sid is not None:
        household = _derive_household(
            plan,
            household,
            member,
            plan.sources[member_sid].get("line", "line") if member_sid else "line",
        )
        household = _add_wealth(plan, household)
        commune_sid = next((s for s, src in plan.sources.items() if src["form"] == "commune"), None)
        if commune_sid in raw:
            household = _add_commune_area(household, raw[commune_sid])
        raw[household_sid] = household
    if household is not None:
        raw = {
            sid: frame if sid == household_sid else _link_by_code(plan, frame, household)
            for sid, frame in raw.items()
        }
    raw = {sid: _mark_latest(plan, sid, frame) for sid, frame in raw.items()}
    for sid, frame in raw.items():
        if sid != household_sid:
            frame = _attach(
                plan,
                sid,
                frame,
                household,
                member,
                plan.sources[member_sid].get("line", "line") if member_sid else "line",
                data,
            )
        data.frames[sid] = frame
    register = folder / "register.csv"
    if register.is_file():
        data.register = read_register_file(register)
    return data


def _mark_latest(plan: TablePlan, sid: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``is_latest`` to a source that declares ``latest``: 1 on each person's last row.

    A person is the household key plus the ``within`` columns (a mother's roster line); rows
    are ordered by the ``order`` columns (year, then month of birth), ties by their order in
    the file, so twins give one most recent birth. A row whose person is unknown stands alone.
    """
    spec = plan.sources[sid].get("latest")
    if not spec or LATEST_COLUMN in frame.columns:
        return frame
    key = _key(plan, frame) or []
    within = [c for c in (*key, *spec["within"]) if c in frame.columns]
    order = [c for c in spec["order"] if c in frame.columns]
    frame = frame.copy()
    if not within or not order:
        frame[LATEST_COLUMN] = np.nan
        return frame
    sort = frame[within + order].apply(pd.to_numeric, errors="coerce")
    coded = [c for c in (*spec["within"], *order) if c in sort.columns]
    sort[coded] = sort[coded].where(~sort[coded].isin(MISSING))
    sort["_row"] = np.arange(len(frame))
    known = sort[within].notna().all(axis=1).to_numpy()
    ordered = sort.loc[known].sort_values(order + ["_row"], kind="stable", na_position="first")
    last = ordered.drop_duplicates(within, keep="last")["_row"].to_numpy()
    flag = np.where(known, 0.0, 1.0)
    flag[last] = 1.0
    frame[LATEST_COLUMN] = flag
    return frame


def read_register_file(path: Path) -> list[RegisterRecord]:
    """The register figures of a data folder, in the long format of :mod:`questionnaires.register`.

    A file in the old two-column layout (``code,value``) is refused with a message naming the
    file and giving the new header, so nobody's figures are silently read wrong.
    """
    with path.open(encoding="utf-8-sig") as handle:
        first = handle.readline()
    header = [h.strip() for h in first.strip().split(",")]
    if header[:2] == ["code", "value"]:
        raise AnalysisError(
            f"{path}: this register file is in the old 'code,value' layout; write one figure "
            f"per row in the long format with the header {','.join(REGISTER_COLUMNS)} "
            f"(see the README, section on the register)",
            f"{path}: tệp sổ đăng ký này theo mẫu cũ 'code,value'; hãy ghi mỗi số liệu một dòng "
            f"theo mẫu dài với dòng tiêu đề {','.join(REGISTER_COLUMNS)} "
            f"(xem README, phần sổ đăng ký)",
        )
    return read_register(path)


def _derive_household(
    plan: TablePlan, household: pd.DataFrame, member: pd.DataFrame | None, line: str
) -> pd.DataFrame:
    """Add the head's sex and ethnicity and whether a business owner is a woman (D2_02)."""
    household = household.copy()
    if member is None:
        return household
    key = _key(plan, household, member)
    if key is None or "M02" not in member.columns:
        return household
    heads = member.loc[pd.to_numeric(member["M02"], errors="coerce") == 1]
    heads = heads.drop_duplicates(key)
    take = {c: n for c, n in (("M03", "head_sex"), ("M05", "head_ethnicity")) if c in heads}
    household = household.drop(columns=[n for n in take.values() if n in household.columns])
    household = household.merge(heads[key + list(take)].rename(columns=take), on=key, how="left")
    if "D2_02" in household.columns and "M03" in member.columns:
        owners = household[key + ["D2_02"]].copy()
        lines = _safe_multi_column(household["D2_02"])
        owners["_line"] = lines
        owners = owners.explode("_line").dropna(subset=["_line"])
        owners["_line"] = owners["_line"].astype(int)
        sexes = member[key + [line, "M03"]].rename(columns={line: "_line"})
        owners = owners.merge(sexes, on=key + ["_line"], how="left")
        female = (
            (pd.to_numeric(owners["M03"], errors="coerce") == 2)
            .groupby([owners[k] for k in key])
            .any()
            .rename("owner_female")
            .astype(float)
            .reset_index()
        )
        household = household.drop(columns=["owner_female"], errors="ignore").merge(
            female, on=key, how="left"
        )
        has_owner = lines.map(bool).to_numpy()
        household.loc[~has_owner, "owner_female"] = np.nan
    return household


def _add_commune_area(household: pd.DataFrame, commune: pd.DataFrame) -> pd.DataFrame:
    """Bring the commune's area class (COM_AREA: ethnic-minority area I–III) and Programme-135
    status (COM_135) to its households, for the targets set in remote and disadvantaged areas."""
    key = ["district", "commune"]
    if not all(k in household.columns and k in commune.columns for k in key):
        return household
    wanted = [c for c in ("COM_AREA", "COM_135") if c in commune.columns]
    wanted = [c for c in wanted if c not in household.columns]
    if not wanted:
        return household
    areas = commune[key + wanted].drop_duplicates(key)
    return household.merge(areas, on=key, how="left")


def _safe_multi_column(column: pd.Series) -> pd.Series:
    """Each row's codes of a multi-choice answer without the missing codes (none where it is
    unanswered or not a list of codes), each distinct answer parsed once: a Python call per
    household was a third of reading a million persons' data."""
    parsed, position = parse_multi_distinct(column)
    lines = [[c for c in (codes or []) if c not in MISSING] for codes in parsed]
    return pd.Series([lines[i] for i in position], index=column.index, dtype=object)


def _add_wealth(plan: TablePlan, household: pd.DataFrame) -> pd.DataFrame:
    """Wealth quintile: first principal component of the asset indicators (DHS), weighted."""
    spec = next(
        (v for v in plan.row_variables.values() if v.get("derived") == "wealth_quintile"), None
    )
    if spec is None or "wealth_quintile" in household.columns:
        return household
    assets = [c for c in spec.get("assets", ()) if c in household.columns]
    if len(assets) < 2:
        return household
    x = household[assets].apply(pd.to_numeric, errors="coerce")
    x = x.where(~x.isin(MISSING))
    x = x.fillna(x.mean())
    std = x.std(ddof=0).replace(0, np.nan)
    z = ((x - x.mean()) / std).fillna(0.0).to_numpy()
    if not np.any(z):
        return household
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    loading = vt[0]
    if loading.sum() < 0:  # more assets means richer
        loading = -loading
    score = z @ loading
    weight_col = plan.design["weight"]
    w = (
        pd.to_numeric(household[weight_col], errors="coerce").fillna(0).to_numpy()
        if weight_col in household.columns
        else np.ones(len(household))
    )
    order = np.argsort(score, kind="stable")
    cum = np.cumsum(w[order])
    total = cum[-1] if len(cum) and cum[-1] > 0 else 1.0
    quintile = np.empty(len(score), dtype=float)
    quintile[order] = np.minimum(np.floor(5 * (cum - w[order] / 2) / total), 4) + 1
    household = household.copy()
    household["wealth_quintile"] = quintile
    return household


def _attach(
    plan: TablePlan,
    sid: str,
    frame: pd.DataFrame,
    household: pd.DataFrame | None,
    member: pd.DataFrame | None,
    member_line: str,
    data: SurveyData,
) -> pd.DataFrame:
    source = plan.sources[sid]
    design_cols = list(plan.design.values())
    wanted = [c for c in list(source.get("attach", ())) + design_cols if c not in frame.columns]
    if not wanted:
        return frame
    if household is not None:
        key = _key(plan, frame, household)
        cols = [c for c in wanted if c in household.columns]
        if key is not None and cols:
            _look_up(frame, household[key + cols], key, cols)
            wanted = [c for c in wanted if c not in cols]
    line = source.get("line")
    if member is not None and line and line in frame.columns and wanted:
        key = _key(plan, frame, member)
        cols = [c for c in wanted if c in member.columns]
        if key is not None and cols:
            lookup = member[key + [member_line] + cols].rename(columns={member_line: line})
            _look_up(frame, lookup, key + [line], cols)
    return frame


def _keys_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]])
    return pd.MultiIndex.from_frame(frame[key])


def _look_up(frame: pd.DataFrame, source: pd.DataFrame, key: list[str], cols: list[str]) -> None:
    """Add ``cols`` of ``source`` to ``frame`` in place, matched on ``key`` (first match).

    The same as a left merge, without copying the frame: on a million-person roster the merge
    held the roster twice.
    """
    source = source.drop_duplicates(key).reset_index(drop=True)
    position = _keys_index(source, key).get_indexer(_keys_index(frame, key))
    for column in cols:
        frame[column] = source[column].reindex(position).to_numpy()


# --------------------------------------------------------------------------------------------
# vectorised expressions


# Functions a table plan may not use: they read a whole roster or build text, not a column.
_ROW_FUNCTIONS = frozenset({"count", "sum", "concat", "string-length"})


def _check_plan_expression(node: dict[str, Any]) -> None:
    """Refuse what a table plan's expression cannot mean over data columns, naming it."""
    kind = node["node"]
    if kind == "string":
        raise AnalysisError(
            f"text value '{node['value']}' cannot be compared over data columns; use a "
            f"choice name of a choice question",
            f"Giá trị chữ '{node['value']}' không so sánh được trên cột dữ liệu; hãy dùng "
            f"tên lựa chọn của câu hỏi có lựa chọn",
        )
    if kind not in ("number", "ref", "negate", "binary", "call"):
        raise AnalysisError(
            f"expression node '{kind}' is not allowed in a table plan",
            f"Nút biểu thức '{kind}' không dùng được trong kế hoạch bảng",
        )
    if kind == "call":
        name = node["name"]
        if name in _ROW_FUNCTIONS:
            raise AnalysisError(
                f"function '{name}' cannot be used in a table plan (it needs the row's roster)",
                f"Hàm '{name}' không dùng được trong kế hoạch bảng (cần danh sách thành viên)",
            )
        if name in ("selected", "count-selected") and node["args"][0]["node"] != "ref":
            raise AnalysisError(
                f"{name}() needs a question as its first argument",
                f"{name}() cần một câu hỏi ở đối số đầu",
            )
        for arg in node["args"]:
            _check_plan_expression(arg)
    elif kind == "negate":
        _check_plan_expression(node["operand"])
    elif kind == "binary":
        _check_plan_expression(node["left"])
        _check_plan_expression(node["right"])


class _FrameColumns:
    """A data frame's columns in the layout of :mod:`questionnaires.vectorised`, built on use.

    A column is a number wherever it is read as one (declared missing codes and non-numbers are
    null); a multi-choice question is read as its list of codes, so an answered question is true
    even with nothing chosen, as in the form engine. The first argument of ``selected`` is read
    as a multi-choice answer when the question is multi-choice (or the column holds text): a list
    of codes per row, or, when the export split it, its 0/1 columns ``<question>_<code>``;
    ``count-selected`` always counts the codes in the row's list. Those readings get their own
    column keys, so one question can be read
    both ways in one expression.
    """

    def __init__(
        self, frame: pd.DataFrame, missing: dict[str, tuple[int, ...]], multi: set[str]
    ) -> None:
        self.frame = frame
        self.missing = missing
        self.multi = multi
        self.n = len(frame)
        self._columns: dict[str, Any] = {}

    def column(self, name: str) -> np.ndarray:
        """The column as floats: NaN where blank, not a number or a declared missing code."""
        key = f"{name}#num"
        if key not in self._columns:
            if name not in self.frame.columns:
                values = np.full(self.n, np.nan)
            else:
                raw = self.frame[name]
                values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
                codes = self.missing.get(name, ())
                if codes:
                    values = np.where(np.isin(values, codes), np.nan, values)
            self._columns[key] = values
        return np.asarray(self._columns[key])

    def lists(self, name: str) -> MultiColumn:
        """The answers as lists of codes (a lone declared missing code is unanswered).

        Each distinct answer is parsed once and its row of the 0/1 matrix built once; rows take
        theirs by position (a million-row column holds a few hundred distinct answers).
        """
        key = f"{name}#list"
        if key not in self._columns:
            if name not in self.frame.columns:
                parsed: list[list[int] | None] = [None]
                position = np.zeros(self.n, np.int64)
            else:
                missing = set(self.missing.get(name, ()))
                parsed, position = parse_multi_distinct(self.frame[name])
                parsed = [
                    None if v is not None and len(v) == 1 and v[0] in missing else v for v in parsed
                ]
            codes = sorted({c for v in parsed if v for c in v})
            where = {c: j for j, c in enumerate(codes)}
            distinct = np.zeros((len(parsed), len(codes)), bool)
            for i, value in enumerate(parsed):
                if value:
                    distinct[i, [where[c] for c in value]] = True
            answered = np.array([v is not None for v in parsed], bool)
            self._columns[key] = MultiColumn(
                tuple(codes), distinct[position], answered[position], np.full(self.n, np.nan)
            )
        return cast(MultiColumn, self._columns[key])

    def dummies(self, name: str) -> MultiColumn | None:
        """The 0/1 columns ``<name>_<code>`` of a split multi-choice question, if any."""
        key = f"{name}#dummies"
        if key not in self._columns:
            prefix = f"{name}_"
            codes = sorted(
                int(c[len(prefix) :])
                for c in self.frame.columns
                if isinstance(c, str) and c.startswith(prefix) and c[len(prefix) :].isdigit()
            )
            if not codes:
                self._columns[key] = None
            else:
                matrix = np.column_stack([self.column(f"{name}_{c}") == 1 for c in codes])
                self._columns[key] = MultiColumn(
                    tuple(codes), matrix, np.ones(self.n, bool), np.full(self.n, np.nan)
                )
        return cast(MultiColumn | None, self._columns[key])

    def _choices_of(self, name: str) -> tuple[str, Any]:
        """The column key and column ``selected(${name}, …)`` reads."""
        if name in self.multi and name not in self.frame.columns:
            split = self.dummies(name)
            if split is not None:
                return f"{name}#dummies", split
        if name in self.multi or (name in self.frame.columns and self.frame[name].dtype == object):
            return f"{name}#list", self.lists(name)
        return f"{name}#num", self.column(name)

    def _bind(self, node: dict[str, Any], level: Level) -> dict[str, Any]:
        """``node`` with every reference renamed to the column key it reads, put in ``level``."""
        kind = node["node"]
        if kind == "ref":
            name = node["name"]
            column: Any
            if name in self.multi:
                # A multi-choice answer stays a list: answered (even with nothing chosen) is true.
                key, column = f"{name}#list", self.lists(name)
            else:
                key, column = f"{name}#num", self.column(name)
            level.columns[key] = column
            return {"node": "ref", "name": key}
        if kind == "negate":
            return {"node": "negate", "operand": self._bind(node["operand"], level)}
        if kind == "binary":
            return {
                "node": "binary",
                "op": node["op"],
                "left": self._bind(node["left"], level),
                "right": self._bind(node["right"], level),
            }
        if kind == "call":
            args = node["args"]
            name = node["name"]
            if name in ("selected", "count-selected"):
                question = args[0]["name"]
                if name == "selected":
                    key, column = self._choices_of(question)
                else:
                    key, column = f"{question}#list", self.lists(question)
                level.columns[key] = column
                bound = [{"node": "ref", "name": key}]
                bound += [self._bind(arg, level) for arg in args[1:]]
            else:
                bound = [self._bind(arg, level) for arg in args]
            return {"node": "call", "name": name, "args": bound}
        return node

    def run(self, ast: dict[str, Any]) -> np.ndarray:
        """The expression's value on every row as floats (NaN = null, 1/0 = true/false)."""
        _check_plan_expression(ast)
        level = Level(self.n)
        try:
            value = evaluate_columns(self._bind(ast, level), {None: level})
        except ExpressionError as error:
            raise AnalysisError(
                f"indicator expression cannot be evaluated over the data: {error}",
                f"Không tính được biểu thức chỉ số trên dữ liệu: {error}",
            ) from error
        if value.kind == "bool":
            return np.asarray(value.data.astype(float))
        return np.asarray(value.data, dtype=float)


def _truthy(values: np.ndarray) -> np.ndarray:
    return np.asarray(~np.isnan(values) & (values != 0))


def evaluate_frame(
    ast: dict[str, Any],
    frame: pd.DataFrame,
    missing_codes: dict[str, tuple[int, ...]] | None = None,
    multi: set[str] | None = None,
) -> np.ndarray:
    """Value of a compiled expression for every row, as floats (NaN = null, 1/0 = true/false)."""
    return _FrameColumns(frame, missing_codes or {}, multi or set()).run(ast)


def indicator_values(
    data: SurveyData, plan: TablePlan, indicator_id: str
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """The per-row analysis values of an indicator in its source frame.

    Returns ``(source id, values, denominator values or None)``; rows outside the population
    (or with an ``answered`` question unanswered) are NaN, so estimators leave them out.
    """
    spec = plan.indicators[indicator_id]
    sid = spec["source"]
    frame = data.frames[sid]
    asts = plan.asts[indicator_id]
    evaluator = _FrameColumns(frame, data.missing_codes.get(sid, {}), data.multi.get(sid, set()))
    keep = np.ones(len(frame), dtype=bool)
    if "population" in asts:
        keep &= _truthy(evaluator.run(asts["population"]))
    for qid in spec.get("answered", ()):
        keep &= ~np.isnan(evaluator.column(qid))
    numerator = evaluator.run(asts["numerator"])
    if spec["type"] == "proportion":
        numerator = _truthy(numerator).astype(float)
    values = np.where(keep, numerator, np.nan)
    denominator = None
    if spec["type"] == "ratio":
        den = _truthy(evaluator.run(asts["denominator"])).astype(float)
        values = np.where(keep, _truthy(numerator).astype(float), np.nan)
        denominator = np.where(keep, den, np.nan)
    return sid, values, denominator


def source_design(
    data: SurveyData, plan: TablePlan, sid: str, frame: pd.DataFrame | None = None
) -> SurveyDesign:
    """The survey design over one source (R: ``svydesign(ids=~psu, strata=~stratum, ...)``).

    Strata with one PSU are centred on the grand mean (``lonely_psu="adjust"``), so a report
    on a thin sample still runs; PSU codes are taken as nested in strata.
    """
    if frame is None and sid in data._designs:
        return data._designs[sid]
    design_spec = plan.design
    target = data.frames[sid] if frame is None else frame
    weight = design_spec["weight"]
    if weight not in target.columns:
        raise AnalysisError(
            f"table of source '{sid}' has no weight column '{weight}'; the data folder must "
            f"carry the design columns",
            f"Bảng của nguồn '{sid}' không có cột trọng số '{weight}'; dữ liệu phải có các cột "
            f"thiết kế mẫu",
            column=weight,
        )
    strata = design_spec["stratum"] if design_spec["stratum"] in target.columns else None
    psu = design_spec["psu"] if design_spec["psu"] in target.columns else None
    design = SurveyDesign(
        target, weight=weight, strata=strata, psu=psu, lonely_psu="adjust", nest=True
    )
    if frame is None:
        data._designs[sid] = design
    return design
