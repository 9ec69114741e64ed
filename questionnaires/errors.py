"""Define the exceptions the questionnaire package raises.

The tree::

    Exception
     ├── GesurveyError              the one base of bilingual input errors: code, message_en,
     │                              message_vi, where (analysis.errors.AnalysisError derives it)
     ├── QuestionnaireError         a questionnaire file has author mistakes (.messages lists all)
     └── ValueError
          └── ExpressionError       an expression cannot be evaluated (wrong type, bad AST)
               └── ExpressionSyntaxError   an expression cannot be compiled (.column, 1-based)

Author mistakes are collected and reported together, never as a bare ``KeyError`` or traceback.
"""

from __future__ import annotations

__all__ = ["ExpressionError", "ExpressionSyntaxError", "GesurveyError", "QuestionnaireError"]


class GesurveyError(Exception):
    """Bad input, said in English and Vietnamese, with a stable code and where it happened.

    ``code`` is for programs (``"analysis"``, ``"weighting"``, …); ``message_en`` and
    ``message_vi`` are for people; ``where`` names the place (a file, question, column or row)
    or is None. ``str()`` is the English message; :meth:`message_in` picks a language.
    """

    def __init__(
        self, code: str, message_en: str, message_vi: str, where: str | None = None
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_vi = message_vi
        self.where = where

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` or ``en``; anything else gives English)."""
        return self.message_vi if lang == "vi" else self.message_en


class QuestionnaireError(Exception):
    """A questionnaire definition is wrong; ``messages`` holds every problem found.

    Each message reads ``forms/<file>: question <ID>: <what is wrong>; <how to fix it>``;
    ``messages`` are in English, ``messages_vi`` the same in Vietnamese.
    """

    def __init__(
        self, messages: list[str] | str, messages_vi: list[str] | str | None = None
    ) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        if messages_vi is None:
            messages_vi = self.messages
        self.messages_vi: list[str] = (
            [messages_vi] if isinstance(messages_vi, str) else list(messages_vi)
        )
        super().__init__("\n".join(self.messages))

    def messages_in(self, lang: str) -> list[str]:
        """Return the messages in ``lang`` (``vi`` or ``en``)."""
        return self.messages_vi if lang == "vi" else self.messages


class ExpressionError(ValueError):
    """An expression failed while being evaluated (e.g. a string used in arithmetic)."""


class ExpressionSyntaxError(ExpressionError):
    """An expression cannot be compiled; ``column`` (1-based) points at the offending text.

    ``reason`` says what is wrong in English, ``reason_vi`` in Vietnamese.
    """

    def __init__(self, reason: str, column: int, reason_vi: str | None = None) -> None:
        self.reason = reason
        self.reason_vi = reason_vi if reason_vi is not None else reason
        self.column = column
        super().__init__(f"column {column}: {reason}")
