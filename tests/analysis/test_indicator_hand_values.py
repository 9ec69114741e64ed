"""Every indicator of the plan on a small survey written by hand, with its value by hand.

Six households (14 roster members), their six respondents to the individual form, five women
in the safety module and five births, each table typed out below with its weights. For every
indicator the expected per-row value is written by hand (1/0 in the numerator or not, NaN out
of the population or not answered, the number itself for a mean), and the comments give the
population, the numerator and the denominator as weighted sums worked out by hand. The test
checks the plan's definition gives exactly those per-row values, that the weighted sums are
the hand sums, and that the report's table (the total row: women and men apart where the table
is by sex, computed from the hand values and the weights) shows that figure.

Weights (``weight_final``): households 1–6 weigh 1, 2, 1, 3, 1, 2 (their members and births
take the household's); respondents r1–r6 weigh 2, 1, 3, 1, 2, 1; women wA–wE weigh 1, 2, 1, 3,
2. Households 1, 2, 3 and 5 are rural, 4 and 6 urban. Codes are the questionnaires' (yes 1,
no 0; D2_04 vbsp 1; D4_02 reads_whole 3; D3_06 no_job 5; B02 boy 1, girl 2).

I8.2 (support received, on every woman with any violence in the last 12 months, whatever her
partnership) is also hand-checked row by row, unweighted, in ``test_monitoring.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import estimators
from analysis.indicators import indicator_values, read_data_dir
from analysis.kap import add_kap_columns
from analysis.tables import WorkFrames, indicator_table, median_table
from questionnaires import load_bundled
from questionnaires.plans import TablePlan, bundled_plan_path, load_plan

N = math.nan

HOUSEHOLD = pd.DataFrame(
    {
        "hh_id": [1, 2, 3, 4, 5, 6],
        "stratum": 1,
        "psu": [1, 1, 2, 2, 3, 3],
        "weight_final": [1.0, 2.0, 1.0, 3.0, 1.0, 2.0],
        "residence": [2, 2, 2, 1, 2, 1],
        "HH08": [1, 3, 2, 3, 3, 3],
        "D2_01": [1, 1, 0, 1, 0, 1],
        # business owners' roster lines: hh1 m2 (woman), hh2 m5 (man), hh4 m8 and m9 (a man and
        # a woman), hh6 m13 (man)
        "D2_02": ["2", "2", None, "1 2", None, "2"],
        "D2_03": [1, 1, 1, 0, 1, 1],
        "D2_04": ["1", "5", "1 2", None, "0", "2"],
        "D2_06": [3, 2, 1, 5, 4, 2],
        "D2_07": [1, N, 3, 5, 3, 2],
    }
)

# m1..m14: household, line, relationship (1 head), sex (1 man, 2 woman), age
MEMBER = pd.DataFrame(
    {
        "hh_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6],
        "line": [1, 2, 3, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3],
        "M02": [1, 2, 3, 1, 2, 1, 3, 1, 2, 1, 2, 1, 2, 3],
        "M03": [1, 2, 2, 2, 1, 2, 1, 1, 2, 1, 2, 2, 1, 2],
        "M04": [40, 38, 17, 50, 52, 33, 4, 60, 25, 45, 44, 29, 31, 15],
        "M05": 2,
        "D3_01": [1, 1, 0, 1, 1, 0, N, 0, 1, 1, 0, 1, 1, 0],
        "D3_03": [1, 0, N, 1, 0, N, N, N, 1, 0, N, 1, 1, N],
        "D3_06": [N, N, 2, N, N, 5, N, 4, N, N, 1, N, N, 2],
        "D4_01": [2, 1, 2, 1, 0, 0, N, 3, 4, 1, 0, 3, 1, 1],
        "D4_02": [N, 3, N, 2, 1, 1, N, N, N, 3, 1, N, 2, 3],
        "D4_03": [1, 1, 0, 0, 1, 0, N, 1, 1, 0, N, 1, 0, 0],
        "D4_04": [1, 0, N, N, 0, N, N, 0, 1, N, N, 0, N, N],
        "D4_05": [3, 2, 0, 1, 4, 0, N, 5, 2, 0, N, 3, 1, 0],
        "D5_04": [1, 0, N, 0, 1, 1, N, 0, 1, N, 0, 1, 1, N],
        "WG_DISABILITY": [0, 0, 0, 1, 0, 0, N, 1, 0, 0, N, 0, 0, 0],
        "LF_STATUS": [1, 1, 3, 1, 1, 2, N, 3, 1, 1, 3, 1, 1, 3],
        "D3_10": [3000, 0, N, 2500, 4000, N, N, N, 5000, N, N, 6000, 5500, N],
        "M07": [22, 17, N, 16, 24, 19, N, N, N, 25, 16, 20, N, N],
    }
)

# r1..r6, one per household: r1 man 40, r2 woman 50, r3 woman 33, r4 woman 25, r5 man 45,
# r6 man 31
INDIVIDUAL = pd.DataFrame(
    {
        "hh_id": [1, 2, 3, 4, 5, 6],
        "stratum": 1,
        "psu": [1, 1, 2, 2, 3, 3],
        "weight_final": [2.0, 1.0, 3.0, 1.0, 2.0, 1.0],
        "resp_line": [1, 1, 1, 2, 1, 2],
        "resp_sex": [1, 2, 2, 2, 1, 1],
        "resp_age": [40, 50, 33, 25, 45, 31],
        "resp_marital": [2, 2, 4, 1, 2, 6],
        "farm_hh": [1, 1, 0, 0, 1, 0],
        "D1_01": [1, 0, 1, N, 1, 0],
        "D5_01": [1, 0, N, 1, 0, 1],
        "D6_01": [1, 1, 0, N, 0, 1],
        "D6_03": [0, 1, 1, 1, N, 0],
        "D8_01": [2, 5, 6, 4, 1, N],
    }
)

#: The knowledge items' correct answers (the ``correct`` choice of each: 1 true, 2 false).
KEY = [1, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
ATTITUDE = ["A01", "A01b", *(f"A{i:02d}" for i in range(2, 15))]
#: Reverse-coded attitude items (6 − x); the others are A04, A08, A09, A10, A14.
REVERSE = {"A01", "A01b", "A02", "A03", "A05", "A06", "A07", "A11", "A12", "A13"}
CHORES = ["cook", "clean", "childcare", "care_sick", "water_wood"]


def _individual() -> pd.DataFrame:
    """The respondents with their KAP answers.

    Knowledge (score = 100 × correct / answered, with 12 of 15 answered; 98 answered and wrong,
    99 not answered): r1 12 of 15 right = 80; r2 10 of 15 = 66.7; r3 9 right, 2 don't know, 1
    wrong, 3 blank = 9/12 = 75; r4 only 11 answered = no score; r5 14 right and 1 refused =
    14/14 = 100; r6 6 of 15 = 40.

    Attitudes (index = 25 × (mean − 1) of the items, reversed ones as 6 − x, 98/99 missing, with
    80% answered): r1 all 3 → 50; r2 agreeing items 5 and reversed 1 → all 5 → 100; r3 all 1 →
    ten reversed 5s and five 1s, mean 55/15 → 200/3; r4 11 of 15 answered → none; r5 the five
    plain items 4, A01, A01b, A02 98, the other seven reversed 4 (→ 2) → mean 34/12 → 275/6;
    r6 all 2 → (5·2 + 10·4)/15 → 175/3.

    Wife beating (A15a–e, agree 1; 98 = not agree): r1 all no; r2 agrees with A15c; r3 with
    A15a; r4 blank; r5 all "don't know"; r6 refused A15a, the rest blank.

    Chores (P01: 1 me, 2 spouse, 3 both, 4 other woman, 5 other man, 6 not applicable; shared
    or by a man counts): r1 (man) all "both" → 1; r2 (woman) all "me" → 0; r3 all "spouse";
    r5 (man) cook me ✓, clean n/a, childcare spouse ✗, sick care other woman ✗, water other
    man ✓ → 2/4; r6 all not applicable → no index.
    """
    frame = INDIVIDUAL.copy()
    right = {0: 12, 1: 10, 2: 9, 3: 11, 4: 14, 5: 6}
    for r, n_right in right.items():
        for i, key in enumerate(KEY):
            frame.loc[r, f"K{i + 1:02d}"] = key if i < n_right else 3 - key
    frame.loc[2, ["K10", "K11"]] = 98
    frame.loc[2, ["K13", "K14", "K15"]] = N
    frame.loc[3, ["K12", "K13", "K14", "K15"]] = N
    frame.loc[4, "K15"] = 99
    for item in ATTITUDE:
        reverse = item in REVERSE
        frame[item] = [3, 1 if reverse else 5, 1, 3, 4, 2]
    frame.loc[3, ATTITUDE[-4:]] = N
    frame.loc[4, ["A01", "A01b", "A02"]] = 98
    wife = ["A15a", "A15b", "A15c", "A15d", "A15e"]
    frame[wife] = 0
    frame.loc[1, "A15c"] = 1
    frame.loc[2, "A15a"] = 1
    frame.loc[3, wife] = N
    frame.loc[4, wife] = 98
    frame.loc[5, wife] = N
    frame.loc[5, "A15a"] = 99
    chores = {0: [3] * 5, 1: [1] * 5, 2: [2] * 5, 3: [N] * 5, 4: [1, 6, 2, 4, 5], 5: [6] * 5}
    for r, codes in chores.items():
        for row, code in zip(CHORES, codes, strict=True):
            frame.loc[r, f"P01_{row}"] = code
    return frame


_VIOLENCE = [
    *(f"W01_0{i}" for i in range(1, 8)),
    *(f"W02_0{i}{s}" for i in range(1, 5) for s in ("", "_12M")),
    *(f"W03_0{i}{s}" for i in range(1, 7) for s in ("", "_12M")),
    *(f"W04_0{i}{s}" for i in range(1, 4) for s in ("", "_12M")),
    *(f"W05_0{i}{s}" for i in range(1, 4) for s in ("", "_12M")),
]


def _women() -> pd.DataFrame:
    """wA–wE. Partnered and consenting (the IPV population): wA (married), wB (formerly
    partnered), wE (cohabiting); wC never partnered, wD did not consent (W00_06 0)."""
    frame = pd.DataFrame(
        {
            "hh_id": [1, 2, 3, 4, 6],
            "stratum": 1,
            "psu": [1, 1, 2, 2, 3],
            "weight_final": [1.0, 2.0, 1.0, 3.0, 2.0],
            "resp_line": [2, 1, 1, 2, 1],
            "resp_sex": 2,
            "W00_02": [1, 1, 1, 0, 1],
            "W00_05": 1,
            "W00_06": [1, 1, 1, 0, 1],
            "W00_07": [1, 4, 5, 1, 2],
            "interviewer_sex": [2, 1, 2, 2, 2],
            "W09_08": [1, 1, 0, 1, 1],
            # support received (W08_01, multi-choice; 0 none): wA health care and action against
            # the perpetrator, wB none, wC never sought help (not asked), wD legal counselling
            # (for older violence), wE psychological counselling
            "W08_01": ["2 6", "0", None, "1", "3"],
        }
    )
    for item in _VIOLENCE:
        frame[item] = 0
    acts = {
        0: ["W03_02", "W03_02_12M", "W02_01", "W01_03"],  # wA: physical, this year too
        1: ["W04_01", "W05_02", "W05_02_12M"],  # wB: sexual ever, economic this year
        2: ["W03_01", "W03_01_12M"],  # wC: out of the IPV population
        4: ["W03_05", "W02_03", "W02_03_12M"],  # wE: physical ever, emotional this year
    }
    for row, items in acts.items():
        for item in items:
            frame.loc[row, item] = 1
    return frame


# b1..b5: mother's line, sex, month/year of birth, place (B05), ANC visits (B06), PMTCT (B07);
# b3 and b4 are the same mother's, b4 (January 2026) her most recent
HH_BIRTH = pd.DataFrame(
    {
        "hh_id": [1, 2, 3, 3, 6],
        "B01": [2, 1, 1, 1, 1],
        "B02": [1, 2, 1, 2, 1],
        "B03": [5, 8, 3, 1, 11],
        "B04": [2025, 2025, 2025, 2026, 2025],
        "B05": [2, 1, 3, 5, 6],
        "B06": [4, 2, 6, 3, 8],
        "B07": [1, 0, 1, 0, 1],
    }
)

# indicator: (source, hand value per row, weighted numerator, weighted denominator)
CASES: dict[str, tuple[str, list[float], float, float]] = {
    # respondents aged 18+ who answered D1_01 (r4 did not): r1 r2 r3 r5 r6, weights 2+1+3+2+1
    # = 9; attended: r1 r3 r5 = 2+3+2 = 7
    "I1.1": ("individual", [1, 0, 1, N, 1, 0], 7, 9),
    # households with a business (1 2 4 6; 1+2+3+2 = 8), a woman among its owners: hh1 (m2)
    # and hh4 (m9): 1+3 = 4
    "I2.1": ("household", [1, 0, N, 1, N, 0], 4, 8),
    # rural, head a woman, needed credit: hh2 (2) and hh3 (1) = 3; a VBSP loan: hh3 ("1 2") = 1
    "I2.2": ("household", [N, 0, 1, N, N, N], 1, 3),
    # wage workers (D3_01 1 and D3_03 1): m1 m4 m9 m12 m13 = 1+2+3+2+2 = 10; women m4 m9 m12
    # = 2+3+2 = 7
    "I3.1": ("member", [0, N, N, 1, N, N, N, N, 1, N, N, 1, 0, N], 7, 10),
    # rural women 15-44 working or without a job: m2 (works) and m6 (no_job) = 1+1 = 2 (m3 is
    # studying, m11 keeps house); certificate or more (D4_05 >= 2): m2 = 1
    "I3.2": ("member", [N, 1, N, N, N, 0, N, N, N, N, N, N, N, N], 1, 2),
    # aged 15-40: m1 m2 m3 m6 m9 m12 m13 m14 = 1+1+1+1+3+2+2+2 = 13; literate (D4_01 >= 2, or
    # reads the whole card): all but m6 and m13 = 13 - 1 - 2 = 10
    "I4.1": ("member", [1, 1, 1, N, N, 0, N, N, 1, N, N, 1, 0, 1], 10, 13),
    # rural women 15-54 who answered D4_03 (m11 did not): m2 m3 m4 m6 = 1+1+2+1 = 5; trained:
    # m2 = 1
    "I4.2": ("member", [N, 1, 0, 0, N, 0, N, N, N, N, N, N, N, N], 1, 5),
    # aged 15-49 who answered D4_03: m1 m2 m3 m6 m9 m10 m12 m13 m14 = 1+1+1+1+3+1+2+2+2 = 14;
    # trained in the last 12 months (D4_04 1; blank for the untrained, who count as no): m1
    # m9 = 1+3 = 4
    "I4.3": ("member", [1, 0, 0, N, N, 0, N, N, 1, 0, N, 0, 0, 0], 4, 14),
    # farm households' respondents r1 r2 r5 = 2+1+2 = 5; D5_01 yes: r1 = 2
    "I5.1": ("individual", [1, 0, N, N, 0, N], 2, 5),
    # members 18+ who answered D5_04 (m10 did not): m1 m2 m4 m5 m6 m8 m9 m11 m12 m13 =
    # 1+1+2+2+1+3+3+1+2+2 = 18; used the internet: m1 m5 m6 m9 m12 m13 = 1+2+1+3+2+2 = 11
    "I5.2": ("member", [1, 0, N, 0, 1, 1, N, 0, 1, N, 0, 1, 1, N], 11, 18),
    # every respondent (18+; a blank D6_01 counts as no): 2+1+3+1+2+1 = 10; yes: r1 r2 r6 = 4
    "I6.1": ("individual", [1, 1, 0, 0, 0, 1], 4, 10),
    # respondents who answered D6_03 (r5 did not): 2+1+3+1+1 = 8; yes: r2 r3 r4 = 1+3+1 = 5
    "I6.2": ("individual", [0, 1, 1, 1, N, 0], 5, 8),
    # each mother's most recent birth: b1 b2 b4 b5 = 1+2+1+2 = 6; PMTCT counselling: b1 b5 =
    # 1+2 = 3
    "I7.1": ("hh_birth", [1, 0, N, 0, 1], 3, 6),
    # boys b1 b3 b5 = 1+1+2 = 4 (numerator) per girls b2 b4 = 2+1 = 3 (denominator), × 100
    "I7.2": ("hh_birth", [1, 0, 1, 0, 1], 4, 3),
    # mean care hours of respondents who answered (r6 did not): (2·2 + 1·5 + 3·6 + 1·4 + 2·1)
    # / (2+1+3+1+2) = 33 / 9
    "I8.1": ("individual", [2, 5, 6, 4, 1, N], 33, 9),
    # the IPV population is wA wB wE = 1+2+2 = 5 throughout
    "IPV_PHYS_EVER": ("women", [1, 0, N, N, 1], 3, 5),  # wA wE = 1+2
    "IPV_PHYS_12M": ("women", [1, 0, N, N, 0], 1, 5),  # wA
    "IPV_SEX_EVER": ("women", [0, 1, N, N, 0], 2, 5),  # wB
    "IPV_SEX_12M": ("women", [0, 0, N, N, 0], 0, 5),
    "IPV_EMO_EVER": ("women", [1, 0, N, N, 1], 3, 5),  # wA wE
    "IPV_EMO_12M": ("women", [0, 0, N, N, 1], 2, 5),  # wE
    "IPV_ECON_EVER": ("women", [0, 1, N, N, 0], 2, 5),  # wB
    "IPV_ECON_12M": ("women", [0, 1, N, N, 0], 2, 5),  # wB
    "IPV_PHYS_SEX_12M": ("women", [1, 0, N, N, 0], 1, 5),  # wA
    "IPV_CONTROL": ("women", [1, 0, N, N, 0], 1, 5),  # wA
    # knowledge score, mean over the scored: (2·80 + 1·200/3 + 3·75 + 2·100 + 1·40) / (2+1+3+2+1)
    # = (2075/3) / 9
    "K.score": ("individual", [80, 200 / 3, 75, N, 100, 40], 2075 / 3, 9),
    # scored (r4 is not) = 9; adequate (70+): r1 r3 r5 = 2+3+2 = 7
    "K.adequate": ("individual", [1, 0, 1, N, 1, 0], 7, 9),
    # attitude index: (2·50 + 1·100 + 3·200/3 + 2·275/6 + 1·175/3) / 9 = 550 / 9
    "A.index": ("individual", [50, 100, 200 / 3, N, 275 / 6, 175 / 3], 550, 9),
    # married or cohabiting: r1 r2 r5 r6 = 2+1+2+1 = 6 (r6, who refused, counts as not agreeing:
    # the definition has no "answered"); agreeing with a reason: r2 = 1
    "A.wifebeating": ("individual", [0, 1, N, N, 0, 0], 1, 6),
    # married with an applicable task (r6 has none): (2·1 + 1·0 + 2·0.5) / (2+1+2) = 3 / 5
    "P.chores": ("individual", [1, 0, N, N, 0.5, N], 3, 5),
    # any violence in the last 12 months, partnered or not: wA (physical), wB (economic), wC
    # (physical), wE (emotional) = 1+2+1+2 = 6 (wD none); support received: wA wE = 1+2 = 3
    "I8.2": ("women", [1, 0, 0, N, 1], 3, 6),
    # interviews in private (W00_02 1): wA wB wC wE = 1+2+1+2 = 6; by a man (wB) or not alone
    # (W09_08 0: wC): 2+1 = 3
    "W_QUALITY": ("women", [0, 1, 1, N, 0], 3, 6),
    # members aged 5+ who answered (m7 is 4, m11 not answered): all others = 22 - 1 = 21;
    # disabled: m4 m8 = 2+3 = 5
    "DISABILITY": ("member", [0, 0, 0, 1, 0, 0, N, 1, 0, 0, N, 0, 0, 0], 5, 21),
    # aged 15+ (all but m7) = 22; in the labour force (status 1 or 2): all but m3 m8 m11 m14
    # = 22 - 1 - 3 - 1 - 2 = 15
    "LFPR": ("member", [1, 1, 0, 1, 1, 1, N, 0, 1, 1, 0, 1, 1, 0], 15, 22),
    # the labour force = 15; unemployed (status 2): m6 = 1
    "UNEMPLOYMENT": ("member", [0, 0, N, 0, 0, 1, N, N, 0, 0, N, 0, 0, N], 1, 15),
    # mean earnings of those who gave them (0 included): (1·3000 + 1·0 + 2·2500 + 2·4000 +
    # 3·5000 + 2·6000 + 2·5500) / (1+1+2+2+3+2+2) = 54000 / 13
    "EARNINGS": (
        "member",
        [3000, 0, N, 2500, 4000, N, N, N, 5000, N, N, 6000, 5500, N],
        54000,
        13,
    ),
    # aged 20-49: m1 m2 m6 m9 m10 m11 m12 m13 = 1+1+1+3+1+1+2+2 = 12 (never married: no); first
    # married before 18: m2 (17) m11 (16) = 2
    "CHILD_MARRIAGE": ("member", [0, 1, N, N, N, 0, N, N, 0, 0, 1, 0, 0, N], 2, 12),
    # aged 20-49 with an age at first union (M07 is asked of the ever married only): m1 (22) m2
    # (17) m6 (19) m10 (25) m11 (16) m12 (20, weight 2); m9 and m13 are married without it;
    # sum 22+17+19+25+16+2·20 = 139 over 1+1+1+1+1+2 = 7. Weighted medians (qrule "math"):
    # women m11 16, m2 17, m6 19, m12 20 (×2): CDF 0.2 0.4 0.6 1 → 19; men m1 22, m10 25: CDF
    # 0.5 at 22 → 22
    "AGE_FIRST_MARRIAGE": ("member", [22, 17, N, N, N, 19, N, N, N, 25, 16, 20, N, N], 139, 7),
    # a home certificate naming someone (codes 1-4): hh1 hh2 hh3 hh5 hh6 = 1+2+1+1+2 = 7; the
    # wife's or joint (2, 3): hh1 hh2 hh6 = 1+2+2 = 5
    "LAND_HOME": ("household", [1, 1, 0, N, 0, 1], 5, 7),
    # farmland certificate naming someone: hh1 hh3 hh5 hh6 = 5 (hh2 blank, hh4 none); wife's or
    # joint: hh3 hh5 hh6 = 1+1+2 = 4
    "LAND_FARM": ("household", [0, N, 1, N, 1, 1], 4, 5),
    # every birth: 1+2+1+1+2 = 7; four ANC visits or more: b1 b3 b5 = 1+1+2 = 4
    "ANC4": ("hh_birth", [1, 0, 1, 0, 1], 4, 7),
    # PMTCT counselling at any birth: b1 b3 b5 = 4
    "PMTCT_ALL": ("hh_birth", [1, 0, 1, 0, 1], 4, 7),
    # in a health facility (2-5): b1 b3 b4 = 3 (b2 at home, b5 on the way)
    "FACILITY_BIRTH": ("hh_birth", [1, 0, 1, 1, 0], 3, 7),
}


@pytest.fixture(scope="module")
def plan() -> TablePlan:
    return load_plan(bundled_plan_path(), load_bundled())


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, plan: TablePlan) -> WorkFrames:
    folder: Path = tmp_path_factory.mktemp("hand_survey")
    HOUSEHOLD.to_csv(folder / "household.csv", index=False)
    MEMBER.to_csv(folder / "member.csv", index=False)
    _individual().to_csv(folder / "individual.csv", index=False)
    _women().to_csv(folder / "women.csv", index=False)
    HH_BIRTH.to_csv(folder / "hh_birth.csv", index=False)
    forms = load_bundled()
    frames = WorkFrames(read_data_dir(folder, plan, forms), plan, forms, "en")
    add_kap_columns(frames)
    return frames


def test_every_indicator_of_the_plan_has_a_hand_case(plan: TablePlan) -> None:
    assert set(CASES) == set(plan.indicators)


@pytest.mark.parametrize("iid", sorted(CASES))
def test_indicator_equals_its_hand_value(iid: str, work: WorkFrames, plan: TablePlan) -> None:
    source, expected, numerator, denominator = CASES[iid]
    sid, values, den_values = indicator_values(work.data, plan, iid)
    assert sid == source
    hand = np.array(expected, dtype=float)
    weights = work.frame(sid)["weight_final"].to_numpy(float)
    spec = plan.indicators[iid]
    if spec["type"] == "ratio":
        # ratio: the per-row value is the numerator's 0/1, the denominator its own 0/1
        assert den_values is not None
        assert values.tolist() == hand.tolist()
        assert float(np.sum(weights * values)) == numerator
        assert float(np.sum(weights * den_values)) == denominator
    else:
        np.testing.assert_allclose(values, hand, rtol=1e-12)
        inside = np.isfinite(hand)
        assert float(np.sum(weights[inside] * hand[inside])) == pytest.approx(numerator, rel=1e-12)
        assert float(np.sum(weights[inside])) == denominator
    value = numerator / denominator
    design = work.design(sid)
    frame = work.frame(sid)
    frame["_hand"] = values
    if spec["type"] == "ratio":
        frame["_hand_den"] = den_values
        estimate = estimators.ratio(design, "_hand", "_hand_den")[0].estimate
    else:
        estimate = estimators.mean(design, "_hand")[0].estimate
    assert estimate == pytest.approx(value, rel=1e-12)
    _check_report_total(iid, work, plan, frame, hand, weights)


#: Indicators the plan shows only as a median table, with their women's and men's weighted
#: medians worked out by hand above.
MEDIANS = {"AGE_FIRST_MARRIAGE": (19.0, 22.0)}


def _check_median_total(iid: str, work: WorkFrames, plan: TablePlan) -> None:
    """The median table's total row shows the hand medians and their difference."""
    table = next(t for t in plan.tables if t["kind"] == "median" and t["indicator"] == iid)
    (row,) = median_table(work, table | {"rows": ["total"]}).rows
    women, men = MEDIANS[iid]
    assert row.values["w_est"] == women
    assert row.values["m_est"] == men
    assert row.values["gap"] == women - men
    assert row.values["gpi"] == pytest.approx(women / men, rel=1e-12)


