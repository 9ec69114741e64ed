"""Define the one error base type of gesurvey and the questionnaire package's errors.

Every error that gesurvey raises about its input or a refused operation, in all three packages
(``questionnaires``, ``analysis``, ``survey_app``), is a :class:`GesurveyError`: a message in
English and in Vietnamese, a short code naming the kind of problem, and where it happened. The
tree::

    Exception
     └── GesurveyError               en, vi, code, where; in_language(lang)
          ├── QuestionnaireError      author mistakes in a questionnaire (.messages lists all)
          ├── ExpressionError         an expression cannot be evaluated (also a ValueError)
          │    └── ExpressionSyntaxError   an expression cannot be compiled (.column, 1-based)
          ├── analysis.errors.AnalysisError   bad analysis input (also a ValueError)
          │    └── analysis.weighting.WeightingError
          └── the web app's errors: AdminError, PublishError, ResultsError, InputRejected,
              SubmissionProblem, ImportFileError, SealingError, …

Author mistakes are collected and reported together, never as a bare ``KeyError`` or traceback.
"""

from __future__ import annotations

__all__ = ["ExpressionError", "ExpressionSyntaxError", "GesurveyError", "QuestionnaireError"]


class GesurveyError(Exception):
    """An error about gesurvey's input or a refused operation, said in English and Vietnamese.

    Arguments, in this order for every subclass: ``en`` and ``vi``, the message in each language
    (``vi`` defaults to ``en``: the web app passes a message already translated into the
    reader's language by gettext); then by keyword ``code``, a short stable name of the kind of
    problem (default: the class's ``code``), and ``where``, the place it happened (a file and
    row, a question id, a column; empty when it concerns the whole input). ``str()`` is ``en``.
    """

    code: str = "error"

    def __init__(
        self, en: str, vi: str | None = None, *, code: str | None = None, where: str = ""
    ) -> None:
        if vi is not None and not isinstance(vi, str):
            raise TypeError(
                f"{type(self).__name__}(en, vi, *, code, where): vi must be text, got {vi!r}"
            )
        super().__init__(en)
        self.en = en
        self.vi = en if vi is None else vi
        self.where = where
        if code is not None:
            self.code = code

    def in_language(self, lang: str) -> str:
        """The message in ``lang`` ("vi" or "en")."""
        return self.vi if lang == "vi" else self.en


class QuestionnaireError(GesurveyError):
    """A questionnaire definition is wrong; ``messages`` holds every problem found.

    Each message reads ``forms/<file>: question <ID>: <what is wrong>; <how to fix it>``;
    ``messages`` are in English, ``messages_vi`` the same in Vietnamese.
    """

    code = "questionnaire_invalid"

    def __init__(
        self,
        messages: list[str] | str,
        messages_vi: list[str] | str | None = None,
        *,
        where: str = "",
    ) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        if messages_vi is None:
            messages_vi = self.messages
        self.messages_vi: list[str] = (
            [messages_vi] if isinstance(messages_vi, str) else list(messages_vi)
        )
        super().__init__("\n".join(self.messages), "\n".join(self.messages_vi), where=where)

    def messages_in(self, lang: str) -> list[str]:
        """Return the messages in ``lang`` (``vi`` or ``en``)."""
        return self.messages_vi if lang == "vi" else self.messages


class ExpressionError(GesurveyError, ValueError):
    """An expression failed while being evaluated (e.g. a string used in arithmetic)."""

    code = "expression_error"


class ExpressionSyntaxError(ExpressionError):
    """An expression cannot be compiled; ``column`` (1-based) points at the offending text.

    ``reason`` says what is wrong in English, ``reason_vi`` in Vietnamese.
    """

    code = "expression_syntax"

    def __init__(self, reason: str, reason_vi: str | None = None, *, column: int) -> None:
        self.reason = reason
        self.reason_vi = reason_vi if reason_vi is not None else reason
        self.column = column
        super().__init__(
            f"column {column}: {reason}",
            f"cột {column}: {self.reason_vi}",
            where=f"column {column}",
        )
