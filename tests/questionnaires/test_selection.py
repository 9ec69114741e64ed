"""The household's selection rule (Kish grid) and its hand-offs are declared in the form, checked
by the loader, and name only questions that exist where they are used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from questionnaires import QuestionnaireError, load_bundled
from questionnaires.loader import questionnaire_from_dict

FORMS = Path(__file__).resolve().parents[2] / "questionnaires" / "forms"


def _household() -> dict[str, Any]:
    return json.loads((FORMS / "household.json").read_text(encoding="utf-8"))


def test_the_household_form_declares_its_selection_and_hand_offs() -> None:
    forms = load_bundled()
    selection = forms["household"].selection
    assert selection is not None
    assert (selection.question, selection.roster, selection.kish_number) == (
        "HH25",
        "roster",
        "household_no",
    )
    client = forms["household"].to_client_dict()["selection"]
    assert client["ast"]["eligible"]["node"] == "binary"
    assert set(client["handoff"]) == {"individual", "women"}
    # Every question a hand-off fills is a top-level question of the bundled form of that unit.
    by_unit = {form.unit: form for form in forms.values()}
    for handoff in selection.handoff:
        target = by_unit[handoff.unit]
        filled = [*handoff.prefill, *([handoff.line] if handoff.line else [])]
        for ident in filled:
            assert target.question(ident).group is None, (handoff.unit, ident)


def test_the_earlier_versions_stay_without_a_selection_rule() -> None:
    earlier = json.loads(
        (FORMS / "versions" / "1.1.0" / "household.json").read_text(encoding="utf-8")
    )
    assert earlier["version"] == "1.1.0" and "selection" not in earlier
    assert questionnaire_from_dict(earlier, "forms/household.json", "household").selection is None


def test_the_loader_names_what_is_wrong_with_a_selection_rule() -> None:
    doc = _household()
    rule = doc["selection"]
    rule["question"] = "HH01"  # a text question
    rule["oldest_first"] = "HH06"  # not in the roster
    rule["eligible"] = "${M99} = 1"
    rule["handoff"]["women"]["prefill"] = {"resp_name": "M01", "hh": "household_no"}
    rule["handoff"]["women"]["line"] = "resp_line"
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/household.json", "household")
    messages, messages_vi = caught.value.messages, caught.value.messages_vi
    assert any(
        m.startswith("forms/household.json: selection: question names 'HH01'") for m in messages
    )
    assert any("oldest_first names 'HH06'" in m and "roster roster" in m for m in messages)
    assert any("eligible (column" in m and "M99" in m for m in messages)
    women = [m for m in messages if "handoff to women" in m]
    assert any("may not carry M01, household_no, line" in m for m in women), women
    assert any('generate "random_id"' in m for m in women)
    assert any("mô-đun phụ nữ không được mang M01, household_no, line" in m for m in messages_vi)
    assert any("question trỏ tới 'HH01'" in m for m in messages_vi)
