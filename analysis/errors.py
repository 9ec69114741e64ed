"""Define the error raised for bad analysis input, with its message in Vietnamese and English.

Exception tree::

    GesurveyError, ValueError
     └── AnalysisError        bad input: unknown column, non-numeric or missing weight, a PSU in
          │                   two strata, a lonely PSU under the "fail" rule, an empty domain...
          └── WeightingError  (analysis.weighting) a weighting step impossible with these data

An ``AnalysisError`` names the column and the rows (DataFrame index labels; the CLI numbers data
rows from 1 after the header) so a statistician can find and fix them; the command line turns it
into exit status 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from questionnaires.errors import GesurveyError

__all__ = ["AnalysisError", "format_rows"]

#: How many offending rows a message lists before saying "and N more".
MAX_ROWS_SHOWN = 10


def format_rows(rows: Sequence[Any], lang: str = "en") -> str:
    """Render row labels as "3, 7, 12 and 40 more" (Vietnamese: "3, 7, 12 và 40 dòng khác")."""
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    extra = len(rows) - MAX_ROWS_SHOWN
    if extra > 0:
        shown += f" và {extra} dòng khác" if lang == "vi" else f" and {extra} more"
    return shown


class AnalysisError(GesurveyError, ValueError):
    """Bad input to an analysis function; ``str()`` is English, ``message("vi")`` Vietnamese.

    The project's one error type (:class:`~questionnaires.errors.GesurveyError`) with the
    class's ``default_code`` (``"analysis"``; subclasses set their own); ``where`` names the
    column when there is one. ``en`` and ``vi`` are the messages, ``column`` and ``rows`` where
    the problem is.
    """

    default_code = "analysis"

    def __init__(
        self,
        en: str,
        vi: str,
        *,
        column: str | None = None,
        rows: Iterable[Any] = (),
        code: str | None = None,
    ) -> None:
        where = None if column is None else f"column {column}"
        super().__init__(code or self.default_code, en, vi, where=where)
        self.en = en
        self.vi = vi
        self.column = column
        self.rows = list(rows)

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` ("vi" or "en")."""
        return self.message_in(lang)
