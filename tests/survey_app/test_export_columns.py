"""Column-by-column Arrow tables hold exactly the rows the tidy layout gives row by row."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from questionnaires import RepeatGroup, load_bundled
from questionnaires.tidy import TidyLayout
from survey_app.export.columns import arrow_schema, batch_tables

FORMS = load_bundled()

# Answers as they may arrive: right types, numbers typed as text, booleans, blanks, NaN, lists
# and dicts where a scalar belongs, out-of-place floats.
scalar = st.one_of(
    st.none(),
    st.just(""),
    st.integers(-5, 120),
    st.floats(-1e15, 1e15),
    st.sampled_from([2.0, 2.5, "3", "3.0", " ", "abc", True, False, math.nan]),
    st.text(max_size=5),
)
value = st.one_of(
    scalar,
    st.lists(st.one_of(st.integers(0, 99), st.just("2"), st.just(98)), max_size=3),
    st.dictionaries(st.sampled_from(["tv", "motorbike", "fridge", "x"]), scalar, max_size=3),
)


def _items(form):  # noqa: ANN001, ANN202
    return [item for section in form.sections for item in section.items]


@st.composite
def answers(draw, form):  # noqa: ANN001, ANN201
    def fill(items):  # noqa: ANN001, ANN202
        out = {}
        for item in items:
            if isinstance(item, RepeatGroup):
                records = draw(
                    st.lists(
                        st.one_of(st.just("not a record"), st.builds(lambda: None)), max_size=1
                    )
                )
                records += [fill(item.items) for _ in range(draw(st.integers(0, 3)))]
                out[item.id] = records
            elif draw(st.booleans()):
                out[item.id] = draw(value)
        return out

    return fill(_items(form))


@pytest.mark.parametrize("form_id", ["household", "individual"])
@pytest.mark.parametrize("multi", ["text", "dummies"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_tables_equal_the_layout_rows(form_id: str, multi: str, data) -> None:  # noqa: ANN001
    form = FORMS[form_id]
    layout = TidyLayout(form, include_identifying=True, multi=multi)
    batch = [
        (f"uuid-{i}", "1.0.0", data.draw(answers(form)), data.draw(st.none() | st.integers(1, 9)))
        for i in range(data.draw(st.integers(1, 4)))
    ]
    batch.append(("uuid-x", "1.0.0", "not a dict", 7))
    expected: dict[str, list[dict]] = {t.name: [] for t in layout.tables}
    for uuid, version, submission, psu in batch:
        for table, row in layout.rows(submission, uuid=uuid, version=version, psu=psu):
            expected[table.name].append(row)
    assume(
        all(
            -(2**63) <= value < 2**63
            for rows in expected.values()
            for row in rows
            for value in row.values()
            if isinstance(value, int)
        )
    )
    schemas = {t.name: arrow_schema(t) for t in layout.tables}
    tables = batch_tables(layout, schemas, batch)
    assert set(tables) == set(expected)
    for name, rows in expected.items():
        assert tables[name].to_pylist() == rows, name
