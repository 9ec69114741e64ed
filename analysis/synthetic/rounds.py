"""Several survey rounds from one frame, with known, documented changes between them.

``gesurvey simulate --rounds 2017,2018,2020 --households N --out OUT`` writes one folder per
round (``OUT/2017/``, ``OUT/2018/``, ``OUT/2020/``), each an independent sample of the same frame
(the frame is the population; each round draws its own villages and households from its own
seed), each with its ``round.json``, and ``OUT/changes_truth.json`` saying what changed. Each
round's fieldwork runs 60 days from 1 October of its year (2017-10-01 – 2017-11-29 for 2017):
every interview date of the round falls in it, the commune and district forms' reference year
is the round's year, and ``round.json`` gives the window as ``field_start`` / ``field_end``.

The behaviour model (:mod:`analysis.synthetic.behaviour`) is the same in every round except for
the changes in :data:`CHANGES`. Round ``k`` (0 for the first, the baseline) applies each change
``k`` times ("steps"), so every pair of consecutive rounds differs by one step whatever the years
between them:

- ``flip``: among the answers equal to ``from_code`` (for the rows of ``sex`` when given), each
  becomes ``to_code`` with probability ``1 − (1 − rate)^k``. A share ``p`` of ``to_code`` answers
  becomes ``p + (1 − p)(1 − (1 − rate)^k)`` of the ``from_code`` ∪ ``to_code`` answers;
- ``thin``: a count (hours) is thinned binomially, each unit kept with probability
  ``(1 − rate)^k``: the mean becomes ``mean × (1 − rate)^k``.

The documented changes (``direction`` is what the indicator's value does; ``meaning`` whether
that is progress for the plan):

- I5.2 internet use (members 18+, D5_04 no→yes, rate 0.3): up, improves;
- I6.1 exposed to a gender-equality message (D6_01 no→yes, rate 0.4): up, improves;
- I8.1 women's unpaid care hours (D8_01 thinned for women, rate 0.3): down, improves (men
  unchanged, so the women − men gap shrinks);
- LAND_HOME residential land certificates in the wife's or joint names (household form, D2_06
  "husband's name" → "joint names", rate 0.35): up, improves — a household-level change;
- I6.2 took part in culture or sport (D6_03 yes→no, rate 0.5): down, worsens;
- I1.1 attended a village meeting: documented flat (no change), as is every other indicator of
  the plan.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.synthetic import behaviour
from analysis.synthetic.answers import Context
from analysis.synthetic.inputs import FIELDWORK_START, fieldwork_window
from questionnaires.errors import GesurveyError

__all__ = [
    "CHANGES",
    "FLAT",
    "Change",
    "RoundsError",
    "fieldwork_start",
    "parse_years",
    "round_dict",
    "round_models",
    "round_seed",
    "simulate_rounds",
    "truth",
]

Model = Callable[[Context], Any]


class RoundsError(GesurveyError, ValueError):
    """``--rounds`` is not a list of distinct increasing years."""

    code = "simulate_rounds_invalid"


@dataclass(frozen=True)
class Change:
    """One documented change between rounds: what the simulator does and what it means."""

    indicator: str
    question: str
    form: str
    kind: str  # "flip" or "thin"
    rate: float
    direction: str  # what the indicator's value does per step: "up" or "down"
    meaning: str  # "improves" or "worsens"
    from_code: float | None = None
    to_code: float | None = None
    sex: int | None = None
    description_en: str = ""
    description_vi: str = ""


CHANGES: tuple[Change, ...] = (
    Change(
        "I5.2",
        "D5_04",
        "household",
        "flip",
        0.3,
        "up",
        "improves",
        0.0,
        1.0,
        description_en="Internet use rises: each round, 30% of non-users become users.",
        description_vi="Dùng Internet tăng: mỗi vòng, 30% người chưa dùng trở thành người dùng.",
    ),
    Change(
        "I6.1",
        "D6_01",
        "individual",
        "flip",
        0.4,
        "up",
        "improves",
        0.0,
        1.0,
        description_en="Exposure to gender-equality messages rises: each round, 40% of the "
        "unexposed become exposed.",
        description_vi="Tiếp cận thông tin bình đẳng giới tăng: mỗi vòng, 40% người chưa "
        "tiếp cận trở thành đã tiếp cận.",
    ),
    Change(
        "I8.1",
        "D8_01",
        "individual",
        "thin",
        0.3,
        "down",
        "improves",
        sex=2,
        description_en="Women's unpaid care hours fall by 30% each round; men's do not change.",
        description_vi="Số giờ việc nhà không được trả công của phụ nữ giảm 30% mỗi vòng; "
        "của nam giới không đổi.",
    ),
    Change(
        "LAND_HOME",
        "D2_06",
        "household",
        "flip",
        0.35,
        "up",
        "improves",
        1.0,
        3.0,
        description_en="Residential land certificates in the husband's name alone move to joint "
        "names: 35% of them each round.",
        description_vi="Giấy chứng nhận đất ở chỉ đứng tên chồng chuyển sang đứng tên cả hai "
        "vợ chồng: 35% mỗi vòng.",
    ),
    Change(
        "I6.2",
        "D6_03",
        "individual",
        "flip",
        0.5,
        "down",
        "worsens",
        1.0,
        0.0,
        description_en="Taking part in culture or sport falls: each round, half of those who "
        "took part stop.",
        description_vi="Tham gia văn nghệ, thể thao giảm: mỗi vòng, một nửa người đã tham gia "
        "thôi tham gia.",
    ),
)

#: The indicator documented as flat (no change in any round; so is every indicator not changed).
FLAT = "I1.1"

_FORM_MODELS = {
    "household": behaviour.HOUSEHOLD,
    "individual": behaviour.INDIVIDUAL,
    "women": behaviour.WOMEN,
}


def _changed(base: Model, change: Change, step: int) -> Model:
    def draw(ctx: Context) -> Any:
        answers = np.asarray(base(ctx), float).copy()
        rows = np.ones(ctx.n, bool)
        if change.sex is not None:
            rows &= ctx.cov("sex") == change.sex
        if change.kind == "flip":
            moved = 1.0 - (1.0 - change.rate) ** step
            chosen = rows & (answers == change.from_code) & (ctx.rng.random(ctx.n) < moved)
            answers[chosen] = change.to_code
        else:
            kept = (1.0 - change.rate) ** step
            counts = np.nan_to_num(answers).astype(np.int64)
            thinned = ctx.rng.binomial(np.maximum(counts, 0), kept).astype(float)
            answers = np.where(rows & ~np.isnan(answers), thinned, answers)
        return answers

    return draw


def round_models(step: int) -> dict[str, dict[str, Model]]:
    """The behaviour model of each household form for a round ``step`` rounds after the baseline.

    Step 0 is the unchanged model (the same draws as a one-round simulation).
    """
    models = {form: dict(model) for form, model in _FORM_MODELS.items()}
    if step <= 0:
        return models
    for change in CHANGES:
        form = models[change.form]
        form[change.question] = _changed(form[change.question], change, step)
    return models


def parse_years(text: str) -> list[int]:
    """``"2017,2018,2020"`` → ``[2017, 2018, 2020]`` (distinct, increasing, four digits)."""
    try:
        years = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise RoundsError(
            f"--rounds must be years separated by commas (e.g. 2017,2018,2020), got '{text}'",
            f"--rounds phải là các năm cách nhau bằng dấu phẩy (vd. 2017,2018,2020), nhận '{text}'",
        ) from None
    if len(years) < 2 or any(b <= a for a, b in zip(years, years[1:], strict=False)):
        raise RoundsError(
            f"--rounds needs at least two different years in increasing order, got '{text}'",
            f"--rounds cần ít nhất hai năm khác nhau theo thứ tự tăng, nhận '{text}'",
        )
    if any(not 1900 <= y <= 2999 for y in years):
        raise RoundsError(
            f"--rounds: years must have four digits, got '{text}'",
            f"--rounds: năm phải có bốn chữ số, nhận '{text}'",
        )
    return years


def round_seed(seed: int, year: int) -> int:
    """The seed of one round: independent of the other rounds' seeds, fixed by (seed, year)."""
    return int(np.random.SeedSequence([seed, year, 12]).generate_state(1)[0])


