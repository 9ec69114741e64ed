"""The names of the rules for strata with a single PSU (R's ``options(survey.lonely.psu=)``).

Kept apart from :mod:`analysis.design` so the command line can offer them without importing
numpy and pandas; the design explains what each rule does.
"""

from __future__ import annotations

__all__ = ["LONELY_PSU_RULES"]

LONELY_PSU_RULES = ("fail", "remove", "certainty", "adjust", "average")
