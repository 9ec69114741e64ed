"""Paradata quality checks: robust z-scores by hand, and the simulated fabricators found."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.paradata import interview_quality, modified_z, quality_by_enumerator
from analysis.synthetic.paradata import (
    FABRICATORS,
    paradata_tables,
    simulated_records,
    write_paradata,
)
from analysis.synthetic.run import Simulator


def test_modified_z_matches_hand_computation() -> None:
    # median 3; |x - 3| = 2 1 0 1 97, MAD 1; z = 0.6745 (x - 3)
    z = modified_z([1, 2, 3, 4, 100])
    assert z == pytest.approx([-1.349, -0.6745, 0.0, 0.6745, 65.4265])


def test_modified_z_falls_back_to_mean_deviation_when_mad_is_zero() -> None:
    # median 0, MAD 0; mean |x| = 10 / 5 = 2; z = x / (1.253314 * 2)
    z = modified_z([0, 0, 0, 0, 10])
    assert z[-1] == pytest.approx(10 / 2.506628)
    assert list(z[:4]) == [0, 0, 0, 0]
    assert list(modified_z([5, 5, 5])) == [0, 0, 0]


def _interviews(minutes_by_enumerator: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for enumerator, durations in minutes_by_enumerator.items():
        for i, minutes in enumerate(durations):
            start = pd.Timestamp("2025-10-01 08:00", tz="UTC") + pd.Timedelta(hours=i)
            rows.append(
                {
                    "submission_uuid": f"{enumerator}-{i}",
                    "enumerator": enumerator,
                    "started_at": start.isoformat(),
                    "ended_at": (start + pd.Timedelta(minutes=minutes)).isoformat(),
                }
            )
    return pd.DataFrame(rows)


def test_a_fast_enumerator_is_flagged_and_the_team_is_not() -> None:
    durations = {f"e{k}": [30 + k, 32 + k, 31 + k] for k in range(8)}
    durations["fast"] = [6.0, 7.0, 5.0]
    interviews = _interviews(durations)
    per = pd.DataFrame(
        {
            "submission_uuid": interviews["submission_uuid"],
            "enumerator": interviews["enumerator"],
            "day": "2025-10-01",
            "minutes": [
                (pd.Timestamp(e) - pd.Timestamp(s)).total_seconds() / 60
                for s, e in zip(interviews["started_at"], interviews["ended_at"], strict=True)
            ],
            "dont_know": 0.05,
            "straightlined": 0.0,
            "optional_skipped": 0.1,
        }
    )
    table = quality_by_enumerator(per, short_minutes=15).set_index("enumerator")
    assert table.loc["fast", "median_minutes"] == 6.0
    assert table.loc["fast", "share_short"] == 1.0
    assert set(table.loc["fast", "flagged"].split()) == {"median_minutes", "share_short"}
    assert (table.drop(index="fast")["flagged"] == "").all()
    # medians of the team: 31..38 and 6 -> median 34; MAD of |31-34|..|38-34|, |6-34| = 2 (sorted
    # deviations 0 1 1 2 2 3 3 4 28: median 2); z(fast) = 0.6745 * (6 - 34) / 2
    assert table.loc["fast", "z_median_minutes"] == pytest.approx(0.6745 * -28 / 2)


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    return Simulator(800, 1)


@pytest.mark.parametrize("form_id", ["household", "individual"])
def test_quality_check_flags_exactly_the_simulated_fabricators(
    simulator: Simulator, form_id: str
) -> None:
    answers_of = {
        f"{form}:{design['hh_id']}": answers
        for form, answers, design in simulator.iter_answer_dicts()
        if form == form_id
    }
    records = [r for r in simulated_records(simulator) if r[1] == form_id]
    assert FABRICATORS <= {int(enumerator) for _, _, enumerator, _ in records}
    form = simulator.forms[form_id]
    heads, questions = paradata_tables(records)
    keys = [f"{form_id}:{hh}" for hh in _hh_ids(simulator, form_id)]
    assert len(keys) == len(heads)
    per = interview_quality(form, heads, [answers_of[key] for key in keys], questions)
    table = quality_by_enumerator(per, short_minutes=10)
    flagged = set(table.loc[table["flagged"] != "", "enumerator"].astype(int))
    assert flagged == set(FABRICATORS)
    fabricated = [a for a in answers_of.values() if int(a["interviewer_id"]) in FABRICATORS]
    assert fabricated and all(form.validate_answers(a) == [] for a in fabricated)
    by_day = quality_by_enumerator(per, short_minutes=10, by_day=True)
    assert set(by_day.loc[by_day["flagged"] != "", "enumerator"].astype(int)) == flagged


def _hh_ids(simulator: Simulator, form_id: str) -> list[int]:
    return [d["hh_id"] for f, _, d in simulator.iter_answer_dicts() if f == form_id]


def test_simulated_paradata_files(simulator: Simulator, tmp_path: Path) -> None:
    counts = write_paradata(simulator, tmp_path)
    interviews = pd.read_csv(tmp_path / "paradata_interviews.csv")
    questions = pd.read_csv(tmp_path / "paradata_questions.csv")
    assert counts == {
        "paradata_interviews": len(interviews),
        "paradata_questions": len(questions),
    }
    assert set(interviews["questionnaire_id"]) == {"household", "individual"}
    assert interviews["submission_uuid"].is_unique
    assert set(questions["submission_uuid"]) <= set(interviews["submission_uuid"])
    assert (questions["seconds"] > 0).all() and not math.isnan(questions["seconds"].sum())
    assert np.all(pd.to_datetime(interviews["ended_at"]) > pd.to_datetime(interviews["started_at"]))


def test_the_quality_table_counts_selections_other_than_the_grids() -> None:
    """Household number 3, two women (lines 1 and 2): row 3 of the grid with two eligible
    selects the 1st, the oldest (line 1); line 2 recorded is counted, unanswered is not."""
    from questionnaires import load_questionnaire

    data = Path(__file__).resolve().parents[1] / "browser" / "data"
    form = load_questionnaire(data / "day_household.json")
    base = {
        "household_no": 3,
        "HH24": 2,
        "roster": [{"M03": 2, "M04": 47}, {"M03": 2, "M04": 30}],
    }
    answers = [{**base, "HH25": 1}, {**base, "HH25": 2}, {**base, "HH25": 1}, base]
    heads = pd.DataFrame(
        {
            "submission_uuid": ["a", "b", "c", "d"],
            "enumerator": ["x", "x", "y", "y"],
            "started_at": ["2026-12-03T08:00:00Z"] * 4,
            "ended_at": ["2026-12-03T08:30:00Z"] * 4,
        }
    )
    per_interview = interview_quality(form, heads, answers)
    assert per_interview["selection_off"].tolist()[:3] == [0.0, 1.0, 0.0]
    assert pd.isna(per_interview["selection_off"].iloc[3])  # unanswered: cannot be told
    table = quality_by_enumerator(per_interview).set_index("enumerator")
    assert table.loc["x", "share_selection_off"] == 0.5
    assert table.loc["y", "share_selection_off"] == 0.0
