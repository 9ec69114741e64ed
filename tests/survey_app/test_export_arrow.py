"""The Arrow JSON route fills the export tables exactly as the general route, or refuses.

Lines are what ``service.stream_lines`` reads from PostgreSQL: ``{"u", "v", "p", "a"}``.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import RepeatGroup, load_bundled
from questionnaires.tidy import TidyLayout
from survey_app.export.arrow_columns import answers_schema, arrow_batch_tables, read_lines
from survey_app.export.columns import ValueTooLarge, arrow_schema, batch_tables
from survey_app.export.service import _general_batch

from .test_export_columns import _items, answers

FORMS = load_bundled()


@st.composite
def regular(draw, form):  # noqa: ANN001, ANN201
    """Answers of their question's JSON type, with blanks, missing codes and odd records."""

    def one(question):  # noqa: ANN001, ANN202
        codes = list(question.choices.codes) if question.choices else [0, 1]
        kind = question.type
        if kind == "multi":
            return draw(st.lists(st.sampled_from([*codes, 98, 99]), max_size=3))
        if kind == "grid":
            return {row.id: draw(st.sampled_from([*codes, None])) for row in question.rows}
        if kind in ("single", "yesno", "likert5"):
            return draw(st.sampled_from([*codes, 98, 99]))
        if kind in ("integer", "calculate"):
            return draw(st.integers(-5, 2**40))
        if kind == "decimal":
            return draw(st.floats(-1e9, 1e9) | st.integers(0, 99))
        return draw(st.text(max_size=4))

    def fill(items):  # noqa: ANN001, ANN202
        out = {}
        for item in items:
            if isinstance(item, RepeatGroup):
                records = [fill(item.items) for _ in range(draw(st.integers(0, 3)))]
                if draw(st.booleans()):
                    records.insert(draw(st.integers(0, len(records))), None)
                out[item.id] = records
            elif item.type != "note" and draw(st.integers(0, 5)):
                out[item.id] = None if not draw(st.integers(0, 9)) else one(item)
        return out

    return fill(_items(form))


def _lines(batch) -> bytes:  # noqa: ANN001
    return b"".join(orjson.dumps({"u": u, "v": v, "p": p, "a": a}) + b"\n" for u, v, a, p in batch)


def _fast(layout: TidyLayout, batch) -> dict | None:  # noqa: ANN001
    schemas = {t.name: arrow_schema(t) for t in layout.tables}
    schema = answers_schema(layout)
    assert schema is not None
    lines = read_lines(_lines(batch), schema)
    return None if lines is None else arrow_batch_tables(layout, schemas, lines)


def _both(layout: TidyLayout, batch) -> tuple[dict | None, dict]:  # noqa: ANN001
    schemas = {t.name: arrow_schema(t) for t in layout.tables}
    return _fast(layout, batch), batch_tables(layout, schemas, _general_batch(_lines(batch)))


def _same(fast: dict, general: dict) -> None:
    assert set(fast) == set(general)
    for name, table in general.items():
        assert fast[name].to_pylist() == table.to_pylist(), name
        assert fast[name].schema == table.schema


@pytest.mark.parametrize("form_id", ["household", "individual"])
@pytest.mark.parametrize("multi", ["text", "dummies"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_regular_answers_take_the_arrow_route_with_the_same_rows(
    form_id: str,
    multi: str,
    data,  # noqa: ANN001
) -> None:
    form = FORMS[form_id]
    layout = TidyLayout(form, include_identifying=True, multi=multi)
    batch = [
        (
            f"uuid-{i}",
            "1.0.0",
            data.draw(regular(form)),
            data.draw(st.sampled_from(["17801001", "x", None])),
        )
        for i in range(data.draw(st.integers(1, 4)))
    ]
    fast, general = _both(layout, batch)
    assert fast is not None
    _same(fast, general)


@pytest.mark.parametrize("form_id", ["household", "individual"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_irregular_answers_give_the_same_rows_or_the_general_route(form_id: str, data) -> None:  # noqa: ANN001
    form = FORMS[form_id]
    layout = TidyLayout(form, include_identifying=True, multi="dummies")
    batch = [
        (f"uuid-{i}", "1.0.0", data.draw(answers(form)), data.draw(st.sampled_from(["7", None])))
        for i in range(data.draw(st.integers(1, 3)))
    ]
    try:
        fast, general = _both(layout, batch)
    except ValueTooLarge:
        # The export stops with the general route's clear error (a number past 64 bits, such
        # as '1E100' typed into a whole-number question): the Arrow route must defer to it.
        assert _fast(layout, batch) is None
        return
    if fast is not None:
        _same(fast, general)


@pytest.mark.parametrize(
    "answers",
    [
        {"household_no": "3"},  # a number typed as text
        {"household_no": 3.0},  # a float where a whole number belongs
        {"sealed": "gAAAA"},  # a sealed submission: decrypted only by the general route
        None,  # no answers at all
    ],
)
def test_values_of_another_type_send_the_batch_the_general_route(answers) -> None:  # noqa: ANN001
    layout = TidyLayout(FORMS["household"])
    batch = [("u", "1.0.0", {"household_no": 1}, "7"), ("w", "1.0.0", answers, "7")]
    assert _fast(layout, batch) is None


@pytest.mark.parametrize("question", ["household_no", "HH17"])
def test_a_number_past_64_bits_stops_the_export_with_its_clear_error(question: str) -> None:
    """'1E100' typed into a whole-number question (an id column or an answer column): the
    Arrow route defers, and the general route names the column instead of pyarrow's
    OverflowError."""
    layout = TidyLayout(FORMS["household"], include_identifying=True, multi="dummies")
    batch = [("u", "1.0.0", {question: "1E100", "roster": [], "hh_births": []}, "7")]
    assert _fast(layout, batch) is None
    with pytest.raises(ValueTooLarge, match="1e\\+100, too large for a 64-bit integer"):
        _both(layout, batch)