def _kind(index: int, count: int) -> str:
    if index == 0:
        return "baseline"
    return "final" if index == count - 1 else "mid-term"


_KIND_LABELS = {
    "baseline": ("Đầu kỳ", "Baseline"),
    "mid-term": ("Giữa kỳ", "Mid-term"),
    "final": ("Cuối kỳ", "Final"),
}


def fieldwork_start(year: int) -> dt.date:
    """The first fieldwork day of the simulated round of ``year``: 1 October, as the
    single-survey simulator's calendar (:data:`analysis.synthetic.inputs.FIELDWORK_START`)."""
    return dt.date(year, FIELDWORK_START.month, FIELDWORK_START.day)


def round_dict(year: int, index: int, count: int) -> dict[str, Any]:
    """The ``round.json`` content of round ``index`` of ``count`` (the rounds contract).

    Field dates are the round's simulated fieldwork: 60 days from 1 October
    of its year (1 October – 29 November), the window every interview date of the round falls
    in (the simulator is given the same start).
    """
    kind = _kind(index, count)
    vi, en = _KIND_LABELS[kind]
    start, end = fieldwork_window(fieldwork_start(year))
    return {
        "code": str(year),
        "label": {"vi": f"{vi} {year}", "en": f"{en} {year}"},
        "reference_year": year,
        "kind": kind,
        "field_start": start.isoformat(),
        "field_end": end.isoformat(),
        "settings": {"party_term": "2020–2025" if year >= 2020 else "2015–2020"},
    }


