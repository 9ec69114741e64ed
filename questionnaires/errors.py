"""Define the exceptions the questionnaire package raises.

The tree::

    Exception
     ├── QuestionnaireError         a questionnaire file has author mistakes (.messages lists all)
     └── ValueError
          └── ExpressionError       an expression cannot be evaluated (wrong type, bad AST)
               └── ExpressionSyntaxError   an expression cannot be compiled (.column, 1-based)

Author mistakes are collected and reported together, never as a bare ``KeyError`` or traceback.
"""

from __future__ import annotations

__all__ = ["ExpressionError", "ExpressionSyntaxError", "QuestionnaireError"]


class QuestionnaireError(Exception):
    """A questionnaire definition is wrong; ``messages`` holds every problem found.

    Each message reads ``forms/<file>: question <ID>: <what is wrong>; <how to fix it>``.
    """

    def __init__(self, messages: list[str] | str) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class ExpressionError(ValueError):
    """An expression failed while being evaluated (e.g. a string used in arithmetic)."""


class ExpressionSyntaxError(ExpressionError):
    """An expression cannot be compiled; ``column`` (1-based) points at the offending text."""

    def __init__(self, reason: str, column: int) -> None:
        self.reason = reason
        self.column = column
        super().__init__(f"column {column}: {reason}")
