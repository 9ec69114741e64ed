"""The plan target an indicator is compared with, for the browse chart."""

from __future__ import annotations

import functools

from questionnaires.indicator_catalogue import Indicator
from questionnaires.targets import load_targets


@functools.cache
def _target_values() -> dict[str, float]:
    """Target (and target part) code → threshold, from the plan's one target list."""
    values: dict[str, float] = {}
    for target in load_targets():
        values[target.code] = float(target.value)
        for part in target.parts:
            values[part.code] = float(part.value)
    return values


def target_for(indicator: Indicator) -> float | None:
    """The threshold of the first plan target the indicator serves (None when it serves none).

    A survey figure that only stands in for a register figure (e.g. the sex ratio at birth
    from 24 months of births) still draws the target it is read against.
    """
    values = _target_values()
    for code in indicator.targets:
        if code in values:
            return values[code]
    return None
