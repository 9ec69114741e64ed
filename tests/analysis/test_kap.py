"""KAP scoring and reliability on small data whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.kap import (
    attitude_index,
    chore_index,
    cronbach_alpha,
    decision_indicators,
    item_rest,
    knowledge_keys,
    knowledge_scores,
    kr20,
    wife_beating,
)
from questionnaires import load_bundled

K_ITEMS = [f"K{i:02d}" for i in range(1, 16)]
A_ITEMS = [f"A{i:02d}" for i in range(1, 15)]
REVERSE = ["A01", "A02", "A03", "A05", "A06", "A07", "A11", "A12", "A13"]


@pytest.fixture(scope="module")
def keys() -> dict[str, int]:
    return knowledge_keys(load_bundled()["individual"], K_ITEMS)


def test_knowledge_keys_come_from_the_form(keys: dict[str, int]) -> None:
    # K04 and K06 are false statements: "Sai" (code 2) is correct; the rest are true (code 1).
    assert keys["K04"] == 2 and keys["K06"] == 2
    assert all(keys[k] == 1 for k in K_ITEMS if k not in ("K04", "K06"))


def _answers(keys: dict[str, int], pattern: list[str]) -> dict[str, int]:
    """c = correct, w = wrong, d = don't know (98), r = refused (99)."""
    out = {}
    for item, mark in zip(K_ITEMS, pattern, strict=True):
        out[item] = {"c": keys[item], "w": 3 - keys[item], "d": 98, "r": 99}[mark]
    return out


def test_knowledge_score_counts_dont_know_as_wrong_and_needs_12_answers(keys):
    frame = pd.DataFrame(
        [
            _answers(keys, list("c" * 15)),  # 15/15 -> 100, good
            _answers(keys, list("c" * 9 + "d" * 3 + "r" * 3)),  # 9 of 12 answered -> 75, moderate
            _answers(keys, list("c" * 11 + "r" * 4)),  # 11 answered -> no score
            _answers(keys, list("c" * 8 + "w" * 7)),  # 8/15 -> 53.3, poor
            _answers(keys, list("c" * 12 + "w" * 3)),  # 12/15 -> 80, good (edge)
        ]
    )
    scored = knowledge_scores(frame, K_ITEMS, keys)
    assert scored["score"].iloc[0] == 100
    assert scored["score"].iloc[1] == 75
    assert math.isnan(scored["score"].iloc[2])
    assert scored["score"].iloc[3] == pytest.approx(800 / 15)
    assert scored["score"].iloc[4] == 80
    assert scored["adequate"].tolist()[:2] == [1.0, 1.0]
    assert math.isnan(scored["adequate"].iloc[2])
    assert scored["adequate"].iloc[3] == 0.0
    assert scored["level"].tolist()[:2] == [3.0, 2.0]
    assert scored["level"].iloc[3] == 1.0 and scored["level"].iloc[4] == 3.0
    # per-item: don't know is 0, refused is missing
    assert scored["correct_K10"].iloc[1] == 0.0
    assert math.isnan(scored["correct_K15"].iloc[1])


def test_attitude_index_reverse_codes_and_needs_80_percent():
    def person(value_plain: int, value_reverse: int, missing: int = 0) -> dict[str, int]:
        row = {a: (value_reverse if a in REVERSE else value_plain) for a in A_ITEMS}
        for a in A_ITEMS[:missing]:
            row[a] = 98
        return row

    frame = pd.DataFrame(
        [
            person(5, 1),  # fully equitable: recoded all 5 -> 100, high
            person(3, 3),  # neutral -> 50, moderate
            person(1, 5, missing=2),  # 12 of 14 answered, all inequitable -> 0, low
            person(5, 1, missing=3),  # 11 of 14 < 80% -> missing
            person(4, 2),  # recoded all 4 -> 75, high
        ]
    )
    scored = attitude_index(frame, A_ITEMS, REVERSE)
    assert scored["index"].iloc[0] == 100
    assert scored["index"].iloc[1] == 50
    assert scored["index"].iloc[2] == 0
    assert math.isnan(scored["index"].iloc[3])
    assert scored["index"].iloc[4] == 75
    assert scored["band"].iloc[[0, 1, 2, 4]].tolist() == [3.0, 2.0, 1.0, 3.0]
    assert scored["att_A01"].iloc[0] == 5  # reverse-coded 1 -> 5


def test_attitude_bands_edges():
    # index 33.3 is moderate, 66.6 is moderate, just above is high
    frame = pd.DataFrame({"A": [1 + 33.3 / 25, 1 + 66.6 / 25, 1 + 66.7 / 25, 1 + 33.2 / 25]})
    scored = attitude_index(frame, ["A"], [], min_share=1.0)
    assert scored["band"].tolist() == [2.0, 2.0, 3.0, 1.0]


