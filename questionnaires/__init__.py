"""Questionnaire definitions: the format, its loader and the expression engine.

See ``questionnaires/FORMAT.md`` for the JSON format and this package's stable Python API.
"""

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