def _write_round(folder: Path, info: dict[str, Any]) -> None:
    """Write ``round.json`` with ``questionnaires.rounds`` when it exists, else per the contract."""
    try:
        contract = importlib.import_module("questionnaires.rounds")
    except ImportError:
        contract = None
    if contract is not None:
        contract.write_round(folder, contract.RoundInfo.from_dict(info, where=str(folder)))
        return
    (folder / "round.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def truth(years: Sequence[int]) -> dict[str, Any]:
    """The machine-readable truth of a rounds simulation (``changes_truth.json``).

    For every documented change, the direction of the indicator between each pair of
    consecutive rounds and between the first and the last; the flat indicator; and the rule that
    every other indicator does not change.
    """
    codes = [str(y) for y in years]
    pairs = [(a, b) for a, b in zip(codes, codes[1:], strict=False)]
    if (codes[0], codes[-1]) not in pairs:
        pairs.append((codes[0], codes[-1]))
    changes = []
    for change in CHANGES:
        entry = asdict(change)
        entry["pairs"] = [{"from": a, "to": b, "direction": change.direction} for a, b in pairs]
        changes.append(entry)
    return {
        "rounds": codes,
        "step_rule": "round k (0 = baseline) applies each change k times",
        "changes": changes,
        "flat": [FLAT],
        "unchanged": "every other indicator of the table plan has the same behaviour model "
        "in every round",
    }


_README = """# Simulated survey rounds / Các vòng điều tra mô phỏng

Generated by `gesurvey simulate --rounds {years} --households {households} --seed {seed}`.
One folder per round, each a sample of {households} households from the same frame, with its
`round.json`; {sampling} / Mỗi vòng một thư mục, mẫu từ cùng một dàn mẫu.

Known changes between rounds (round k applies each change k times; `changes_truth.json` holds
them for programs): / Các thay đổi đã biết giữa các vòng:

{changes}

{flat} (and every other indicator) does not change. / {flat} (và mọi chỉ số khác) không đổi.

Analyse with `gesurvey analyze trend {folders} --out trend/`.
"""


def simulate_rounds(
    years: Sequence[int],
    households: int,
    seed: int,
    out: Path,
    progress: Callable[[str], None] | None = None,
    *,
    panel: bool = False,
) -> dict[str, Any]:
    """Write one folder per round under ``out`` and ``changes_truth.json``; return the truth.

    Each round is a :class:`~analysis.synthetic.run.Simulator` of ``households`` with seed
    :func:`round_seed` and the behaviour of :func:`round_models` (step = the round's position).
    ``panel=True`` keeps the baseline's villages (the PSUs) in every round, with fresh households
    and answers: a panel of villages, whose changes ``analyze trend --panel`` tests.
    """
    from analysis.synthetic.run import Simulator

    out.mkdir(parents=True, exist_ok=True)
    for index, year in enumerate(years):
        folder = out / str(year)
        simulator = Simulator(
            households,
            round_seed(seed, year),
            step=index,
            sample_seed=round_seed(seed, years[0]) if panel else None,
            fieldwork_start=fieldwork_start(year),
        )
        result = simulator.write(folder)
        _write_round(folder, round_dict(year, index, len(years)))
        if progress is not None:
            progress(
                f"{year}: {result.households} hộ / households, {result.persons} người / persons"
            )
    facts = truth(years)
    facts["panel"] = panel
    (out / "changes_truth.json").write_text(
        json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    lines = "\n".join(
        f"- {c.indicator} ({c.question}): {c.direction}, {c.meaning}. {c.description_en} / "
        f"{c.description_vi}"
        for c in CHANGES
    )
    (out / "README.md").write_text(
        _README.format(
            years=",".join(map(str, years)),
            households=households,
            seed=seed,
            changes=lines,
            flat=FLAT,
            folders=" ".join(f"{out.name}/{y}" for y in years) + (" --panel" if panel else ""),
            sampling="every round re-uses the baseline's villages with fresh households (a panel "
            "of villages)."
            if panel
            else "the rounds are independent samples.",
        ),
        encoding="utf-8",
    )
    return facts
