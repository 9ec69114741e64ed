"""Whatever an author does to a form, the loader answers with QuestionnaireError, never a crash."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from questionnaires import QuestionnaireError, questionnaire_from_dict

MINI = json.loads((Path(__file__).parent / "forms" / "mini.json").read_text(encoding="utf-8"))
ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    98,
    1.5,
    True,
    "",
    " ",
    "x",
    "${HH02}",
    "${nope} +",
    "yesno",
    [],
    [1],
    {},
    {"vi": "a"},
    {"vi": "a", "en": "b"},
    "count(${roster})",
    "${M04}",
    ".",
    "code",
]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*here, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*here, index)))
    return found


def _mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(doc)[1:])
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.4 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))  # duplicates ids, codes, names
        else:
            parent[last] = rng.choice(ODD_VALUES)
    return doc


@pytest.mark.parametrize("seed", range(20))
def test_random_mistakes_never_crash_the_loader(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(8):
        doc = _mutate(MINI, rng)
        try:
            questionnaire = questionnaire_from_dict(doc, "forms/mini.json", "mini")
        except QuestionnaireError as exc:
            assert exc.messages
            assert all(m.startswith("forms/mini.json: ") for m in exc.messages), exc.messages
        else:
            # What the loader accepts must work: the browser's JSON and answer checks run on it.
            assert questionnaire.to_client_dict()["id"] == questionnaire.id
            assert isinstance(questionnaire.validate_answers({}), list)


def _with(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINI)
    change(doc)
    return doc


def _item(doc: dict[str, Any], section: int, qid: str) -> dict[str, Any]:
    return next(i for i in doc["sections"][section]["items"] if i["id"] == qid)


# One mistake each, and words the error must contain to name it (question id, the bad value).
NAMED_MISTAKES: list[tuple[str, Any, tuple[str, ...]]] = [
    (
        "unknown choice list",
        lambda d: _item(d, 1, "RSEX").update(choices="gender"),
        ("RSEX", "gender"),
    ),
    (
        "reference to a question that does not exist",
        lambda d: _item(d, 1, "D1_02").update(relevant="${NOPE} = 1"),
        ("D1_02", "NOPE"),
    ),
    (
        "expression that does not compile",
        lambda d: _item(d, 1, "D1_02").update(relevant="${D1_01} +"),
        ("D1_02", "relevant"),
    ),
    (
        "the same question id twice",
        lambda d: d["sections"][1]["items"].append(copy.deepcopy(_item(d, 1, "A04"))),
        ("A04",),
    ),
    (
        "question without a type",
        lambda d: _item(d, 0, "HH02").pop("type"),
        ("type",),
    ),
    (
        "unknown question type",
        lambda d: _item(d, 0, "HH02").update(type="number"),
        ("number",),
    ),
    (
        "a choice code used twice in one list",
        lambda d: d["choice_lists"]["sex"].append(copy.deepcopy(d["choice_lists"]["sex"][0])),
        ("sex",),
    ),
]


@pytest.mark.parametrize(
    ("change", "words"),
    [(change, words) for _, change, words in NAMED_MISTAKES],
    ids=[name for name, _, _ in NAMED_MISTAKES],
)
def test_each_mistake_is_refused_and_named(change: Any, words: tuple[str, ...]) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        questionnaire_from_dict(_with(change), "forms/mini.json", "mini")
    text = "\n".join(caught.value.messages)
    assert all(word in text for word in words), text
    assert all(m.startswith("forms/mini.json: ") for m in caught.value.messages)
    vi = "\n".join(caught.value.messages_vi)
    assert len(caught.value.messages_vi) == len(caught.value.messages) and vi
