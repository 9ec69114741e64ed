"""Generic answer generation fills forms the simulator has no behaviour for with valid answers.

The shared expression vectors are run through the vectorised evaluator in
tests/questionnaires/test_vectorised.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.synthetic.answers import fill, to_answer_dicts
from questionnaires import load_questionnaire


@pytest.mark.parametrize(
    "path",
    [
        "tests/questionnaires/forms/mini.json",
        "tests/survey_app/data/test_household.json",
    ],
)
def test_generic_generation_validates_forms_it_has_no_behaviour_for(path: str) -> None:
    root = Path(__file__).resolve().parents[2]
    questionnaire = load_questionnaire(root / path)
    levels = fill(questionnaire, 300, np.random.default_rng(1))
    for answers in to_answer_dicts(questionnaire, levels):
        assert questionnaire.validate_answers(answers, lang="en") == []
