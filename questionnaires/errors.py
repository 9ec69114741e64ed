"""Define the one error base type of gesurvey and the questionnaire package's errors.

Every error that gesurvey raises about its input or a refused operation, in all three packages
(``questionnaires``, ``analysis``, ``survey_app``), is a :class:`GesurveyError`: a message in
English and in Vietnamese, a short code naming the kind of problem, and where it happened. The
tree::

    Exception
     └── GesurveyError               message_en, message_vi, code, where; message_in(lang)
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
    """Bad input or a refused operation, said in English and Vietnamese, with a code and a place.

    Arguments, in this order for every subclass: ``message_en`` and ``message_vi`` (``message_vi``
    defaults to ``message_en``: the web app passes a message gettext has already put in the
    reader's language); then by keyword ``code``, a short stable name of the kind of problem for
    programs (default: the class's ``code``), and ``where``, the place it happened (a file and
    row, a question id, a column), or None. ``str()`` is the English message;
    :meth:`message_in` picks a language.
    """

    code: str = "error"

    def __init__(
        self,
        message_en: str,
        message_vi: str | None = None,
        *,
        code: str | None = None,
        where: str | None = None,
    ) -> None:
        if message_vi is not None and not isinstance(message_vi, str):
            raise TypeError(
                f"{type(self).__name__}(message_en, message_vi, *, code, where): message_vi "
                f"must be text, got {message_vi!r}"
            )
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_en if message_vi is None else message_vi
        self.where = where
        if code is not None:
            self.code = code

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` or ``en``; anything else gives English)."""
        return self.message_vi if lang == "vi" else self.message_en


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
