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
            questionnaire_from_dict(doc, "forms/mini.json", "mini")
        except QuestionnaireError as exc:
            assert exc.messages
            assert all(m.startswith("forms/mini.json: ") for m in exc.messages), exc.messages
