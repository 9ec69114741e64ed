"""Analysis errors are the project's one bilingual error type."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.weighting import WeightingError, base_weights
from questionnaires.errors import GesurveyError


def test_a_bad_weight_column_is_a_gesurvey_error_naming_the_column() -> None:
    frame = pd.DataFrame({"w": [1.0, "x"], "y": [1, 2]})
    with pytest.raises(GesurveyError) as caught:
        SurveyDesign(frame, weight="w")
    error = caught.value
    assert isinstance(error, AnalysisError) and isinstance(error, ValueError)
    assert error.code == "analysis" and error.where == "column w"
    assert str(error) == error.message_en == error.message_in("en") == error.message("en")
    assert error.message_in("vi") == error.message_vi != error.message_en


def test_weighting_errors_carry_their_own_code() -> None:
    with pytest.raises(WeightingError) as caught:
        base_weights([0.5, 1.5])
    assert caught.value.code == "weighting" and isinstance(caught.value, GesurveyError)
    assert "(0, 1]" in caught.value.message_en and "(0, 1]" in caught.value.message_vi
