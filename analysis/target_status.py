"""Decide whether a plan target is achieved, on track, off track or cannot be told — from the CI.

The plan's reviews (mid-term 2018, final 2020) ask "are we on track for 2020?". A point estimate
alone cannot answer: a survey figure of 41% against a 40% target may be 38% or 44% in truth. So
every status here is decided from the 95% confidence interval, never from the estimate alone.

The rule (also :data:`STATUS_RULE`, printed in the report's notes in Vietnamese and English):

- **Achieved**: the whole CI meets the target (for a ≥ target the lower bound is at or above it;
  for a < target the upper bound is below it; for an "about" target the whole CI lies within
  ±:data:`ABOUT_TOLERANCE` of it).
- Otherwise the figure is compared with the **path**: the straight line from the baseline (its
  value in the baseline year) to the target in the target year, read at the latest year. From the
  target year on the path is the target itself, so no baseline is needed then.

  - **On track**: the whole CI is on the target's side of the path value (it meets the path as
    it would meet the target).
  - **Off track**: the whole CI is on the wrong side of the path value.
  - **Cannot tell**: the CI straddles the path value, or there is no path (no baseline before
    the target year), or no estimate or CI.

- **"At least 50% for each sex"** (comparator ``parity``, the new-jobs target MT2-CT1) can only
  hold at 50/50. It is read two-sided on the women's share: achieved when neither sex's share is
  significantly below 50% (the CI of the women's share contains 50); off track when the women's
  share is significantly below 50% (CI wholly under 50: women short) or above 50% (CI wholly over
  50: men's share significantly below 50, men short). Being a yearly target it has no path.
- **Counts per unit** (MT7-CT3: officers per agency) follow the ≥ rule on the count; they are not
  percentages, so nothing is capped at 100.
- **Register and commune-form figures** are complete counts with no sampling error: callers pass
  the value as both CI bounds, and the rule then compares the value itself.

The trend tables (:mod:`analysis.trend`) use :func:`target_status` for their on-track column and
the report (table M1, plan at a glance) for every target. Both measure a survey target the same
way, with :func:`survey_measure`: the indicator's total within the target's own population (the
plan's ``within`` restriction, e.g. MT3-CT1's literacy in remote, ethnic-minority and
Programme-135 communes only), so the trend's on-track table and M1 never judge different
populations.
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis.tables import WorkFrames

__all__ = [
    "ABOUT_TOLERANCE",
    "COMPARATORS",
    "PARITY_NOTE",
    "STATUS_RULE",
    "Status",
    "path_value",
    "survey_measure",
    "target_status",
]

#: Comparators the rule knows; ``about`` is a synonym of ``=`` ("sex ratio at birth at 115").
COMPARATORS = (">=", ">", "<=", "<", "=", "about", "parity")

#: Relative half-width of the band an "about" (``=``) target is met within: ±1% of the target
#: (113.85–116.15 boys per 100 girls for a sex ratio at birth of 115).
ABOUT_TOLERANCE = 0.01


class Status(enum.Enum):
    """A target's status; ``label(lang)`` gives the Vietnamese or English word."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    CANNOT_TELL = "cannot_tell"

    def label(self, lang: str = "en") -> str:
        """The status in ``lang`` (``vi`` or ``en``)."""
        return _LABELS[self.value]["vi" if lang == "vi" else "en"]


_LABELS = {
    "achieved": {"vi": "Đã đạt", "en": "Achieved"},
    "on_track": {"vi": "Đúng tiến độ", "en": "On track"},
    "off_track": {"vi": "Chậm tiến độ", "en": "Off track"},
    "cannot_tell": {"vi": "Chưa kết luận được", "en": "Cannot tell"},
}