def test_wife_beating_counts_dont_know_as_not_agree():
    items = ["A15a", "A15b", "A15c", "A15d", "A15e"]
    frame = pd.DataFrame(
        [[1, 0, 98, 0, 0], [98, 98, 0, 0, 0], [99] * 5, [1, 1, 1, 1, 1]], columns=items
    )
    scored = wife_beating(frame, items)
    assert scored["any"].iloc[0] == 1 and scored["count"].iloc[0] == 1
    assert scored["any"].iloc[1] == 0 and scored["count"].iloc[1] == 0
    assert math.isnan(scored["any"].iloc[2])
    assert scored["count"].iloc[3] == 5


def test_decisions_alone_or_jointly_and_all_three():
    rows = ["own_health", "large_purchases", "family_visits", "own_earnings"]
    frame = pd.DataFrame(
        [[1, 2, 1, 3], [3, 3, 4, 1], [1, 5, 2, 2]], columns=[f"P02_{r}" for r in rows]
    )
    scored = decision_indicators(frame, "P02", rows, rows[:3])
    assert scored["dec_own_health"].tolist() == [1.0, 0.0, 1.0]
    assert scored["all_three"].iloc[0] == 1 and scored["none"].iloc[0] == 0
    assert scored["all_three"].iloc[1] == 0 and scored["none"].iloc[1] == 1
    assert math.isnan(scored["all_three"].iloc[2])  # not applicable on one of the three


def test_chore_index_counts_shared_or_mainly_a_man():
    rows = ["cook", "clean", "childcare", "water_wood"]
    # man answering: me(1)=man, spouse(2)=woman, both(3), other man(5), n.a.(6)
    # woman answering: spouse(2)=man
    frame = pd.DataFrame([[1, 2, 3, 6], [2, 1, 5, 4]], columns=[f"P01_{r}" for r in rows])
    scored = chore_index(frame, "P01", rows, sex=np.array([1, 2]))
    assert scored["index"].iloc[0] == pytest.approx(2 / 3)  # me, both of 3 applicable
    assert scored["index"].iloc[1] == pytest.approx(2 / 4)  # spouse (a man), other man


def test_cronbach_alpha_matches_hand_computation():
    # item variances 5/3, 19/12, 11/12 (sum 25/6); total variance 35/3 -> alpha = 27/28
    items = np.array([[1, 2, 3], [2, 3, 3], [3, 3, 4], [4, 5, 5]], dtype=float)
    assert cronbach_alpha(items) == pytest.approx(27 / 28)


def test_alpha_uses_complete_cases_only():
    items = np.array([[1, 2, 3], [2, 3, 3], [3, 3, 4], [4, 5, 5], [np.nan, 1, 5]])
    assert cronbach_alpha(items) == pytest.approx(27 / 28)


def test_kr20_matches_hand_computation():
    # p = .8 .6 .4, sum pq = .64; total-score variance (divisor n) 1.36 -> KR-20 = 27/34
    items = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 1, 1]], dtype=float)
    assert kr20(items) == pytest.approx(27 / 34)


def test_kr20_equals_alpha_on_binary_items():
    # The n/(n-1) factors cancel in alpha's variance ratio, so on 0/1 items the two agree.
    rng = np.random.default_rng(3)
    items = (rng.random((200, 6)) < rng.random(6)).astype(float)
    assert kr20(items) == pytest.approx(cronbach_alpha(items), rel=1e-12)


def test_item_rest_correlation_matches_hand_computation():
    items = np.array([[1, 2, 3], [2, 3, 3], [3, 3, 4], [4, 5, 5]], dtype=float)
    # item 1 against rest (5, 6, 7, 10): Sxy = 8, Sxx = 5, Syy = 14
    assert item_rest(items)[0] == pytest.approx(8 / math.sqrt(70))


def test_the_plans_attitude_index_scores_a01b_and_still_scores_1_0_0_interviews():
    """A01 was split into A01 (head of family) and A01b (man decides) in 1.1.0: both count,
    reverse-coded, in the index; a 1.0.0 interview has 14 of the 15 items, enough (≥ 80 %)."""
    from questionnaires.plans import bundled_plan_path, load_plan

    spec = load_plan(bundled_plan_path(), load_bundled()).kap["attitude"]
    assert spec["items"][:2] == ["A01", "A01b"] and "A01b" in spec["reverse"]
    plain = {a: 4 for a in spec["items"] if a not in spec["reverse"]}  # 5 plain items
    reverse = {a: 2 for a in spec["reverse"] if a not in ("A01", "A01b")}  # 8 reverse items
    new = {**plain, **reverse, "A01": 1, "A01b": 5}  # A01b = 5 agrees: inequitable
    old = {**plain, **reverse, "A01": 1}  # 1.0.0: no A01b column value
    scored = attitude_index(pd.DataFrame([new, old]), spec["items"], spec["reverse"])
    # recoded: 13 items at 4, A01 6 − 1 = 5, A01b 6 − 5 = 1
    assert scored["att_A01b"].iloc[0] == 1
    assert scored["index"].iloc[0] == pytest.approx(25 * ((13 * 4 + 5 + 1) / 15 - 1))
    assert scored["index"].iloc[1] == pytest.approx(25 * ((13 * 4 + 5) / 14 - 1))
