"""The behaviour model: chosen effect sizes that make known gaps show up in the synthetic answers.

Each function proposes answers for one question from the respondent's covariates (``sex`` 1/2,
``age``, ``urban`` 0/1, ``remote`` 0/1 district, ``ethnicity`` code, ``education`` 0–4,
``married``) and earlier answers; the generic generator (:mod:`analysis.synthetic.answers`)
keeps the questionnaire's rules. Effects built in (log-odds unless said otherwise):

- vocational training ever (D4_03): urban +0.5, remote −0.3, upper secondary+ +0.7, and for
  women −0.3 plus a further −0.9 in remote districts, so women's training is lowest in remote
  districts (the plan's MT2-CT3/MT3-CT4 gap);
- internet use (D5_04): age −0.06/year, urban +0.8, remote −0.5, education +0.5/level, women −0.3;
- village meeting attendance (D1_01): men +0.7, rural +0.4, age +0.02/year;
- unpaid care hours (D8_01): Poisson, mean 3.8 for women and 1.4 for men;
- attitudes (A01–A14): a latent equitable score, women +0.5 SD, urban +0.25, education +0.15
  per level, remote −0.2; reverse-coded items agree when the score is low;
- knowledge (K01–K15): correct with education, urban, less in remote districts; "don't know"
  12–20 %;
- violence in the women's module: a latent risk, remote +0.3, urban −0.2, education −0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from analysis.synthetic.answers import Context
from questionnaires.codes import DONT_KNOW

__all__ = ["ADMINISTRATIVE", "COMMUNE", "HOUSEHOLD", "INDIVIDUAL", "WOMEN", "missing_rates"]


def _logistic(x: Any) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, float))))


def _female(ctx: Context) -> np.ndarray:
    return np.asarray((ctx.cov("sex") == 2).astype(float))


def _edu(ctx: Context) -> np.ndarray:
    return np.asarray(np.nan_to_num(ctx.cov("education"), nan=0.0))


def _columns(ctx: Context, *probabilities: Any) -> np.ndarray:
    """An n × k array from per-row or scalar probabilities."""
    return np.column_stack([np.broadcast_to(np.asarray(p, float), (ctx.n,)) for p in probabilities])


def _yes(p_fn: Callable[[Context], Any]) -> Callable[[Context], np.ndarray]:
    return lambda ctx: ctx.bernoulli(p_fn(ctx))


# ------------------------------------------------------------------------------------------------
# household form: roster members (covariates of the member) and household items


def _worked(ctx: Context) -> np.ndarray:
    age = ctx.cov("age")
    p = np.where(age < 18, 0.2, np.where(age < 60, 0.85 - 0.08 * _female(ctx), 0.4))
    return ctx.bernoulli(p)


def _employment(ctx: Context) -> np.ndarray:
    farm = ctx.cov("farm").astype(float)
    w_farm = 0.1 + 0.75 * farm
    urban = ctx.cov("urban")
    weights = _columns(
        ctx,
        w_farm,
        0.12,
        0.05 + 0.1 * urban,
        0.08 + 0.15 * urban,
        0.03,
        0.05 + 0.1 * _female(ctx),
        0.01,
    )
    return ctx.categorical([1, 2, 3, 4, 5, 6, 7], weights)


def _vocational_ever(ctx: Context) -> np.ndarray:
    female, remote = _female(ctx), ctx.cov("remote")
    x = (
        -0.7
        + 0.5 * ctx.cov("urban")
        - 0.3 * remote
        + 0.7 * (_edu(ctx) >= 3)
        - 0.3 * female
        - 0.9 * female * remote
        - 0.3 * (ctx.cov("age") > 45)
    )
    return ctx.bernoulli(_logistic(x))


def _vocational_recent(ctx: Context) -> np.ndarray:
    return ctx.bernoulli(_logistic(-0.6 - 0.04 * (ctx.cov("age") - 30)))


def _vocational_level(ctx: Context) -> np.ndarray:
    ever = ctx.get("D4_03") == 1
    edu = _edu(ctx)
    level = np.clip(np.round(1 + edu * 0.8 + ctx.rng.normal(0, 0.8, ctx.n)), 1, 5)
    none = np.where(ctx.rng.random(ctx.n) < 0.95, 0, 1)
    return np.where(ever, level, none)


def _phone(ctx: Context) -> np.ndarray:
    x = 2.0 - 0.05 * (ctx.cov("age") - 30) + 0.6 * ctx.cov("urban") + 0.3 * _edu(ctx)
    smart = ctx.rng.random(ctx.n) < _logistic(x)
    basic = ctx.rng.random(ctx.n) < 0.7
    return np.where(smart, 2, np.where(basic, 1, 0)).astype(float)


def _internet(ctx: Context) -> np.ndarray:
    phone = ctx.get("D5_03")
    x = (
        1.3
        - 0.06 * (ctx.cov("age") - 30)
        + 0.8 * ctx.cov("urban")
        - 0.5 * ctx.cov("remote")
        + 0.5 * _edu(ctx)
        - 0.3 * _female(ctx)
        - 2.0 * (phone != 2)
    )
    return ctx.bernoulli(_logistic(x))


def _land_title(ctx: Context) -> np.ndarray:
    return ctx.categorical([1, 2, 3, 4, 5], [0.55, 0.1, 0.2, 0.05, 0.1])


def _by_wealth(
    codes: list[int], poor: list[float], rich: list[float]
) -> Callable[[Context], np.ndarray]:
    """Choose among ``codes`` with weights moving from ``poor`` to ``rich`` as wealth rises."""
    poor_w, rich_w = np.asarray(poor, float), np.asarray(rich, float)

    def draw(ctx: Context) -> np.ndarray:
        t = _logistic(1.5 * ctx.cov("wealth"))[:, None]
        return ctx.categorical(codes, (1 - t) * poor_w[None, :] + t * rich_w[None, :])

    return draw


_ASSET_LEVEL = {
    "tv": 1.8,
    "fridge": 0.3,
    "washing_machine": -0.8,
    "air_conditioner": -2.0,
    "water_heater": -1.0,
    "computer": -1.3,
    "motorbike": 2.0,
    "car": -3.0,
    "bicycle": 0.0,
    "farm_machine": -1.0,
}


def _assets(ctx: Context) -> dict[str, np.ndarray]:
    wealth = ctx.cov("wealth")
    out = {}
    for asset, level in _ASSET_LEVEL.items():
        x = level + 1.3 * wealth + (0.8 * ctx.cov("farm") if asset == "farm_machine" else 0)
        out[asset] = ctx.bernoulli(_logistic(x))
    return out


def _loan_sources(ctx: Context) -> np.ndarray:
    poor = (ctx.cov("poverty") <= 2).astype(float)
    p = _columns(ctx, 0.25 + 0.45 * poor, 0.25 - 0.1 * poor, 0.05, 0.1, 0.2, 0.03, 0.08)
    return ctx.rng.random(p.shape) < p


HOUSEHOLD: dict[str, Callable[[Context], Any]] = {
    "HH12": _by_wealth(
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 96],
        [0.05, 0.05, 0.1, 0.15, 0.15, 0.15, 0.2, 0.05, 0.0, 0.1, 0.0],
        [0.6, 0.05, 0.1, 0.05, 0.0, 0.05, 0.0, 0.0, 0.15, 0.0, 0.0],
    ),
    "HH13": _by_wealth(
        [1, 2, 3, 4, 5, 6, 7, 96],
        [0.1, 0.05, 0.15, 0.3, 0.2, 0.05, 0.15, 0.0],
        [0.85, 0.05, 0.03, 0.05, 0.02, 0.0, 0.0, 0.0],
    ),
    "HH14": _by_wealth(
        [1, 2, 3, 4, 5, 6, 0, 96],
        [0.02, 0.05, 0.0, 0.02, 0.8, 0.1, 0.01, 0.0],
        [0.3, 0.55, 0.0, 0.02, 0.12, 0.0, 0.01, 0.0],
    ),
    "HH15": _by_wealth([1, 2, 3, 4, 96], [0.4, 0.25, 0.3, 0.05, 0.0], [0.0, 0.05, 0.3, 0.65, 0.0]),
    "HH16": _by_wealth([1, 2, 3, 4, 96], [0.02, 0.4, 0.4, 0.18, 0.0], [0.0, 0.02, 0.03, 0.95, 0.0]),
    "HH17": _by_wealth([1, 2, 3, 4, 96], [0.15, 0.55, 0.3, 0.0, 0.0], [0.0, 0.15, 0.35, 0.5, 0.0]),
    "HH18": _assets,
    "D2_04": _loan_sources,
    "D3_01": _worked,
    "D3_02": _employment,
    "D3_05": lambda ctx: np.clip(np.round(ctx.rng.normal(42, 12, ctx.n)), 1, 84),
    "D4_03": _vocational_ever,
    "D4_04": _vocational_recent,
    "D4_05": _vocational_level,
    "D5_03": _phone,
    "D5_04": _internet,
    "D7_01": _yes(lambda ctx: 0.88 + 0.1 * (ctx.cov("poverty") == 1)),
    "HH10": _yes(lambda ctx: 0.2 + 0.7 * ctx.cov("farm")),
    "HH11": _yes(lambda ctx: 0.97),
    "D2_01": _yes(lambda ctx: 0.12 + 0.15 * ctx.cov("urban")),
    "D2_03": _yes(lambda ctx: 0.3 + 0.15 * (ctx.cov("poverty") <= 2)),
    "D2_06": _land_title,
    "D8_02": _land_title,
    "HH19": lambda ctx: np.where(ctx.cov("farm") == 1, ctx.rng.poisson(1.5, ctx.n), 0),
    "HH20": lambda ctx: np.where(ctx.cov("farm") == 1, ctx.rng.poisson(3, ctx.n), 0),
    "HH21": lambda ctx: ctx.rng.poisson(np.where(ctx.cov("farm") == 1, 20, 2)),
}


# ------------------------------------------------------------------------------------------------
# individual form


def _attitude_score(ctx: Context) -> np.ndarray:
    return ctx.cov("attitude")


def _likert(item: int, reverse: bool) -> Callable[[Context], np.ndarray]:
    offset = (item % 5 - 2) * 0.15

    def draw(ctx: Context) -> np.ndarray:
        theta = _attitude_score(ctx)
        agree = (-theta if reverse else theta) + offset + ctx.rng.normal(0, 0.8, ctx.n)
        return (np.digitize(agree, [-1.2, -0.4, 0.4, 1.2]) + 1).astype(float)

    return draw


def _knowledge(correct_code: int, difficulty: float) -> Callable[[Context], np.ndarray]:
    def draw(ctx: Context) -> np.ndarray:
        x = (
            0.9
            - difficulty
            + 0.35 * _edu(ctx)
            + 0.3 * ctx.cov("urban")
            - 0.3 * ctx.cov("remote")
            - 0.2 * (ctx.cov("age") > 50)
        )
        correct = ctx.rng.random(ctx.n) < _logistic(x)
        wrong_code = 3 - correct_code
        out = np.where(correct, correct_code, wrong_code).astype(float)
        dont_know = ctx.rng.random(ctx.n) < 0.12 + 0.08 * ctx.cov("remote")
        out[dont_know] = DONT_KNOW
        return out

    return draw


def _children(ctx: Context) -> np.ndarray:
    age = ctx.cov("age")
    ever = ctx.cov("married_ever")
    kids = ctx.rng.poisson(np.where(age < 25, 0.8, np.where(age < 35, 1.8, 2.4)))
    return np.where(ever == 1, np.minimum(kids, 12), 0).astype(float)


def _children_u15(ctx: Context) -> np.ndarray:
    n = np.nan_to_num(ctx.get("n_children"))
    age = ctx.cov("age")
    share = np.clip((50 - age) / 25, 0, 1)
    return ctx.rng.binomial(n.astype(int), share).astype(float)


def _births(ctx: Context) -> np.ndarray:
    age = ctx.cov("age")
    p = np.where((age >= 20) & (age <= 34), 0.25, 0.07) * (ctx.cov("married") == 1)
    births = (ctx.rng.random(ctx.n) < p) * (1 + (ctx.rng.random(ctx.n) < 0.07))
    return np.asarray(np.minimum(births, np.nan_to_num(ctx.get("n_children"))).astype(float))


def _birth_offset(ctx: Context) -> np.ndarray:
    # Months between the birth and the interview, 0..23; later rows are older births.
    if "offset" not in ctx.level.scratch:
        ctx.level.scratch["offset"] = (
            ctx.rng.integers(0, 12, ctx.n) + 12 * np.minimum(ctx.row_number(), 1)
        ).astype(float)
    return np.asarray(ctx.level.scratch["offset"])


def _interview_month_index(ctx: Context) -> np.ndarray:
    return np.asarray(ctx.get("interview_year") * 12 + ctx.get("interview_month") - 1)


def _birth_month(ctx: Context) -> np.ndarray:
    index = _interview_month_index(ctx) - _birth_offset(ctx)
    return np.asarray(index % 12 + 1)


def _birth_year(ctx: Context) -> np.ndarray:
    index = _interview_month_index(ctx) - _birth_offset(ctx)
    return np.asarray(index // 12)


def _birth_order(ctx: Context) -> np.ndarray:
    n_children = np.nan_to_num(ctx.get("n_children"), nan=1.0)
    return np.asarray(np.clip(n_children - ctx.row_number(), 1, 20))


def _organisations(ctx: Context) -> np.ndarray:
    female, age = _female(ctx), ctx.cov("age")
    rural = 1 - ctx.cov("urban")
    p = _columns(
        ctx,
        0.06 + 0.05 * (1 - female),
        0.5 * female,
        0.35 * rural,
        0.3 * (age < 30),
        0.15 * (1 - female) * (age > 45),
        0.1 * ctx.cov("urban"),
        0.1,
    )
    return ctx.rng.random(p.shape) < p


def _needs(ctx: Context) -> np.ndarray:
    female, rural, farm = _female(ctx), 1 - ctx.cov("urban"), ctx.cov("farm")
    p = _columns(
        ctx,
        0.2 + 0.15 * female * rural,
        0.3,
        0.25 * farm,
        0.15,
        0.15,
        0.05,
        0.05,
        0.02,
        0.1 * female,
        0.08,
        0.08 * female,
        0.05 * ctx.cov("remote"),
        0.08,
        0.05 * female,
        0.15 * rural,
        0.01,
        0.12,
    )
    return ctx.rng.random(p.shape) < p


def _chores(ctx: Context) -> dict[str, np.ndarray]:
    female = _female(ctx) == 1
    out = {}
    for task, share in (
        ("cook", 0.65),
        ("clean", 0.6),
        ("childcare", 0.55),
        ("care_sick", 0.5),
        ("water_wood", 0.35),
    ):
        women = ctx.categorical([1, 2, 3, 4, 5, 6], [share, 0.05, 0.2, 0.05, 0.02, 0.03])
        men = ctx.categorical([1, 2, 3, 4, 5, 6], [0.1, share, 0.2, 0.05, 0.05, 0.03])
        out[task] = np.where(female, women, men)
    return out


INDIVIDUAL: dict[str, Callable[[Context], Any]] = {
    "n_children": _children,
    "n_children_u15": _children_u15,
    "D1_01": lambda ctx: ctx.bernoulli(
        _logistic(
            0.3
            + 0.7 * (ctx.cov("sex") == 1)
            + 0.4 * (1 - ctx.cov("urban"))
            + 0.02 * (ctx.cov("age") - 40)
        )
    ),
    "D1_02": _yes(lambda ctx: 0.25 + 0.15 * (ctx.cov("sex") == 1)),
    "D1_03": lambda ctx: ctx.categorical([1, 2, 3], [0.9, 0.08, 0.02]),
    "D1_04": _organisations,
    "D1_05": _yes(lambda ctx: 0.05 + 0.07 * (ctx.cov("sex") == 1)),
    "D1_06": lambda ctx: ctx.categorical(
        [1, 2, 3], _columns(ctx, 0.2 + 0.15 * (ctx.cov("sex") == 1), 0.1, 0.6)
    ),
    "D5_01": _yes(lambda ctx: 0.3 - 0.1 * _female(ctx)),
    "D5_02": _yes(lambda ctx: 0.35),
    "D6_01": _yes(lambda ctx: 0.5 + 0.1 * ctx.cov("urban") - 0.1 * ctx.cov("remote")),
    "D6_03": _yes(lambda ctx: 0.3),
    "D6_04": lambda ctx: np.minimum(ctx.rng.poisson(np.where(ctx.cov("sex") == 1, 2.5, 1.8)), 24),
    "D6_06": _yes(lambda ctx: 0.05 + 0.05 * _female(ctx)),
    "D7_02": _births,
    "D7_03_SEX": lambda ctx: np.where(ctx.rng.random(ctx.n) < 0.53, 1, 2).astype(float),
    "D7_03_MONTH": _birth_month,
    "D7_03_YEAR": _birth_year,
    "D7_03_ORDER": _birth_order,
    "D7_04": _yes(lambda ctx: 0.75 - 0.15 * ctx.cov("remote")),
    "D7_05": _yes(lambda ctx: 0.6),
    "D8_01": lambda ctx: np.minimum(ctx.rng.poisson(np.where(ctx.cov("sex") == 2, 3.8, 1.4)), 24),
    "D8_03": _yes(lambda ctx: 0.2 + 0.2 * _female(ctx)),
    "D8_04": lambda ctx: ctx.categorical([1, 2, 3, 4, 5], [0.45, 0.3, 0.1, 0.03, 0.12]),
    "P01": _chores,
    "P07": _yes(lambda ctx: 0.15),
    "P09": _yes(lambda ctx: 0.15 + 0.1 * ctx.cov("urban")),
    "SN01": _needs,
    "SN05": lambda ctx: ctx.categorical([0, 1, 2, 3, 4, 5], [0.5, 0.02, 0.05, 0.13, 0.25, 0.05]),
}
# Knowledge: the key is "true" (code 1) except K04 and K06 (code 2).
for _i in range(1, 16):
    _qid = f"K{_i:02d}"
    INDIVIDUAL[_qid] = _knowledge(2 if _qid in ("K04", "K06") else 1, 0.1 * (_i % 6))
_REVERSED = {1, 2, 3, 5, 6, 7, 11, 12, 13}
for _i in range(1, 15):
    INDIVIDUAL[f"A{_i:02d}"] = _likert(_i, _i in _REVERSED)
for _j, _letter in enumerate("abcde"):
    INDIVIDUAL[f"A15{_letter}"] = (
        lambda offset: (
            lambda ctx: ctx.bernoulli(_logistic(-1.6 - 0.9 * _attitude_score(ctx) + offset))
        )
    )((_j - 2) * 0.3)


# ------------------------------------------------------------------------------------------------
# women's module


def _act(base: float) -> Callable[[Context], np.ndarray]:
    return lambda ctx: ctx.bernoulli(_logistic(base + ctx.cov("risk")))


def _recent(ctx: Context) -> np.ndarray:
    return ctx.bernoulli(0.4)


WOMEN: dict[str, Callable[[Context], Any]] = {
    "W09_03": _yes(lambda ctx: 0.03),
    "W09_06": lambda ctx: ctx.rng.poisson(0.2, ctx.n).astype(float),
    "W09_07": lambda ctx: ctx.categorical([1, 2, 3], [0.96, 0.02, 0.02]),
    "W07_05": _yes(lambda ctx: 0.1),
    "W06_01": _yes(lambda ctx: 0.3),
}
for _block, _items, _base in (
    ("W01", 7, -1.2),
    ("W02", 4, -1.3),
    ("W03", 6, -1.8),
    ("W04", 3, -2.6),
    ("W05", 3, -2.2),
):
    for _k in range(1, _items + 1):
        WOMEN[f"{_block}_{_k:02d}"] = _act(_base - 0.1 * _k)
        if _block != "W01":
            WOMEN[f"{_block}_{_k:02d}_12M"] = _recent


# ------------------------------------------------------------------------------------------------
# commune form


def _share_of(total: str, p: float) -> Callable[[Context], np.ndarray]:
    return lambda ctx: ctx.rng.binomial(np.nan_to_num(ctx.get(total)).astype(int), p).astype(float)


COMMUNE: dict[str, Callable[[Context], Any]] = {
    "COM_135": _yes(lambda ctx: 0.1 + 0.4 * ctx.cov("remote")),
    "COM_P1_1": lambda ctx: ctx.rng.integers(13, 22, ctx.n).astype(float),
    "COM_P1_2": _share_of("COM_P1_1", 0.2),
    "COM_P2_1": _yes(lambda ctx: 0.08),
    "COM_P2_2": _yes(lambda ctx: 0.1),
    "COM_P2_3": _yes(lambda ctx: 0.08),
    "COM_P3_1": lambda ctx: ctx.rng.integers(3, 5, ctx.n).astype(float),
    "COM_P3_2": _share_of("COM_P3_1", 0.15),
    "COM_P4_1": lambda ctx: ctx.rng.integers(1, 9, ctx.n).astype(float),
    "COM_P4_2": _share_of("COM_P4_1", 0.6),
    "COM_M4_1": lambda ctx: ctx.rng.integers(5, 120, ctx.n).astype(float),
    "COM_M4_2": _share_of("COM_M4_1", 0.7),
    "COM_C1_1": lambda ctx: ctx.rng.integers(18, 45, ctx.n).astype(float),
    "COM_C1_2": _share_of("COM_C1_1", 0.4),
    "COM_C1_3": _share_of("COM_C1_1", 0.75),
    "COM_C2_1": lambda ctx: ctx.rng.integers(300, 3000, ctx.n).astype(float),
    "COM_C2_2": _share_of("COM_C2_1", 0.8),
}


def missing_rates() -> dict[str, tuple[float, float]]:
    """Per-question (don't know, refused) rates that differ from the defaults."""
    rates: dict[str, tuple[float, float]] = {}
    for block in ("W01", "W02", "W03", "W04", "W05", "W06", "W07", "W08"):
        for k in range(0, 10):
            for suffix in ("", "_12M", "_FRQ"):
                rates[f"{block}_{k:02d}{suffix}"] = (0.0, 0.01)
    return rates


# ------------------------------------------------------------------------------------------------
# questions added in version 1.1.0 of the forms. Effects built in:
# - disability (Washington Group, members 5+): "a lot of difficulty" or worse in a domain with
#   log-odds −7.4 + 0.07·age (seeing and walking +0.4), so prevalence rises steeply with age;
# - labour force: of those not working, "could not find work" seek work (85 %), others 4 %;
#   75 % of seekers are available, so they count as unemployed;
# - monthly wages: log-normal, median 6.5 million đồng, urban +20 %, +8 % per education level,
#   and women's wages 0.8 × men's for the same covariates (a known 20 % gender pay gap);
# - age at first union: women mean 21, men 24, 2 years younger for Dao and H'Mông, SD 3;
# - births in 24 months to every woman 15–49: 0.32 at 20–34, 0.1 at 15–19 and 35–39, 0.02 later;
#   ANC visits Poisson(4.5), −1.5 in remote districts; PMTCT counselling 80 %, −20 points remote;
#   30 % more boys than girls (sex ratio at birth ≈ 113).


def _difficulty(extra: float) -> Callable[[Context], np.ndarray]:
    def draw(ctx: Context) -> np.ndarray:
        severe = _logistic(-7.4 + 0.07 * ctx.cov("age") + extra)
        cannot = severe * 0.25
        some = np.minimum(3 * severe, 0.5)
        return ctx.categorical(
            [1, 2, 3, 4], _columns(ctx, 1 - some - severe, some, severe - cannot, cannot)
        )

    return draw


def _seeks_work(ctx: Context) -> np.ndarray:
    return ctx.bernoulli(np.where(ctx.get("D3_06") == 5, 0.85, 0.04))


def _occupation(ctx: Context) -> np.ndarray:
    status = ctx.get("D3_02")
    female = _female(ctx)
    farm = (status == 1).astype(float)
    wage = ((status >= 3) & (status <= 5)).astype(float)
    weights = _columns(
        ctx,
        0.01 + 0.02 * wage,
        0.02 + 0.08 * wage,
        0.02 + 0.06 * wage,
        0.01 + 0.05 * wage * female,
        0.05 + 0.15 * (1 - farm) + 0.05 * female,
        0.02 + 0.9 * farm,
        0.03 + 0.12 * wage * (1 - female),
        0.01 + 0.1 * wage * (1 - female),
        0.05 + 0.1 * wage,
        0.002,
    )
    return ctx.categorical([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], weights)


#: Women's wages relative to men's with the same covariates (the known gender pay gap).
WAGE_RATIO_WOMEN = 0.8


def _wages(ctx: Context) -> np.ndarray:
    log_wage = (
        np.log(6500)
        + np.log(WAGE_RATIO_WOMEN) * _female(ctx)
        + np.log(1.2) * ctx.cov("urban")
        + np.log(1.08) * _edu(ctx)
        + ctx.rng.normal(0, 0.35, ctx.n)
    )
    return np.asarray(np.round(np.exp(log_wage) / 100) * 100)


def _first_union_age(ctx: Context) -> np.ndarray:
    ethnicity = ctx.get("M05")
    mean = np.where(_female(ctx) == 1, 21.0, 24.0) - 2.0 * np.isin(ethnicity, (8, 9))
    age = np.round(ctx.rng.normal(mean, 3.0))
    return np.asarray(np.clip(age, 13, np.maximum(ctx.cov("age"), 13)))


def _births_24m(ctx: Context) -> np.ndarray:
    age = ctx.cov("age")
    rate = np.where((age >= 20) & (age <= 34), 0.32, np.where(age <= 39, 0.1, 0.02))
    return np.minimum(ctx.rng.poisson(rate), 4).astype(float)


def _mother_line(ctx: Context) -> np.ndarray:
    """Each birth's mother: the household's women, line by line, as many times as their M08."""
    roster = ctx.levels["roster"]
    assert roster.parent is not None  # a repeat level always knows its rows' parents
    births = np.nan_to_num(np.asarray(roster.columns["M08"], float)).astype(int)
    first = np.r_[0, np.flatnonzero(np.diff(roster.parent)) + 1]
    line = np.arange(roster.n) - np.repeat(first, np.diff(np.r_[first, roster.n])) + 1
    mothers = np.repeat(line, births).astype(float)
    return mothers[: ctx.n] if len(mothers) >= ctx.n else np.resize(mothers, ctx.n)


def _birth_month_hh(ctx: Context) -> np.ndarray:
    return ctx.rng.integers(1, 13, ctx.n).astype(float)


def _birth_year_hh(ctx: Context) -> np.ndarray:
    dates = ctx.get("interview_date")
    year = np.array([int(str(d)[:4]) if isinstance(d, str) else 2025 for d in dates], float)
    return year - (ctx.rng.random(ctx.n) < 0.5)


def _delivery_place(ctx: Context) -> np.ndarray:
    remote = ctx.cov("remote")
    urban = ctx.cov("urban")
    weights = _columns(
        ctx, 0.04 + 0.12 * remote, 0.2 + 0.1 * remote, 0.45, 0.2 + 0.15 * urban, 0.05, 0.01, 0.01
    )
    return ctx.categorical([1, 2, 3, 4, 5, 6, 96], weights)


HOUSEHOLD.update(
    {
        "WG_SEE": _difficulty(0.4),
        "WG_HEAR": _difficulty(0.0),
        "WG_WALK": _difficulty(0.4),
        "WG_COG": _difficulty(-0.2),
        "WG_SELF": _difficulty(-0.8),
        "WG_COMM": _difficulty(-0.8),
        "D3_04b": _yes(lambda ctx: 0.55),
        "D3_07": _seeks_work,
        "D3_08": _yes(lambda ctx: 0.75),
        "D3_09": _occupation,
        "D3_10": _wages,
        "M07": _first_union_age,
        "M08": _births_24m,
        "D2_07": _land_title,
        "B01": _mother_line,
        "B02": lambda ctx: ctx.categorical([1, 2], [0.53, 0.47]),
        "B03": _birth_month_hh,
        "B04": _birth_year_hh,
        "B05": _delivery_place,
        "B06": lambda ctx: ctx.rng.poisson(4.5 - 1.5 * ctx.cov("remote")).astype(float),
        "B07": _yes(lambda ctx: 0.8 - 0.2 * ctx.cov("remote")),
    }
)
INDIVIDUAL["A01b"] = _likert(1, True)
WOMEN["W09_08"] = _yes(lambda ctx: 0.95)
COMMUNE.update(
    {
        "COM_P5_1": lambda ctx: ctx.rng.integers(20, 31, ctx.n).astype(float),
        "COM_P5_2": _share_of("COM_P5_1", 0.28),
        "COM_P6_1": lambda ctx: ctx.rng.integers(5, 21, ctx.n).astype(float),
        "COM_P6_2": _share_of("COM_P6_1", 0.1),
    }
)


def _count(low: int, high: int) -> Callable[[Context], np.ndarray]:
    return lambda ctx: ctx.rng.integers(low, high + 1, ctx.n).astype(float)


#: District and province forms (administrative figures; women about a fifth to a third).
ADMINISTRATIVE: dict[str, Callable[[Context], Any]] = {}
for _prefix in ("DIS", "PRO"):
    ADMINISTRATIVE.update(
        {
            f"{_prefix}_P1_1": _count(35, 55),
            f"{_prefix}_P1_2": _share_of(f"{_prefix}_P1_1", 0.18),
            f"{_prefix}_P2_1": _count(30, 60),
            f"{_prefix}_P2_2": _share_of(f"{_prefix}_P2_1", 0.3),
            f"{_prefix}_P3_1": _count(12, 25),
            f"{_prefix}_P3_2": _share_of(f"{_prefix}_P3_1", 0.45),
            f"{_prefix}_P4": _yes(lambda ctx: 0.3),
            f"{_prefix}_E1_1": _count(2, 30),
            f"{_prefix}_E1_2": _share_of(f"{_prefix}_E1_1", 0.45),
            f"{_prefix}_E2_1": _count(0, 5),
            f"{_prefix}_E2_2": _share_of(f"{_prefix}_E2_1", 0.25),
            f"{_prefix}_E3_1": _count(10, 60),
            f"{_prefix}_E3_2": _share_of(f"{_prefix}_E3_1", 0.4),
            f"{_prefix}_E4_1": _count(2, 20),
            f"{_prefix}_E4_2": _share_of(f"{_prefix}_E4_1", 0.8),
            f"{_prefix}_M1_1": _count(50, 600),
            f"{_prefix}_M1_2": _share_of(f"{_prefix}_M1_1", 0.75),
            f"{_prefix}_M2_1": _count(1, 2),
            f"{_prefix}_M2_2": _share_of(f"{_prefix}_M2_1", 0.7),
        }
    )
