"""round.json: a round's identity written and read back, and every bad field named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from questionnaires.errors import GesurveyError
from questionnaires.rounds import KINDS, RoundError, RoundInfo, read_round, write_round

MIDTERM = {
    "code": "2018",
    "label": {"vi": "Giữa kỳ 2018", "en": "Mid-term 2018"},
    "reference_year": 2018,
    "kind": "mid-term",
    "field_start": "2018-09-01",
    "field_end": "2018-11-30",
    "settings": {"party_term": "2020–2025"},
}


def test_round_json_round_trips_through_a_folder(tmp_path: Path) -> None:
    info = RoundInfo.from_dict(MIDTERM)
    assert info.field_start == dt.date(2018, 9, 1) and info.settings["party_term"] == "2020–2025"
    path = write_round(tmp_path / "out", info)
    assert json.loads(path.read_text(encoding="utf-8")) == MIDTERM
    assert read_round(tmp_path / "out") == info
    assert info.label("vi") == "Giữa kỳ 2018" and info.label("en") == "Mid-term 2018"
    assert KINDS == ("baseline", "mid-term", "final", "annual")


def test_a_folder_without_round_json_has_no_round(tmp_path: Path) -> None:
    assert read_round(tmp_path) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "midterm"}, "kind"),
        ({"code": "20 18"}, "code"),
        ({"reference_year": "2018"}, "reference_year"),
        ({"label": {"vi": "", "en": "Mid-term"}}, "label.vi"),
        ({"field_start": "01/09/2018"}, "field_start"),
        ({"field_end": "2018-01-01"}, "field_end"),
        ({"settings": {"term": "2020–2025"}}, "settings.term"),
    ],
)
def test_a_bad_field_is_named_with_the_file_in_both_languages(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    (tmp_path / "round.json").write_text(json.dumps({**MIDTERM, **change}), encoding="utf-8")
    with pytest.raises(RoundError) as caught:
        read_round(tmp_path)
    error = caught.value
    assert isinstance(error, GesurveyError) and error.code == "round_invalid"
    assert str(tmp_path / "round.json") in error.message_en
    assert f"field {field!r}" in error.message_en and f"trường {field!r}" in error.message_vi


def test_a_missing_field_and_broken_json_are_named(tmp_path: Path) -> None:
    with pytest.raises(RoundError, match="field 'kind': missing"):
        RoundInfo.from_dict({k: v for k, v in MIDTERM.items() if k != "kind"})
    (tmp_path / "round.json").write_text("{", encoding="utf-8")
    with pytest.raises(RoundError, match="cannot read the round description"):
        read_round(tmp_path)


def test_the_dataclass_refuses_bad_values_when_built_directly() -> None:
    with pytest.raises(RoundError, match="'kind'"):
        RoundInfo("2018", "Giữa kỳ", "Mid-term", 2018, "midterm")


def test_a_question_may_quote_only_known_round_settings() -> None:
    import copy

    from questionnaires.errors import QuestionnaireError
    from questionnaires.loader import bundled_paths, questionnaire_from_dict
    from questionnaires.placeholders import fill_placeholders
    from questionnaires.rounds import round_placeholders

    commune = next(p for p in bundled_paths() if p.stem == "commune")
    document = json.loads(commune.read_text(encoding="utf-8"))
    form = questionnaire_from_dict(document)
    label = form.question("COM_P1_1").label
    values = round_placeholders({"party_term": "2020–2025"})
    assert fill_placeholders(label.vi, values).endswith("nhiệm kỳ 2020–2025")
    assert fill_placeholders(label.en, values).endswith("term 2020–2025")
    assert "2020–2025" not in label.vi  # the term is the round's, not the question's
    wrong = copy.deepcopy(document)
    text = json.dumps(wrong, ensure_ascii=False).replace("{round.party_term}", "{round.term}")
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(json.loads(text))
    assert "question COM_P1_1" in caught.value.message_en
    assert "{round.term}" in caught.value.message_en and "{round.party_term}" in (
        caught.value.message_en
    )
    assert "không phải thiết lập của đợt" in caught.value.message_vi