def _check_report_total(
    iid: str,
    work: WorkFrames,
    plan: TablePlan,
    frame: pd.DataFrame,
    hand: np.ndarray,
    weights: np.ndarray,
) -> None:
    """The report table's total row shows the hand figure (×100 for a percentage or ratio)."""
    spec = plan.indicators[iid]
    if iid in MEDIANS:
        _check_median_total(iid, work, plan)
        return
    table = next(t for t in plan.tables if t["kind"] == "indicator" and t["indicator"] == iid)
    result = indicator_table(work, table | {"rows": ["total"]})
    (row,) = result.rows
    factor = 100.0 if spec["type"] in ("proportion", "ratio") else 1.0
    _source, _expected, numerator, denominator = CASES[iid]
    if "w_est" not in row.values and "w_n" not in row.values:
        assert row.values["est"] == pytest.approx(factor * numerator / denominator, rel=1e-12)
        if spec["type"] != "ratio":
            assert row.values["n"] == int(np.isfinite(hand).sum())
        return
    source = plan.sources[spec["source"]]
    sexes = frame[source["sex"]].to_numpy(float)
    for prefix, code in (("w", source["women"]), ("m", source["men"])):
        inside = np.isfinite(hand) & (sexes == code)
        assert row.values[f"{prefix}_n"] == int(inside.sum()), prefix
        if not inside.any():
            continue
        by_hand = float(np.sum(weights[inside] * hand[inside]) / np.sum(weights[inside]))
        assert row.values[f"{prefix}_est"] == pytest.approx(factor * by_hand, rel=1e-12), prefix
