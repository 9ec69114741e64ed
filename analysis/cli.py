"""The ``gesurvey analyze`` commands: design-based estimates, gaps and Rao-Scott tests from files.

Data files are CSV or Parquet (chosen by suffix). Rows are numbered from 1 after the header in
messages. Bad input (unknown column, non-numeric weight, a PSU in two strata, ...) exits with
status 2 and a message in Vietnamese and English naming the column and the rows.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from analysis.errors import AnalysisError
from analysis.lonely_psu import LONELY_PSU_RULES
from analysis.replicates_cli import replicate_options

if TYPE_CHECKING:
    import pandas as pd

    from analysis.design import SurveyDesign

# pandas, numpy and the estimators are imported inside the commands: `gesurvey analyze --help`
# and argument errors answer without loading them.

__all__ = ["analyze", "design_flags", "design_options", "read_table"]

# Column headers of the text format, by language.
HEADERS = {
    "en": {
        "variable": "variable",
        "level": "level",
        "estimate": "estimate",
        "std_error": "std. error",
        "ci_low": "CI low",
        "ci_high": "CI high",
        "df": "df",
        "deff": "deff",
        "n_unweighted": "n",
        "sum_weights": "weighted N",
        "difference": "gap",
        "p_value": "p-value",
        "ratio": "ratio",
        "ratio_ci_low": "ratio CI low",
        "ratio_ci_high": "ratio CI high",
        "estimate_a": "estimate (a)",
        "estimate_b": "estimate (b)",
        "statistic": "statistic",
        "ndf": "ndf",
        "ddf": "ddf",
        "method": "method",
        "design": "Design",
        "n": "n",
        "n_strata": "strata",
        "n_psu": "PSUs",
        "degf": "design df",
        "between": "between",
        "group_a": "group a",
        "group_b": "group b",
        "ratio_std_error": "ratio std. error",
        "n_unweighted_a": "n (a)",
        "n_unweighted_b": "n (b)",
        "rows": "rows",
        "cols": "columns",
        "order": "order",
        "pearson": "Pearson X²",
        "adjusted_statistic": "adjusted statistic",
        "std_error_a": "std. error (a)",
        "std_error_b": "std. error (b)",
        "change": "change",
        "gap_change": "gap change",
        "gap_p_value": "gap p-value",
    },
    "vi": {
        "variable": "biến",
        "level": "mức",
        "estimate": "ước lượng",
        "std_error": "sai số chuẩn",
        "ci_low": "KTC dưới",
        "ci_high": "KTC trên",
        "df": "bậc tự do",
        "deff": "hiệu ứng thiết kế",
        "n_unweighted": "n",
        "sum_weights": "N gia quyền",
        "difference": "chênh lệch",
        "p_value": "giá trị p",
        "ratio": "tỉ số",
        "ratio_ci_low": "KTC dưới tỉ số",
        "ratio_ci_high": "KTC trên tỉ số",
        "estimate_a": "ước lượng (a)",
        "estimate_b": "ước lượng (b)",
        "statistic": "thống kê",
        "ndf": "bậc tự do tử",
        "ddf": "bậc tự do mẫu",
        "method": "phương pháp",
        "design": "Thiết kế",
        "n": "n",
        "n_strata": "số tầng",
        "n_psu": "số PSU",
        "degf": "bậc tự do thiết kế",
        "between": "so sánh theo",
        "group_a": "nhóm a",
        "group_b": "nhóm b",
        "ratio_std_error": "sai số chuẩn tỉ số",
        "n_unweighted_a": "n (a)",
        "n_unweighted_b": "n (b)",
        "rows": "biến hàng",
        "cols": "biến cột",
        "order": "bậc",
        "pearson": "X² Pearson",
        "adjusted_statistic": "thống kê hiệu chỉnh",
        "std_error_a": "sai số chuẩn (a)",
        "std_error_b": "sai số chuẩn (b)",
        "change": "thay đổi",
        "gap_change": "thay đổi chênh lệch",
        "gap_p_value": "giá trị p chênh lệch",
    },
}


# pandas' read_csv spellings of a missing value, so both readers see the same blanks.
_NULL_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]


def _csv_header(path: Path) -> list[str]:
    import csv

    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _wanted(available: Sequence[str], columns: Sequence[str], prefixes: Sequence[str]) -> Any:
    """The available columns to read, or None (all) when a requested one is absent.

    Reading everything when a column is missing keeps the error message's list of the file's
    columns complete; ``prefixes`` also take ``<prefix>_…`` columns (grid rows of a question).
    """
    present = set(available)
    if not all(column in present for column in columns):
        return None
    wanted = set(columns)
    return [
        name
        for name in available
        if name in wanted or any(name.startswith(f"{prefix}_") for prefix in prefixes)
    ]


def _read_csv(path: Path, columns: Sequence[str] | None, prefixes: Sequence[str]) -> Any:
    """A CSV file through pyarrow's multithreaded reader, typed as ``pandas.read_csv`` types it.

    Dates and times stay text (pyarrow would parse them) and all-blank columns are float NaN.
    """
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    include = None if columns is None else _wanted(_csv_header(path), columns, prefixes)

    def read(text_columns: Sequence[str] = ()) -> Any:
        options = pa_csv.ConvertOptions(
            include_columns=include,
            null_values=_NULL_VALUES,
            strings_can_be_null=True,
            timestamp_parsers=[],
            column_types={name: pa.string() for name in text_columns},
        )
        return pa_csv.read_csv(path, convert_options=options)

    table = read()
    temporal = [field.name for field in table.schema if pa.types.is_temporal(field.type)]
    if temporal:
        table = read(temporal)
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.float64()))
    return table


def _system_allocator() -> None:
    """Give Arrow the C library's allocator unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one.

    Reading a file allocates and frees a few hundred MB once: pyarrow's default mimalloc pool
    spent 0.4-0.8 s of system time on it (page resets) for a 1,000,000-row CSV, as long as all
    the rest of ``analyze estimate``; the system allocator 0.2 s, jemalloc in between.
    """
    import os

    import pyarrow as pa

    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


def read_table(
    path: str | Path, columns: Sequence[str] | None = None, prefixes: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a CSV or Parquet file; rows are labelled 1, 2, ... as in messages.

    ``columns`` (with ``prefixes``, see :func:`_wanted`) limits what is read, which is most of
    the time of a command on a wide export; every column is read when one of them is absent.
    """
    import pandas as pd

    data = read_arrow(path, columns, prefixes).to_pandas()
    data.index = pd.RangeIndex(1, len(data) + 1)
    return data


