"""The plan target an indicator is compared with, for the browse chart."""

from __future__ import annotations

import functools
import json
from typing import Any

from questionnaires.indicator_catalogue import Indicator
from questionnaires.plans import bundled_plan_path


@functools.cache
def _monitoring_targets() -> list[dict[str, Any]]:
    document = json.loads(bundled_plan_path().read_text(encoding="utf-8"))
    for table in document.get("tables", []):
        if table.get("kind") == "monitoring":
            return list(table.get("targets", []))
    return []


def target_for(indicator: Indicator) -> float | None:
    """The target value of the plan target this indicator measures (None when it has none)."""
    for target in _monitoring_targets():
        measured = target.get("indicator") or target.get("register") or target.get("code")
        if measured in (indicator.code, indicator.survey_indicator):
            number = target.get("target")
            return float(number) if isinstance(number, (int, float)) else None
    return None
