"""The loader builds frozen models and rejects every author mistake with a precise message."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from questionnaires import (
    QuestionnaireError,
    RepeatGroup,
    load_questionnaire,
    questionnaire_from_dict,
)
from questionnaires.loader import content_hash
from questionnaires.model import QUESTION_TYPES

MINI = Path(__file__).parent / "forms" / "mini.json"


def L(text: str) -> dict[str, str]:  # noqa: N802 - reads like the JSON it stands for
    """A bilingual label."""
    return {"vi": f"{text} (vi)", "en": text}


def kap() -> dict[str, Any]:
    """A small valid questionnaire that each test breaks in one way."""
    return {
        "id": "kap",
        "version": "1.0.0",
        "languages": ["vi", "en"],
        "default_language": "vi",
        "title": L("KAP"),
        "unit": "individual",
        "analysis": {"weight": "w", "stratum": "stratum", "psu": "psu", "sex": "A00"},
        "choice_lists": {
            "sex": [
                {"code": 1, "name": "male", "label": L("Male")},
                {"code": 2, "name": "female", "label": L("Female")},
            ],
            "agree3": [
                {"code": 1, "name": "agree", "label": L("Agree"), "district": 178},
                {"code": 2, "name": "disagree", "label": L("Disagree"), "district": 180},
            ],
        },
        "sections": [
            {
                "id": "S1",
                "title": L("Section 1"),
                "items": [
                    {"id": "A00", "type": "single", "choices": "sex", "label": L("Sex")},
                    {"id": "HH02", "type": "integer", "label": L("Members")},
                    {"id": "A05", "type": "single", "choices": "agree3", "label": L("Agree?")},
                    {"id": "T1", "type": "text", "label": L("Text")},
                    {
                        "id": "roster",
                        "type": "repeat",
                        "unit": "member",
                        "label": L("Roster"),
                        "count": "${HH02}",
                        "items": [{"id": "M04", "type": "integer", "label": L("Age")}],
                    },
                ],
            }
        ],
    }


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/kap.json", "kap")
    error = caught.value
    # Every message also exists in Vietnamese, for the same place.
    assert len(error.messages_vi) == len(error.messages)
    for en, vi in zip(error.messages, error.messages_vi, strict=True):
        assert vi.startswith("forms/kap.json: ") and vi != en, (en, vi)
    return error.messages


def item(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    def find(items: list[dict[str, Any]]) -> dict[str, Any] | None:
        for it in items:
            if it["id"] == ident:
                return it
            if it.get("type") == "repeat":
                found = find(it["items"])
                if found:
                    return found
        return None

    for section in doc["sections"]:
        found = find(section["items"])
        if found:
            return found
    raise AssertionError(ident)


def test_the_small_form_is_valid() -> None:
    q = questionnaire_from_dict(kap(), "forms/kap.json", "kap")
    assert q.id == "kap" and q.question("M04").group == "roster"


# --------------------------------------------------------------------------- the fixture form


def test_fixture_form_loads_into_frozen_objects() -> None:
    q = load_questionnaire(MINI)
    assert (q.id, q.version, q.unit) == ("mini", "1.2.0", "household")
    assert q.title["vi"] == "Phiếu thử nghiệm" and q.title["en"] == "Test questionnaire"
    assert q.analysis.weight == "weight_final" and q.analysis.sex == "RSEX"
    assert [s.id for s in q.sections] == ["H", "D"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.id = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.question("HH02").required = False  # type: ignore[misc]


def test_fixture_form_covers_every_question_type() -> None:
    q = load_questionnaire(MINI)
    assert {question.type for question in q.iter_questions()} == set(QUESTION_TYPES)


def test_iter_questions_goes_in_order_into_groups() -> None:
    q = load_questionnaire(MINI)
    ids = [question.id for question in q.iter_questions()]
    assert ids[:9] == ["HH01", "HH02", "HH03", "HH04", "N1", "M01", "M03", "M04", "M05"]
    assert q.question("M04").group == "roster" and q.question("HH02").group is None
    roster = q.group("roster")
    assert isinstance(roster, RepeatGroup) and roster.unit == "member" and roster.count == "${HH02}"
    assert roster.count_ast == {"node": "ref", "name": "HH02"}


def test_model_objects_are_hashable_and_compare_by_value() -> None:
    q = load_questionnaire(MINI)
    things = {q, *q.sections, *q.groups, *q.iter_questions(), *q.choice_lists.values()}
    things |= {choice for choice_list in q.choice_lists.values() for choice in choice_list}
    assert q in things and q.question("SN01") in things
    again = questionnaire_from_dict(json.loads(MINI.read_text(encoding="utf-8")), "x", "mini")
    assert again.question("SN01") == q.question("SN01")
    assert hash(again.question("SN01")) == hash(q.question("SN01"))


def test_question_fields_and_defaults() -> None:
    q = load_questionnaire(MINI)
    hh02 = q.question("HH02")
    assert hh02.required and hh02.export_label.en == "Household size"
    assert q.question("HH04").export_label.en == "Interview date"  # falls back to the label
    assert q.question("HH01").identifying and q.question("D1_05").sensitive
    assert q.question("M04").missing_codes == (98,)
    assert q.question("A04").missing_codes == (98, 99)
    assert q.question("D1_04").choices is not None and q.question("D1_04").choices.name == "org"
    assert [c.name for c in q.question("D1_01").choices] == ["yes", "no"]
    assert [c.code for c in q.question("A04").choices] == [1, 2, 3, 4, 5]
    assert [r.id for r in q.question("P01").rows] == ["cook", "clean"]
    assert q.question("D1_04").choices.by_code(7).exclusive
    assert q.question("SN01").choices.by_code(2).attributes == {"urban": True}
    with pytest.raises(KeyError, match="no question 'ZZ'"):
        q.question("ZZ")


def test_choice_names_compile_to_codes_and_members_get_their_group() -> None:
    q = load_questionnaire(MINI)
    assert q.question("D1_02").relevant_ast == {
        "node": "binary",
        "op": "=",
        "left": {"node": "ref", "name": "D1_01"},
        "right": {"node": "number", "value": 1},
    }
    condition = q.question("C1").calculation_ast["args"][1]
    assert condition["left"] == {"node": "ref", "name": "M03", "repeat": "roster"}
    assert condition["right"] == {"node": "number", "value": 2}


def test_content_hash_is_sha256_of_canonical_json() -> None:
    document = json.loads(MINI.read_text(encoding="utf-8"))
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert load_questionnaire(MINI).content_hash == expected == content_hash(document)
    changed = copy.deepcopy(document)
    changed["version"] = "1.2.1"
    assert content_hash(changed) != expected


def test_to_client_dict_is_json_with_asts_and_builtin_lists() -> None:
    client = load_questionnaire(MINI).to_client_dict()
    text = json.dumps(client, ensure_ascii=False)
    assert json.loads(text) == client
    assert {"yesno", "likert5", "org"} <= set(client["choice_lists"])
    section_d = client["sections"][1]
    assert section_d["ast"]["relevant"]["op"] == ">="
    d1_02 = next(i for i in section_d["items"] if i["id"] == "D1_02")
    assert d1_02["relevant"] == "${D1_01} = 'yes'"
    assert d1_02["ast"]["relevant"]["right"]["value"] == 1
    roster = client["sections"][0]["items"][-1]
    assert roster["type"] == "repeat" and roster["ast"]["count"]["name"] == "HH02"
    assert roster["items"][2]["group"] == "roster" and roster["items"][2]["missing_codes"] == [98]


# --------------------------------------------------------------------------- author mistakes

Mutation = Callable[[dict[str, Any]], None]


def _set(ident: str, **changes: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        item(doc, ident).update(changes)

    return mutate


def _drop(ident: str, key: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        del item(doc, ident)[key]

    return mutate


def _add_item(new: dict[str, Any]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        doc["sections"][0]["items"].append(new)

    return mutate


def _add_member(new: dict[str, Any]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        item(doc, "roster")["items"].append(new)

    return mutate


def _top(**changes: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        doc.update(changes)

    return mutate


def _choice(list_name: str, index: int, **changes: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        doc["choice_lists"][list_name][index].update(changes)

    return mutate


MISTAKES: dict[str, tuple[Mutation, str]] = {
    "undefined choice list": (
        _set("A05", choices="agree5"),
        "forms/kap.json: question A05: choice list 'agree5' is not defined; add it under "
        "choice_lists (or did you mean 'agree3'?)",
    ),
    "unknown question in an expression": (
        _set("A05", relevant="1 = ${HH2}"),
        "forms/kap.json: question A05: relevant (column 5): ${HH2} is not a question of this "
        "questionnaire; did you mean ${HH02}?",
    ),
    "syntax error with column": (
        _set("A05", relevant="${A00} = 1)"),
        "forms/kap.json: question A05: relevant (column 11): unexpected ')'",
    ),
    "duplicate question id": (
        _add_item({"id": "A05", "type": "text", "label": L("Again")}),
        "forms/kap.json: question A05: id 'A05' is already used by a question",
    ),
    "question id equal to a section id": (
        _add_item({"id": "S1", "type": "text", "label": L("Again")}),
        "forms/kap.json: question S1: id 'S1' is already used by a section",
    ),
    "grid row clashes with a question": (
        lambda doc: doc["sections"][0]["items"].extend(
            [
                {"id": "G_r", "type": "text", "label": L("x")},
                {
                    "id": "G",
                    "type": "grid",
                    "choices": "sex",
                    "label": L("Grid"),
                    "rows": [{"id": "r", "label": L("r")}],
                },
            ]
        ),
        "forms/kap.json: question G: id 'G_r' is already used by a question",
    ),
    "missing English label": (
        _set("A05", label={"vi": "Đồng ý?"}),
        'forms/kap.json: question A05: label: the English (en) text is missing; add "en": "…"',
    ),
    "missing Vietnamese label": (
        _set("A05", label={"en": "Agree?"}),
        'forms/kap.json: question A05: label: the Vietnamese (vi) text is missing; add "vi"',
    ),
    "empty English label": (
        _set("A05", label={"vi": "Đồng ý?", "en": "  "}),
        "forms/kap.json: question A05: label.en: the English (en) text is empty; write it",
    ),
    "missing label in a choice": (
        _choice("agree3", 1, label={"vi": "Không"}),
        "forms/kap.json: choice list 'agree3', choice 2 (code 2): label: the English (en) text "
        "is missing",
    ),
    "missing title translation": (
        _top(title={"vi": "KAP"}),
        "forms/kap.json: title: the English (en) text is missing",
    ),
    "roster count points at a non-integer": (
        _set("roster", count="${T1}"),
        "forms/kap.json: group roster: count ${T1} points at a text question, not an integer "
        "question; make T1 an integer question or count with another one",
    ),
    "roster count points at a member": (
        _set("roster", count="${M04}"),
        "forms/kap.json: group roster: count (column 1): ${M04} is a question of repeat group "
        "'roster' and cannot be read outside it",
    ),
    "unknown choice name in selected()": (
        _set("A05", relevant="selected(${A00}, 'woman')"),
        "forms/kap.json: question A05: relevant (column 18): 'woman' is not a choice name of "
        "A00; its choices are male, female",
    ),
    "unknown choice name in a comparison": (
        _set("A05", relevant="${A00} = 'fem'"),
        "'fem' is not a choice name of A00",
    ),
    "choice code 98 used as a choice": (
        _choice("agree3", 1, code=98),
        "forms/kap.json: choice list 'agree3': code 98 is reserved for 'don't know'; use another "
        "code and declare missing_codes [98] on the questions instead",
    ),
    "choice code 99 used as a choice": (_choice("agree3", 1, code=99), "code 99 is reserved"),
    "duplicate choice code": (_choice("agree3", 1, code=1), "code 1 is used twice"),
    "duplicate choice name": (_choice("agree3", 1, name="agree"), "name 'agree' is used twice"),
    "constraint without message": (
        _set("HH02", constraint=". > 0"),
        "forms/kap.json: question HH02: constraint has no constraint_message; add "
        '"constraint_message"',
    ),
    "message without constraint": (
        _set("HH02", constraint_message=L("Too small")),
        "constraint_message without a constraint",
    ),
    "calculation on a non-calculate question": (
        _set("HH02", calculation="1 + 1"),
        "forms/kap.json: question HH02: only calculate questions have a calculation; remove it "
        "or change the type 'integer' to calculate",
    ),
    "calculate without calculation": (
        _add_item({"id": "C1", "type": "calculate", "label": L("c")}),
        "type 'calculate' needs a calculation",
    ),
    "'.' outside a constraint": (
        _set("A05", relevant=". = 1"),
        "forms/kap.json: question A05: relevant (column 1): '.' (the answer being checked) is "
        "only allowed in a constraint",
    ),
    "choice attribute outside choice_filter": (
        _set("A05", relevant="code = 1"),
        "forms/kap.json: question A05: relevant (column 1): bare name 'code' reads a choice "
        "attribute and is only allowed in choice_filter; to read a question write ${code}",
    ),
    "unknown choice attribute in choice_filter": (
        _set("A05", choice_filter="distrct = 178"),
        "forms/kap.json: question A05: choice_filter reads 'distrct', which the choices of "
        "'agree3' do not have",
    ),
    "member reference outside an aggregate": (
        _set("A05", relevant="${M04} > 15"),
        "forms/kap.json: question A05: relevant (column 1): ${M04} is a question of repeat "
        "group 'roster' and cannot be read outside it; use it inside count(${roster}, ...) or "
        "sum(${M04})",
    ),
    "form id differs from the file name": (
        _top(id="kap2"),
        "forms/kap.json: id 'kap2' does not match the file name 'kap.json'; make them the same",
    ),
    "bad semantic version": (
        _top(version="1.0"),
        'forms/kap.json: version: "1.0" is not a semantic version; write MAJOR.MINOR.PATCH '
        "such as 1.0.0",
    ),
    "unknown question type": (
        _set("T1", type="txt"),
        'forms/kap.json: question T1: type: "txt" is not a question type; use one of',
    ),
    "misspelt key": (
        _set("T1", requird=True),
        "forms/kap.json: question T1: unknown key 'requird'; remove it or fix its spelling",
    ),
    "single without choices": (
        _drop("A05", "choices"),
        "forms/kap.json: question A05: type 'single' needs a choice list",
    ),
    "grid without rows": (
        _add_item({"id": "G", "type": "grid", "choices": "sex", "label": L("g")}),
        "forms/kap.json: question G: type 'grid' needs rows",
    ),
    "rows on a non-grid": (
        _set("A05", rows=[{"id": "r", "label": L("r")}]),
        "only grid questions have rows",
    ),
    "choices on a text question": (_set("T1", choices="sex"), "type 'text' has no choices"),
    "redefined built-in list": (
        lambda doc: doc["choice_lists"].update(yesno=[{"code": 1, "name": "y", "label": L("y")}]),
        "forms/kap.json: choice list 'yesno': 'yesno' is a built-in list and may not be redefined",
    ),
    "missing code 97": (_set("HH02", missing_codes=[97]), "question HH02: missing_codes"),
    "missing codes on text": (
        _set("T1", missing_codes=[98]),
        "type 'text' cannot take missing codes",
    ),
    "analysis sex is not a question": (
        lambda doc: doc["analysis"].update(sex="SEX"),
        "forms/kap.json: analysis: sex names 'SEX', which is not a question",
    ),
    "analysis without weight": (
        lambda doc: doc["analysis"].pop("weight"),
        "forms/kap.json: analysis: 'weight' is missing; add it",
    ),
    "languages without en": (_top(languages=["vi"]), "languages: must list both"),
    "unit not allowed": (_top(unit="village"), 'unit: "village" is not allowed here'),
    "unknown function": (
        _set("A05", relevant="sumif(${HH02})"),
        "relevant (column 1): unknown function 'sumif()'",
    ),
    "wrong number of arguments": (
        _set("A05", relevant="if(${HH02} > 1, 1)"),
        "relevant (column 1): if() takes 3 arguments, not 2",
    ),
    "circular calculations": (
        lambda doc: doc["sections"][0]["items"].extend(
            [
                {"id": "C1", "type": "calculate", "label": L("c"), "calculation": "${C2} + 1"},
                {"id": "C2", "type": "calculate", "label": L("c"), "calculation": "${C1} + 1"},
            ]
        ),
        "calculations depend on each other in a circle",
    ),
    "groups nested twice": (
        _add_member(
            {
                "id": "births",
                "type": "repeat",
                "unit": "birth",
                "label": L("b"),
                "items": [
                    {
                        "id": "twins",
                        "type": "repeat",
                        "unit": "twin",
                        "label": L("t"),
                        "items": [{"id": "X1", "type": "text", "label": L("x")}],
                    }
                ],
            }
        ),
        "groups may nest only once",
    ),
    "type yesno with another list": (
        _add_item({"id": "Y1", "type": "yesno", "choices": "sex", "label": L("y")}),
        "type 'yesno' always uses the built-in 'yesno' list",
    ),
    "sum over a non-member": (
        _set("A05", relevant="sum(${HH02}) > 1"),
        "relevant (column 5): sum() needs a question of a repeat group",
    ),
    "count over a non-group": (
        _set("A05", relevant="count(${HH02}) > 1"),
        "count() needs a repeat group as its first argument; ${HH02} is not a repeat group",
    ),
    "required note": (
        _add_item({"id": "N2", "type": "note", "label": L("n"), "required": True}),
        "a note question has no answer to require",
    ),
}
MISTAKES["reading a note"] = (
    lambda doc: doc["sections"][0]["items"].extend(
        [
            {"id": "N1", "type": "note", "label": L("n")},
            {"id": "Q9", "type": "text", "label": L("q"), "relevant": "${N1} = 1"},
        ]
    ),
    "forms/kap.json: question Q9: relevant reads ${N1}, a note, which has no answer",
)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_author_mistake_gets_a_precise_message(mistake: str) -> None:
    mutate, expected = MISTAKES[mistake]
    doc = kap()
    mutate(doc)
    messages = problems(doc)
    assert any(message.startswith(expected) or expected in message for message in messages), (
        messages
    )
    for message in messages:
        assert message.startswith("forms/kap.json: ")
        assert "Traceback" not in message and "KeyError" not in message


def test_all_problems_are_reported_together() -> None:
    doc = kap()
    _set("A05", choices="agree5")(doc)
    _set("T1", relevant="${nope} = 1")(doc)
    _choice("sex", 0, code=99)(doc)
    messages = problems(doc)
    assert len(messages) == 3
    assert str(QuestionnaireError(messages)) == "\n".join(messages)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    path = forms / "kap.json"
    path.write_text('{\n  "id": "kap",\n  "version" "1.0.0"\n}\n', encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert caught.value.messages[0].startswith("forms/kap.json: line 3, column 13: not valid JSON")


def test_missing_file_is_a_questionnaire_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="file not found"):
        load_questionnaire(tmp_path / "nope.json")


def test_file_name_must_match_id(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "other.json").write_text(json.dumps(kap()), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(forms / "other.json")
    assert caught.value.messages == [
        "forms/other.json: id 'kap' does not match the file name 'other.json'; make them the same"
    ]


def test_not_an_object_is_reported() -> None:
    with pytest.raises(QuestionnaireError, match="must be of JSON type object"):
        questionnaire_from_dict([], "forms/kap.json", "kap")


def test_messages_in_vietnamese_name_the_place_in_vietnamese() -> None:
    doc = kap()
    _set("A05", choices="agree5")(doc)
    _set("roster", count="${T1}")(doc)
    _choice("agree3", 1, code=98)(doc)
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(doc, "forms/kap.json", "kap")
    assert caught.value.messages_in("vi") == [
        "forms/kap.json: danh sách lựa chọn 'agree3': mã 98 dành riêng cho 'Không biết'; hãy "
        "dùng mã khác và khai báo missing_codes [98] ở câu hỏi",
        "forms/kap.json: câu hỏi A05: danh sách lựa chọn 'agree5' chưa được định nghĩa; hãy "
        "thêm vào choice_lists (hay ý bạn là 'agree3'?)",
        "forms/kap.json: nhóm roster: count ${T1} trỏ tới câu hỏi loại text, không phải câu "
        "hỏi số nguyên; hãy đổi T1 thành câu hỏi integer hoặc đếm bằng câu hỏi khác",
    ]
    assert caught.value.messages_in("en") == caught.value.messages