def read_arrow(
    path: str | Path, columns: Sequence[str] | None = None, prefixes: Sequence[str] = ()
) -> Any:
    """:func:`read_table` as a ``pyarrow.Table``, the form a :class:`SurveyDesign` takes
    without loading pandas (it converts to the same DataFrame only if a command needs one)."""
    _system_allocator()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise AnalysisError(
            f"data file '{path}' must end in .csv or .parquet",
            f"Tệp dữ liệu '{path}' phải có đuôi .csv hoặc .parquet",
        )
    try:
        if suffix == ".csv":
            table = _read_csv(path, columns, prefixes)
        else:
            from pyarrow import parquet

            # One file: its reader, not read_table's dataset layer (which imports pandas).
            handle = parquet.ParquetFile(path)
            include = None
            if columns is not None:
                include = _wanted(handle.schema_arrow.names, columns, prefixes)
            table = handle.read(columns=include)
    except (OSError, ValueError) as exc:
        raise AnalysisError(
            f"cannot read data file '{path}': {exc}",
            f"Không đọc được tệp dữ liệu '{path}': {exc}",
        ) from exc
    return table


def _fail(error: AnalysisError) -> None:
    click.echo(f"Lỗi: {error.message('vi')}", err=True)
    click.echo(f"Error: {error.message('en')}", err=True)
    raise SystemExit(2)