#: The rule in both languages, as the report prints it in its notes.
STATUS_RULE: dict[str, str] = {
    "en": (
        "Status of a target is decided from the 95% confidence interval (CI), never from the "
        "estimate alone. Achieved: the whole CI meets the target (for an 'about' target, lies "
        "within ±1% of it). Otherwise the latest figure is compared with the straight path from "
        "the baseline to the 2020 target, read at the latest year (from 2020 on, the target "
        "itself): on track when the whole CI is on the target's side of the path value, off "
        "track when the whole CI is on the wrong side, cannot tell when the CI straddles it or "
        "there is no baseline, estimate or CI. 'At least 50% for each sex' (MT2-CT1) can only "
        "hold at parity: achieved when neither sex's share is significantly below 50% (the CI "
        "of the women's share contains 50%), off track otherwise. Register and commune-form "
        "figures are complete counts without sampling error and are compared as they are; "
        "counts per unit (MT7-CT3) are not percentages."
    ),
    "vi": (
        "Tình trạng của chỉ tiêu được xác định từ khoảng tin cậy 95% (KTC), không chỉ từ ước "
        "lượng điểm. Đã đạt: toàn bộ KTC đạt mục tiêu (với mục tiêu 'ở mức', KTC nằm trong "
        "±1% của mục tiêu). Nếu chưa đạt, số liệu mới nhất được so với lộ trình đường thẳng từ "
        "giá trị cơ sở đến mục tiêu năm 2020, tại năm mới nhất (từ năm 2020 trở đi là chính "
        "mục tiêu): đúng tiến độ khi toàn bộ KTC nằm về phía mục tiêu của giá trị lộ trình, "
        "chậm tiến độ khi toàn bộ KTC nằm ở phía ngược lại, chưa kết luận được khi KTC chứa "
        "giá trị lộ trình hoặc không có giá trị cơ sở, ước lượng hay KTC. 'Ít nhất 50% cho mỗi "
        "giới' (MT2-CT1) chỉ đạt được khi cân bằng: đạt khi tỷ lệ của không giới nào thấp hơn "
        "50% một cách có ý nghĩa (KTC của tỷ lệ nữ chứa 50%), ngược lại là chậm tiến độ. Số "
        "liệu từ sổ đăng ký và phiếu xã là số đếm đầy đủ, không có sai số chọn mẫu, nên được so "
        "trực tiếp; chỉ tiêu số người trên đơn vị (MT7-CT3) không phải là tỷ lệ phần trăm."
    ),
}

#: The two-sided reading of the new-jobs target, for its own note.
PARITY_NOTE: dict[str, str] = {
    "en": (
        "MT2-CT1 'at least 50% for each sex' is read two-sided on the women's share: met when "
        "neither sex's share is significantly below 50%."
    ),
    "vi": (
        "MT2-CT1 'ít nhất 50% cho mỗi giới' được đánh giá hai phía trên tỷ lệ nữ: đạt khi tỷ lệ "
        "của không giới nào thấp hơn 50% một cách có ý nghĩa."
    ),
}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def path_value(
    target: float,
    *,
    baseline: float | None,
    baseline_year: int | None,
    latest_year: int | None,
    target_year: int = 2020,
) -> float | None:
    """The linear path from baseline to target, read at ``latest_year``; ``None`` without one.

    From the target year on the path is the target. Before it, the path needs a baseline value,
    its year and the latest year; at or before the baseline year it is the baseline.
    """
    if latest_year is not None and latest_year >= target_year:
        return float(target)
    if _missing(baseline) or baseline_year is None or latest_year is None:
        return None
    assert baseline is not None
    if baseline_year >= target_year:
        return None
    share = max(0.0, (latest_year - baseline_year) / (target_year - baseline_year))
    return float(baseline) + (float(target) - float(baseline)) * share


def _meets(comparator: str, low: float, high: float, value: float) -> bool:
    """Whether the whole interval [low, high] meets ``comparator value``."""
    if comparator == ">=":
        return low >= value
    if comparator == ">":
        return low > value
    if comparator == "<=":
        return high <= value
    return high < value


def _fails(comparator: str, low: float, high: float, value: float) -> bool:
    """Whether the whole interval [low, high] is on the wrong side of ``comparator value``."""
    if comparator == ">=":
        return high < value
    if comparator == ">":
        return high <= value
    if comparator == "<=":
        return low > value
    return low >= value


def target_status(
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    target: float,
    comparator: str,
    *,
    baseline: float | None = None,
    baseline_year: int | None = None,
    latest_year: int | None = None,
    target_year: int = 2020,
    partial: bool = False,
) -> Status:
    """The status of one target from the latest estimate and its 95% CI (see the module text).

    ``comparator`` is one of :data:`COMPARATORS`. A figure without sampling error (register,
    commune form) is passed with ``ci_low == ci_high == estimate``. ``parity`` takes the women's
    share in percent and ``target`` 50. ``partial``: the figure covers only part of the
    target's population (a measure marked ``partial`` in the plan), so it is shown but gives no
    verdict: cannot tell.
    """
    if comparator not in COMPARATORS:
        raise AnalysisError(
            f"comparator '{comparator}' is not one of {', '.join(COMPARATORS)}",
            f"Phép so sánh '{comparator}' không thuộc {', '.join(COMPARATORS)}",
        )
    if partial:
        return Status.CANNOT_TELL
    if _missing(estimate) or _missing(ci_low) or _missing(ci_high):
        return Status.CANNOT_TELL
    assert ci_low is not None and ci_high is not None
    low, high = min(ci_low, ci_high), max(ci_low, ci_high)
    if comparator == "parity":
        return Status.ACHIEVED if low <= target <= high else Status.OFF_TRACK
    if comparator in ("=", "about"):
        return _about_status(
            low, high, float(target), baseline, baseline_year, latest_year, target_year
        )
    if _meets(comparator, low, high, target):
        return Status.ACHIEVED
    path = path_value(
        target,
        baseline=baseline,
        baseline_year=baseline_year,
        latest_year=latest_year,
        target_year=target_year,
    )
    if path is None:
        return Status.CANNOT_TELL
    # On the path itself the comparison is never strict: being exactly on the path is on track.
    loose = {">": ">=", "<": "<="}.get(comparator, comparator)
    if _meets(loose, low, high, path):
        return Status.ON_TRACK
    if _fails(loose, low, high, path):
        return Status.OFF_TRACK
    return Status.CANNOT_TELL


