"""The Kish grid is one definition (``tables/kish_grid.json``) that the server applies and the
browser receives with the form; the server's selection matches hand-worked cases, and a
recorded selection that differs from the grid's is flagged, not refused."""

from __future__ import annotations

from typing import Any

import pytest

from questionnaires import QuestionnaireError, load_bundled
from questionnaires.selection import (
    SelectionMismatch,
    check_grid,
    kish_grid,
    kish_line,
    selection_mismatch,
)

# Women (HH24 = 2) aged 18-64 are eligible. Oldest first: line 3 (64), line 6 (64, after line 3
# on the tie), line 5 (41), line 1 (30); line 2 is a man, line 4 too young, line 7 too old.
WOMEN = [
    {"M01": "A", "M03": 2, "M04": 30},
    {"M01": "B", "M03": 1, "M04": 50},
    {"M01": "C", "M03": 2, "M04": 64},
    {"M01": "D", "M03": 2, "M04": 17},
    {"M01": "E", "M03": 2, "M04": 41},
    {"M01": "F", "M03": 2, "M04": 64},
    {"M01": "G", "M03": 2, "M04": 70},
]
# Nine men aged 20 (line 1) to 28 (line 9): oldest first is line 9, 8, ..., 1; nine count as 8.
NINE_MEN = [{"M01": str(line), "M03": 1, "M04": 19 + line} for line in range(1, 10)]


def _rule() -> Any:
    rule = load_bundled()["household"].selection
    assert rule is not None
    return rule


# Worked by hand from the grid as written in tables/kish_grid.json (row = last digit of the
# household number, column = number eligible; the cell is the position in the oldest-first
# list), not from the code.
HAND_WORKED = [
    (2, 10, WOMEN, 1, "row 0, 4 eligible: cell 4, the 4th oldest (line 1)"),
    (2, 21, WOMEN, 3, "row 1, 4 eligible: cell 1, the oldest (line 3)"),
    (2, 32, WOMEN, 6, "row 2, 4 eligible: cell 2, the 2nd oldest (line 6, tied with 3)"),
    (2, 43, WOMEN, 5, "row 3, 4 eligible: cell 3, the 3rd oldest (line 5)"),
    (2, 1999, WOMEN[:5], 5, "row 9, 3 eligible (3, 5, 1): cell 2, the 2nd oldest (line 5)"),
    (1, 9, WOMEN, 2, "one man: whatever the row, line 2"),
    (1, 4, NINE_MEN, 2, "row 4, 8+ eligible: cell 8, the 8th oldest (line 2)"),
    (1, 5, NINE_MEN, 9, "row 5, 8+ eligible: cell 1, the oldest (line 9)"),
    (1, 17, NINE_MEN, 7, "row 7, 8+ eligible: cell 3, the 3rd oldest (line 7)"),
    (1, 26, NINE_MEN[:6], 1, "row 6, 6 eligible (6..1): cell 6, the youngest (line 1)"),
]


@pytest.mark.parametrize(("sex", "number", "roster", "line", "why"), HAND_WORKED)
def test_the_grid_selects_the_hand_worked_person(
    sex: int, number: int, roster: list[dict[str, Any]], line: int, why: str
) -> None:
    answers = {"HH24": sex, "household_no": number, "roster": roster}
    assert kish_line(_rule(), answers) == line, why


def test_no_one_is_selected_while_it_cannot_be_told() -> None:
    rule = _rule()
    assert kish_line(rule, {"HH24": 1, "household_no": 3, "roster": WOMEN[:1]}) is None
    assert kish_line(rule, {"HH24": 2, "roster": WOMEN}) is None
    assert kish_line(rule, {"HH24": 2, "household_no": 3}) is None
    # An unknown age cannot be placed in the list: that member is not eligible.
    unknown = [{"M01": "X", "M03": 2, "M04": None}, {"M01": "Y", "M03": 2, "M04": 40}]
    assert kish_line(rule, {"HH24": 2, "household_no": 10, "roster": unknown}) == 2


def test_every_column_selects_each_position_about_equally() -> None:
    """A Kish grid gives each of n eligible members the same chance over the ten last digits:
    every position 1..n is selected floor(10/n) or ceil(10/n) times in column n."""
    grid = kish_grid()
    assert len(grid) == 10 and all(len(row) == 8 for row in grid)
    for n in range(1, 9):
        counts = [sum(row[n - 1] == position for row in grid) for position in range(1, n + 1)]
        assert sum(counts) == 10 and min(counts) >= 10 // n and max(counts) <= -(-10 // n), n


def test_the_browser_gets_the_same_grid_with_the_rule() -> None:
    client = load_bundled()["household"].to_client_dict()["selection"]
    assert client["grid"] == [list(row) for row in kish_grid()]


def test_a_bad_grid_is_named_cell_by_cell_in_both_languages() -> None:
    rows = [[1, 1, 1, 1, 1, 1, 1, 1] for _ in range(10)]
    rows[3][1] = 3
    rows[7][4] = "2"
    with pytest.raises(QuestionnaireError) as caught:
        check_grid({"grid": rows})
    assert caught.value.messages == [
        "tables/kish_grid.json: row 3, 2 eligible: 3 is not a position from 1 to 2; write one",
        "tables/kish_grid.json: row 7, 5 eligible: '2' is not a position from 1 to 5; write one",
    ]
    assert "không phải là vị trí từ 1 đến 2" in caught.value.messages_vi[0]
    with pytest.raises(QuestionnaireError) as short:
        check_grid({"grid": rows[:9]})
    assert "10 rows" in short.value.messages[0] and "10 dòng" in short.value.messages_vi[0]


def test_a_selection_other_than_the_grids_is_flagged_not_refused() -> None:
    rule = _rule()
    answers = {"HH24": 2, "household_no": 21, "roster": WOMEN}
    assert selection_mismatch(rule, {**answers, "HH25": 3}) is None
    # A whole number sent as 3.0 is the same line, as it is for the browser's Number.isInteger.
    assert selection_mismatch(rule, {**answers, "HH25": 3.0, "household_no": 21.0}) is None
    assert selection_mismatch(rule, {**answers, "HH25": 5}) == SelectionMismatch("HH25", 5, 3)
    assert selection_mismatch(rule, answers) is None
    assert selection_mismatch(None, {**answers, "HH25": 5}) is None
