"""The Kish grid and the member it selects: one definition for the server and the tablet.

The grid is ``questionnaires/tables/kish_grid.json``: ten rows (the last digit of the household
form's ``kish_number`` answer) of eight cells (the number of eligible members, 8 or more as 8),
each cell the position of the selected member in the eligible list from the oldest down. The
loader puts it in the form's :class:`~questionnaires.model.Selection`, which hands it to the
browser (``to_client_dict()["selection"]["grid"]``); ``survey_app/static/js/form/selection.js``
applies it there and :func:`kish_line` here, by the same steps (FORMAT.md, "Selection and
hand-off"), so the server can tell a recorded selection that differs from the rule's.

    >>> kish_line(questionnaire.selection, answers)
    3
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from questionnaires.errors import ExpressionError, QuestionnaireError
from questionnaires.expressions import evaluate, truthy
from questionnaires.files import read_json

if TYPE_CHECKING:
    from questionnaires.model import Selection

__all__ = [
    "GRID_COLUMNS",
    "GRID_ROWS",
    "SelectionMismatch",
    "check_grid",
    "kish_grid",
    "kish_line",
    "selection_mismatch",
    "selection_off",
]

GRID_ROWS = 10
GRID_COLUMNS = 8
_DISPLAY = "tables/kish_grid.json"

Grid = tuple[tuple[int, ...], ...]


def check_grid(document: Any, display: str = _DISPLAY) -> Grid:
    """The grid of a ``kish_grid.json`` document, or a QuestionnaireError naming every bad cell.

    Ten rows of eight whole numbers; the cell for ``n`` eligible members is between 1 and ``n``
    (a position past the list would select no one)."""
    grid = document.get("grid") if isinstance(document, dict) else None
    if (
        not isinstance(grid, list)
        or len(grid) != GRID_ROWS
        or not all(isinstance(row, list) and len(row) == GRID_COLUMNS for row in grid)
    ):
        raise QuestionnaireError(
            f"{display}: grid must be {GRID_ROWS} rows (last digit 0-9) of {GRID_COLUMNS} cells "
            f"(1-8 eligible members); write it so",
            f"{display}: grid phải gồm {GRID_ROWS} dòng (chữ số cuối 0-9), mỗi dòng "
            f"{GRID_COLUMNS} ô (1-8 người đủ điều kiện); hãy viết lại cho đúng",
        )
    en: list[str] = []
    vi: list[str] = []
    for digit, row in enumerate(grid):
        for column, cell in enumerate(row, start=1):
            if isinstance(cell, bool) or not isinstance(cell, int) or not 1 <= cell <= column:
                en.append(
                    f"{display}: row {digit}, {column} eligible: {cell!r} is not a position "
                    f"from 1 to {column}; write one"
                )
                vi.append(
                    f"{display}: dòng {digit}, {column} người đủ điều kiện: {cell!r} không phải "
                    f"là vị trí từ 1 đến {column}; hãy ghi một vị trí như vậy"
                )
    if en:
        raise QuestionnaireError(en, vi)
    return tuple(tuple(row) for row in grid)


@functools.cache
def kish_grid() -> Grid:
    """The bundled Kish grid, checked (read once per process)."""
    path = Path(str(resources.files("questionnaires"))) / "tables" / "kish_grid.json"
    return check_grid(read_json(path, _DISPLAY))


def _is_int(value: Any) -> TypeGuard[int | float]:
    """A whole number as the browser's ``Number.isInteger`` sees it (``3.0`` is one)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _eligible(rule: Selection, answers: Mapping[str, Any], member: Mapping[str, Any]) -> bool:
    """Is the member eligible under the rule? An expression that cannot be evaluated says no."""
    if rule.eligible_ast is None:
        return False
    try:
        return truthy(evaluate(rule.eligible_ast, answers, member))
    except ExpressionError:
        return False


def kish_line(rule: Selection, answers: Mapping[str, Any]) -> int | None:
    """The line (from 1) the Kish grid selects under the form's selection rule, or None when it
    cannot be told (no household number, no roster, no one eligible).

    The eligible members are the roster's rows where ``eligible`` is true and ``oldest_first``
    is a whole number, from the highest ``oldest_first`` down (equal values by line); the last
    digit of ``kish_number`` is the grid's row, their number (8 or more as 8) its column, and
    the cell their position in that list (the JavaScript ``kishLine`` does the same)."""
    number = answers.get(rule.kish_number)
    rows = answers.get(rule.roster)
    if not _is_int(number) or not isinstance(rows, list):
        return None
    eligible: list[tuple[float, int]] = []
    for line, member in enumerate(rows, start=1):
        if not isinstance(member, Mapping):
            continue
        order = member.get(rule.oldest_first)
        if _is_int(order) and _eligible(rule, answers, member):
            eligible.append((-order, line))
    if not eligible:
        return None
    eligible.sort()
    grid = rule.grid or kish_grid()
    position = grid[int(abs(number)) % 10][min(len(eligible), GRID_COLUMNS) - 1]
    return eligible[min(position, len(eligible)) - 1][1]


@dataclass(frozen=True)
class SelectionMismatch:
    """A household whose recorded selection is not the rule's: ``recorded`` is the line the
    form's selection question holds, ``expected`` the line the Kish grid selects."""

    question: str
    recorded: int
    expected: int


def selection_mismatch(
    rule: Selection | None, answers: Mapping[str, Any]
) -> SelectionMismatch | None:
    """The household's recorded selection if it differs from the rule's, else None.

    Not an error: the enumerator may change the app's selection (FORMAT.md), so the server
    flags the difference for the supervisor instead of refusing the interview. Nothing is
    flagged while either line is unknown (no rule, unanswered, no one eligible)."""
    if rule is None:
        return None
    recorded = answers.get(rule.question)
    if not _is_int(recorded):
        return None
    expected = kish_line(rule, answers)
    if expected is None or expected == recorded:
        return None
    return SelectionMismatch(rule.question, int(recorded), expected)


def selection_off(rule: Selection | None, answers: Mapping[str, Any]) -> bool | None:
    """Whether the recorded selection differs from the rule's; None when it cannot be told
    (no rule, unanswered, no one eligible): the field-quality table counts it."""
    if rule is None or not _is_int(answers.get(rule.question)):
        return None
    if kish_line(rule, answers) is None:
        return None
    return selection_mismatch(rule, answers) is not None