def _about_status(
    low: float,
    high: float,
    target: float,
    baseline: float | None,
    baseline_year: int | None,
    latest_year: int | None,
    target_year: int,
) -> Status:
    """An "about" target: achieved within ±tolerance; else judged against the path's band."""
    tolerance = abs(target) * ABOUT_TOLERANCE
    if target - tolerance <= low and high <= target + tolerance:
        return Status.ACHIEVED
    path = path_value(
        target,
        baseline=baseline,
        baseline_year=baseline_year,
        latest_year=latest_year,
        target_year=target_year,
    )
    if path is None:
        return Status.CANNOT_TELL
    band_low, band_high = path - tolerance, path + tolerance
    if _missing(baseline) or baseline == target:
        # At or after the target year with no direction known: either side is wrong.
        if high < band_low or low > band_high:
            return Status.OFF_TRACK
        return Status.CANNOT_TELL
    assert baseline is not None
    if baseline > target:
        # Coming down to the target (sex ratio at birth): above the path's band is behind.
        if low > band_high:
            return Status.OFF_TRACK
        if high <= band_high:
            return Status.ON_TRACK
        return Status.CANNOT_TELL
    if high < band_low:
        return Status.OFF_TRACK
    if low >= band_low:
        return Status.ON_TRACK
    return Status.CANNOT_TELL


def survey_measure(
    work: WorkFrames, table: dict[str, Any], measure: dict[str, Any]
) -> tuple[float, tuple[float, float], int | None]:
    """A survey target's figure: the indicator's total estimate, 95% CI and unweighted n within
    the measure's population.

    ``table`` is the plan's monitoring table and ``measure`` one of its ``targets`` entries
    (``source: survey``); a ``within`` expression (compiled by the plan loader as
    ``<table id>#<code>.within``) keeps only the rows it holds for: the others are left out
    as rows without a value of the indicator are (a domain of the whole design). Table M1 and
    the trend's on-track table both call this: one rule for a target's population. NaN (and n
    ``None``) when the indicator's source is not in the data; n 0 when no row has a value.
    """
    from analysis.indicators import evaluate_frame, indicator_values
    from analysis.tables import single_cells

    plan = work.plan
    iid = measure["indicator"]
    spec = plan.indicators[iid]
    if not work.has(spec["source"]):
        return math.nan, (math.nan, math.nan), None
    sid, values, denominator = indicator_values(work.data, plan, iid)
    within = plan.asts.get(f"{table['id']}#{measure['code']}.within")
    suffix = ""
    if within is not None:
        inside = evaluate_frame(within, work.frame(sid), work.data.missing_codes.get(sid, {}))
        keep = np.nan_to_num(inside, nan=0.0) != 0
        values = np.where(keep, values, np.nan)
        if denominator is not None:
            denominator = np.where(keep, denominator, np.nan)
        suffix = f"@{measure['code']}"
    if not np.isfinite(values).any():
        return math.nan, (math.nan, math.nan), 0
    column = work.add(sid, f"_i_{iid}{suffix}", values)
    den_col = work.add(sid, f"_d_{iid}{suffix}", denominator) if denominator is not None else None
    cells = single_cells(
        work.design(sid),
        column,
        spec["type"],
        None,
        plan.settings,
        float(spec.get("multiplier", 1.0)),
        den_col,
    )
    if 0.0 not in cells:
        return math.nan, (math.nan, math.nan), 0
    found, _ = cells[0.0]
    return found.get("est", math.nan), found.get("ci", (math.nan, math.nan)), found["n"]