def design_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every analyze command shares: the data file and the design."""
    return click.argument("data", type=click.Path(exists=True, dir_okay=False))(
        design_flags(command)
    )


def design_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """The design and output options (``--weight``, ``--strata``, … ``--format``, ``--lang``).

    Commands reading one data file take them through :func:`design_options`; ``analyze
    change`` reads two files with the same flags.
    """
    options = [
        click.option("--weight", required=True, help="Weight column / cột trọng số."),
        click.option("--strata", default=None, help="Stratum column / cột tầng."),
        click.option("--psu", default=None, help="PSU column / cột đơn vị mẫu cấp 1."),
        click.option(
            "--fpc",
            default=None,
            help="FPC column: population PSUs or sampling fraction / cột fpc: số PSU tổng thể "
            "hoặc tỉ lệ chọn mẫu.",
        ),
        click.option(
            "--nest/--no-nest",
            default=False,
            help="PSU codes restart in each stratum (R nest=TRUE) / mã PSU đánh lại theo tầng.",
        ),
        click.option(
            "--lonely-psu",
            type=click.Choice(LONELY_PSU_RULES),
            default="fail",
            show_default=True,
            help="Rule for strata with one PSU / quy tắc tầng một PSU.",
        ),
        click.option(
            "--level",
            type=float,
            default=0.95,
            show_default=True,
            help="Confidence level / mức tin cậy.",
        ),
        click.option(
            "--missing-code",
            "missing_codes",
            type=int,
            multiple=True,
            help="Answer code meaning missing, e.g. 98 and 99 / mã giá trị thiếu.",
        ),
        click.option(
            "--form",
            default=None,
            help="Questionnaire (bundled id or .json path): its missing codes become missing "
            "and multi-choice questions become 0/1 columns / bảng hỏi dùng để xử lý mã thiếu "
            "và câu nhiều lựa chọn.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["json", "csv", "text"]),
            default="json",
            show_default=True,
            help="Output format / định dạng kết quả.",
        ),
        click.option(
            "--lang",
            type=click.Choice(["vi", "en"]),
            default="vi",
            show_default=True,
            help="Language of text output / ngôn ngữ.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _public_use(
    data_path: str,
    weight: str,
    replicates: str | None,
    strata: str | None,
    psu: str | None,
) -> dict[str, Any] | None:
    """The replicate settings of a public-use file (``DATA.replicates.json`` beside it), used
    for its SEs when no design (``--strata``/``--psu``) nor ``--replicates`` is asked for: a
    file without PSU codes analysed as a simple random sample would understate its SEs."""
    if replicates or strata or psu:
        return None
    from analysis.replicates_cli import read_sidecar

    meta = read_sidecar(data_path)
    if meta is not None and str(meta.get("weight")) != weight:
        raise AnalysisError(
            f"{meta['file']}: the replicate weights go with the weight column "
            f"'{meta.get('weight')}', not '{weight}'; use --weight {meta.get('weight')}",
            f"{meta['file']}: trọng số mẫu lặp đi với cột trọng số '{meta.get('weight')}', "
            f"không phải '{weight}'; hãy dùng --weight {meta.get('weight')}",
        )
    return meta


def _replicate_summary(
    rep: Any, design: SurveyDesign, sidecar: dict[str, Any] | None
) -> dict[str, Any]:
    """The design line of replicate estimates: strata and PSUs are those of the design the
    replicates were built from; a public-use file has none to show, and names its settings."""
    if sidecar is not None:
        return dict(rep.summary()) | {"n_strata": "—", "n_psu": "—", "settings": sidecar["file"]}
    return dict(rep.summary()) | {"n_strata": design.n_strata, "n_psu": design.n_psu}


def _build(
    data_path: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    nest: bool,
    lonely_psu: str,
    columns: Sequence[str],
    form: str | None = None,
) -> SurveyDesign:
    """Read the design columns and ``columns`` (all of a question's columns with ``form``)."""
    from analysis.design import SurveyDesign

    design_columns = [c for c in (weight, strata, psu, fpc) if c]
    wanted = list(dict.fromkeys([*design_columns, *columns]))
    data = read_arrow(data_path, wanted, prefixes=list(columns) if form else ())
    return SurveyDesign(
        data, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu, nest=nest
    )


def _apply_missing(
    design: SurveyDesign, columns: Sequence[str], codes: Sequence[int], numeric: bool
) -> None:
    """Declared missing codes become NaN in the analysed columns (never averaged)."""
    if not codes:
        return
    from analysis.variables import missing_to_nan

    for column in columns:
        if column not in design.data.columns:
            continue
        values = design.data[column]
        if numeric:
            design.data[column] = missing_to_nan(values, codes)
        else:
            as_text = values.astype(str)
            hit = values.isin(list(codes)) | as_text.isin([str(c) for c in codes])
            design.data[column] = values.mask(hit)


def _split(values: Sequence[str]) -> list[str]:
    """Repeated options that may also be comma-separated: ``--by sex --by district,urban``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _load_form(reference: str) -> Any:
    """A questionnaire by bundled id (``individual``) or by path to its JSON file."""
    from questionnaires import QuestionnaireError, load_bundled, load_questionnaire

    try:
        if reference.endswith(".json") or Path(reference).exists():
            return load_questionnaire(reference)
        forms = load_bundled()
    except (QuestionnaireError, OSError) as exc:
        raise AnalysisError(
            f"cannot load questionnaire '{reference}': {exc}",
            f"Không tải được bảng hỏi '{reference}': {exc}",
        ) from exc
    if reference not in forms:
        known = ", ".join(sorted(forms))
        raise AnalysisError(
            f"no bundled questionnaire '{reference}'; bundled: {known}",
            f"Không có bảng hỏi '{reference}'; các bảng hỏi có sẵn: {known}",
        )
    return forms[reference]


def _apply_form(design: SurveyDesign, form: Any, variables: Sequence[str]) -> list[str]:
    """Prepare the analysed columns from their questions; multi questions expand to 0/1 columns.

    Returns the variables to analyse (a multi question is replaced by its choice columns).
    """
    from analysis.variables import missing_to_nan, question_columns

    grid_rows = {
        f"{q.id}_{row.id}": q for q in form.iter_questions() if q.type == "grid" for row in q.rows
    }
    analysed: list[str] = []
    for variable in variables:
        try:
            question = form.question(variable)
        except KeyError:
            question = None
        if question is None and variable in grid_rows and variable in design.data.columns:
            codes = grid_rows[variable].missing_codes or ()
            design.data[variable] = missing_to_nan(design.data[variable], codes)
            analysed.append(variable)
            continue
        if question is None or question.type in ("text", "date", "note"):
            analysed.append(variable)
            continue
        columns = question_columns(design.data, question, column=variable)
        for column in columns.columns:
            design.data[column] = columns[column]
        analysed.extend(columns.columns if question.type in ("multi", "grid") else [variable])
    return analysed


def _records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    flat = []
    for record in records:
        row = {f"domain.{k}": v for k, v in (record.get("domain") or {}).items()}
        row.update({k: v for k, v in record.items() if k != "domain"})
        flat.append(row)
    return pd.DataFrame.from_records(flat)


def _emit(payload: dict[str, Any], rows_key: str | None, fmt: str, lang: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(payload, ensure_ascii=False, allow_nan=False, indent=2))
        return
    import pandas as pd

    if rows_key is None:
        frame = pd.DataFrame([{k: v for k, v in payload.items() if k != "design"}])
    else:
        frame = _records_frame(payload[rows_key])
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        click.echo(buffer.getvalue(), nl=False)
        return
    names = HEADERS[lang]
    design = payload["design"]
    click.echo(
        f"{names['design']}: {names['n']}={design['n']}, {names['n_strata']}="
        f"{design['n_strata']}, {names['n_psu']}={design['n_psu']}, {names['degf']}="
        f"{design['degf']}, {names['sum_weights']}={design['sum_weights']:.6g}"
    )
    shown = frame.rename(columns={k: v for k, v in names.items() if k in frame.columns})
    click.echo(shown.to_string(index=False, na_rep="—", float_format=lambda x: f"{x:.6g}"))


def _guard(function: Callable[..., None]) -> Callable[..., None]:
    """Turn AnalysisError into exit status 2 with a bilingual message."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except AnalysisError as error:
            _fail(error)

    return wrapper


@click.group()
def analyze() -> None:
    """Design-based estimates, gaps and tests.

    Ước lượng theo thiết kế mẫu, chênh lệch giới và kiểm định.
    """


@analyze.command()
@design_options
@click.option(
    "--var",
    "variables",
    multiple=True,
    required=True,
    help="Variable to estimate (repeatable) / biến cần ước lượng.",
)
@click.option(
    "--stat",
    "stats",
    type=click.Choice(["mean", "proportion", "total", "ratio", "quantile"]),
    multiple=True,
    default=("mean",),
    show_default=True,
    help="Statistic: once for every --var, or once per --var in the same order / thống kê: "
    "một lần cho mọi --var, hoặc mỗi --var một lần theo cùng thứ tự.",
)
@click.option("--denominator", default=None, help="Denominator of --stat ratio / mẫu số.")
@click.option(
    "--quantile",
    "--q",
    "quantiles",
    type=float,
    multiple=True,
    help="Quantile for --stat quantile (default 0.25 0.5 0.75) / phân vị.",
)
@click.option(
    "--by", multiple=True, help="Domain column (repeatable or comma-separated) / cột miền."
)
@replicate_options
@_guard
def estimate(
    data: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    nest: bool,
    lonely_psu: str,
    level: float,
    missing_codes: tuple[int, ...],
    form: str | None,
    fmt: str,
    lang: str,
    variables: tuple[str, ...],
    stats: tuple[str, ...],
    denominator: str | None,
    quantiles: tuple[float, ...],
    by: tuple[str, ...],
    replicates: str | None,
    replicates_n: int,
    seed: int,
    interval_type: str,
) -> None:
    """Estimate means, proportions, totals, ratios or quantiles, by domain.

    Several variables with their own statistics share one reading of the data and one design:
    ``--var score --stat mean --var support_need --stat proportion``. With ``--replicates``
    the SEs come from replicate weights built from the design (``analysis.replicates``).
    """
    from analysis import estimators

    if len(stats) not in (1, len(variables)):
        raise AnalysisError(
            f"give --stat once, or once per --var ({len(variables)}), not {len(stats)} times",
            f"Hãy cho --stat một lần, hoặc mỗi --var một lần ({len(variables)}), không phải "
            f"{len(stats)} lần",
        )
    paired = list(zip(variables, stats if len(stats) > 1 else stats * len(variables), strict=True))
    if any(stat == "ratio" for _, stat in paired) and not denominator:
        raise AnalysisError("--stat ratio needs --denominator", "--stat ratio cần --denominator")
    columns = [*variables, *_split(by), *([denominator] if denominator else [])]
    sidecar = _public_use(data, weight, replicates, strata, psu)
    if sidecar is not None:
        columns += list(sidecar["repweights"])
    design = _build(data, weight, strata, psu, fpc, nest, lonely_psu, columns, form)
    if form:
        questionnaire = _load_form(form)
        paired = [
            (column, stat)
            for variable, stat in paired
            for column in _apply_form(design, questionnaire, [variable])
        ]
        if denominator:
            _apply_form(design, questionnaire, [denominator])
    numeric = [variable for variable, stat in paired if stat != "proportion"]
    categorical = [variable for variable, stat in paired if stat == "proportion"]
    if denominator:
        (numeric if numeric else categorical).append(denominator)
    _apply_missing(design, numeric, missing_codes, True)
    _apply_missing(design, categorical, missing_codes, False)
    domains = _split(by)
    rows: list[dict[str, Any]] = []
    if replicates or sidecar is not None:
        from analysis.replicates_cli import (
            build_replicates,
            public_use_replicates,
            replicate_estimate,
        )

        if sidecar is not None:
            rep = public_use_replicates(design, sidecar)
        else:
            rep = build_replicates(design, replicates or "jk", replicates_n, seed)
        for variable, stat in paired:
            table = replicate_estimate(
                rep, stat, variable, denominator, quantiles, domains, level, interval_type
            )
            rows.extend(
                {k: v for k, v in row.to_dict().items() if k != "statistic"} for row in table
            )
        _emit(
            {
                "design": _replicate_summary(rep, design, sidecar),
                "estimates": rows,
            },
            "estimates",
            fmt,
            lang,
        )
        return
    for variable, stat in paired:
        if stat == "mean":
            table = estimators.mean(design, variable, by=domains, level=level)
        elif stat == "proportion":
            table = estimators.proportion(design, variable, by=domains, level=level)
        elif stat == "total":
            table = estimators.total(design, variable, by=domains, level=level)
        elif stat == "ratio":
            assert denominator is not None
            table = estimators.ratio(design, variable, denominator, by=domains, level=level)
        else:
            table = estimators.quantile(
                design, variable, quantiles or (0.25, 0.5, 0.75), by=domains, level=level
            )
        for row in table:
            record = row.to_dict()
            record.pop("statistic")
            rows.append(record)
    _emit({"design": design.summary(), "estimates": rows}, "estimates", fmt, lang)


@analyze.command()
@design_options
@click.option(
    "--var",
    "variables",
    multiple=True,
    required=True,
    help="Variable to compare (repeatable) / biến cần so sánh.",
)
@click.option(
    "--stat",
    type=click.Choice(["mean", "proportion", "median"]),
    default="mean",
    show_default=True,
    help="Statistic / thống kê.",
)
@click.option(
    "--between",
    nargs=3,
    required=True,
    metavar="COLUMN A B",
    help="Groups to compare, e.g. sex F M (gap = A − B) / hai nhóm so sánh.",
)
@click.option(
    "--by", multiple=True, help="Domain column (repeatable or comma-separated) / cột miền."
)
@replicate_options
@_guard
def gap(
    data: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    nest: bool,
    lonely_psu: str,
    level: float,
    missing_codes: tuple[int, ...],
    form: str | None,
    fmt: str,
    lang: str,
    variables: tuple[str, ...],
    stat: str,
    between: tuple[str, str, str],
    by: tuple[str, ...],
    replicates: str | None,
    replicates_n: int,
    seed: int,
    interval_type: str,
) -> None:
    """Gap A − B (e.g. women − men) and parity index A / B, keeping their covariance.

    ``--stat median`` compares medians; its SE always comes from replicates (the Rao-Wu
    bootstrap with ``--replicates-n`` replicates unless ``--replicates`` says otherwise), see
    ``analysis.quantiles``.
    """
    from analysis import estimators

    columns = [*variables, between[0], *_split(by)]
    sidecar = _public_use(data, weight, replicates, strata, psu)
    if sidecar is not None:
        columns += list(sidecar["repweights"])
    design = _build(data, weight, strata, psu, fpc, nest, lonely_psu, columns, form)
    if form:
        variables = tuple(_apply_form(design, _load_form(form), variables))
    _apply_missing(design, variables, missing_codes, stat != "proportion")
    column, group_a, group_b = between
    a, b = _match_group(design, column, group_a), _match_group(design, column, group_b)
    rows: list[dict[str, Any]] = []
    if replicates or stat == "median" or sidecar is not None:
        from analysis import replicates as rp
        from analysis.quantiles import median_gap
        from analysis.replicates_cli import build_replicates, public_use_replicates

        if sidecar is not None:
            rep = public_use_replicates(design, sidecar)
        elif replicates:
            rep = build_replicates(design, replicates, replicates_n, seed)
        else:
            rep = build_replicates(design, "bootstrap", replicates_n, seed)
        for variable in variables:
            if stat == "median":
                found = median_gap(rep, variable, (column, a, b), by=_split(by), level=level)
            else:
                found = rp.gap(rep, variable, (column, a, b), stat=stat, by=_split(by), level=level)
            rows.extend(row.to_dict() for row in found)
        summary = _replicate_summary(rep, design, sidecar)
        _emit({"design": summary, "estimates": rows}, "estimates", fmt, lang)
        return
    for variable in variables:
        for row in estimators.gap(
            design, variable, (column, a, b), stat=stat, by=_split(by), level=level
        ):
            rows.append(row.to_dict())
    _emit({"design": design.summary(), "estimates": rows}, "estimates", fmt, lang)


@analyze.command()
@click.argument("data_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("data_b", type=click.Path(exists=True, dir_okay=False))
@design_flags
@click.option(
    "--var",
    "variables",
    multiple=True,
    required=True,
    help="Variable to compare between the files (repeatable) / biến cần so sánh.",
)
@click.option(
    "--stat",
    type=click.Choice(["mean", "proportion"]),
    default="mean",
    show_default=True,
    help="Statistic / thống kê.",
)
@click.option(
    "--by", multiple=True, help="Domain column (repeatable or comma-separated) / cột miền."
)
@click.option(
    "--between",
    nargs=3,
    default=None,
    metavar="COLUMN A B",
    help="Also the change of the gap A − B, e.g. sex F M / thêm thay đổi của chênh lệch A − B.",
)
@click.option(
    "--panel",
    is_flag=True,
    help="The files share PSUs (a panel): the change's SE keeps their covariance / hai tệp "
    "dùng chung PSU.",
)
@_guard
def change(
    data_a: str,
    data_b: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    nest: bool,
    lonely_psu: str,
    level: float,
    missing_codes: tuple[int, ...],
    form: str | None,
    fmt: str,
    lang: str,
    variables: tuple[str, ...],
    stat: str,
    by: tuple[str, ...],
    between: tuple[str, str, str] | None,
    panel: bool,
) -> None:
    """Change B − A of a variable between two surveys (rounds), per domain, with its test.

    Independent samples: SE = √(SE_A² + SE_B²), Wald t with df = df_A + df_B. ``--panel``:
    both files stacked in one design (same strata and PSU codes), the change linearised as one
    contrast (R: ``svycontrast`` of ``svyby`` on ``rbind(A, B)``). ``--between sex F M`` adds
    the gap F − M in each file and its change.
    """
    import numpy as np
    import pandas as pd

    from analysis.design import SurveyDesign
    from analysis.trend import change_between

    columns = [*variables, *_split(by), *([between[0]] if between else [])]
    designs = [
        _build(path, weight, strata, psu, fpc, nest, lonely_psu, columns, form)
        for path in (data_a, data_b)
    ]
    analysed = list(variables)
    for design in designs:
        if form:
            analysed = _apply_form(design, _load_form(form), variables)
        _apply_missing(design, analysed, missing_codes, stat != "proportion")
    stacked = None
    if panel:
        both = pd.concat([d.data for d in designs], ignore_index=True)
        both.index = pd.RangeIndex(1, len(both) + 1)
        second = np.r_[np.zeros(designs[0].n, bool), np.ones(designs[1].n, bool)]
        stacked = (
            SurveyDesign(
                both,
                weight=weight,
                strata=strata,
                psu=psu,
                fpc=fpc,
                lonely_psu=lonely_psu,
                nest=nest,
            ),
            second,
        )
    groups = None
    if between:
        column, group_a, group_b = between
        groups = (
            column,
            _match_group(designs[0], column, group_a),
            _match_group(designs[0], column, group_b),
        )
    rows: list[dict[str, Any]] = []
    for variable in analysed:
        rows.extend(
            change_between(
                designs[0], designs[1], variable, stat, _split(by), groups, level, stacked
            )
        )
    _emit(
        {"design": designs[0].summary(), "design_b": designs[1].summary(), "changes": rows},
        "changes",
        fmt,
        lang,
    )


def _match_group(design: SurveyDesign, column: str, value: str) -> Any:
    """The column's value written as ``value`` on the command line (e.g. 2 for "2")."""
    import pandas as pd

    if column not in design.data.columns:
        return value
    for candidate in pd.unique(design.data[column].dropna()):
        if str(candidate) == value or (
            isinstance(candidate, float) and candidate.is_integer() and str(int(candidate)) == value
        ):
            return candidate
    return value


@analyze.command()
@design_options
@click.option("--rows", "row_var", required=True, help="Row variable / biến hàng.")
@click.option("--cols", "col_var", required=True, help="Column variable / biến cột.")
@click.option(
    "--order",
    type=click.Choice(["1", "2"]),
    default="2",
    show_default=True,
    help="Rao-Scott order: 1 chi-squared, 2 F / bậc hiệu chỉnh.",
)
@_guard
def chisq(
    data: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    nest: bool,
    lonely_psu: str,
    level: float,
    missing_codes: tuple[int, ...],
    form: str | None,
    fmt: str,
    lang: str,
    row_var: str,
    col_var: str,
    order: str,
) -> None:
    """Rao-Scott test of association of two categorical variables."""
    from analysis.tests_of_association import rao_scott

    design = _build(data, weight, strata, psu, fpc, nest, lonely_psu, [row_var, col_var], form)
    if form:
        questionnaire = _load_form(form)
        for column in (row_var, col_var):
            try:
                codes = questionnaire.question(column).missing_codes or ()
            except KeyError:
                codes = ()
            missing_codes = (*missing_codes, *codes)
    _apply_missing(design, [row_var, col_var], missing_codes, numeric=False)
    result = rao_scott(design, row_var, col_var, order=int(order))
    payload = {"design": design.summary(), **result.to_dict()}
    _emit(payload, None, fmt, lang)


from analysis.report_cli import report  # noqa: E402  (defined in its own module)

analyze.add_command(report)
from analysis.replicates_command import replicates_command  # noqa: E402

analyze.add_command(replicates_command)
from analysis.sae_cli import sae  # noqa: E402

analyze.add_command(sae)
from analysis.trend_cli import trend  # noqa: E402

analyze.add_command(trend)
