"""Questionnaire definitions: the format, its loader and the expression engine.

See ``questionnaires/FORMAT.md`` for the JSON format and this package's stable Python API.

Names are imported on first use (PEP 562): ``analysis`` imports ``questionnaires.errors`` for its
error type, and loading the loader (jsonschema) and the expression engine with it cost a
command-line analysis about 0.15 s before reading a byte.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from questionnaires.errors import ExpressionError, ExpressionSyntaxError, QuestionnaireError
    from questionnaires.expressions import compile_expression, evaluate, references
    from questionnaires.loader import load_bundled, load_questionnaire, questionnaire_from_dict
    from questionnaires.model import (
        AnalysisMeta,
        Choice,
        ChoiceList,
        GridRow,
        Label,
        Question,
        Questionnaire,
        RepeatGroup,
        Section,
    )
    from questionnaires.validation import FieldError, validate_answers

#: Where each public name lives.
_SOURCES = {
    "ExpressionError": "errors",
    "ExpressionSyntaxError": "errors",
    "QuestionnaireError": "errors",
    "compile_expression": "expressions",
    "evaluate": "expressions",
    "references": "expressions",
    "load_bundled": "loader",
    "load_questionnaire": "loader",
    "questionnaire_from_dict": "loader",
    "AnalysisMeta": "model",
    "Choice": "model",
    "ChoiceList": "model",
    "GridRow": "model",
    "Label": "model",
    "Question": "model",
    "Questionnaire": "model",
    "RepeatGroup": "model",
    "Section": "model",
    "FieldError": "validation",
    "validate_answers": "validation",
}

__all__ = [
    "AnalysisMeta",
    "Choice",
    "ChoiceList",
    "ExpressionError",
    "ExpressionSyntaxError",
    "FieldError",
    "GridRow",
    "Label",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "RepeatGroup",
    "Section",
    "compile_expression",
    "evaluate",
    "load_bundled",
    "load_questionnaire",
    "questionnaire_from_dict",
    "references",
    "validate_answers",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first asked for."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'questionnaires' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"questionnaires.{module}"), name)
    globals()[name] = value
    return value
