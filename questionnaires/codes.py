"""The reserved missing-value codes every part of the system shares."""

from collections.abc import Mapping

# 98 don't know / Không biết, 99 refused / Từ chối (FORMAT.md, "missing_codes").
MISSING_CODES: Mapping[int, Mapping[str, str]] = {
    98: {"vi": "Không biết", "en": "don't know"},
    99: {"vi": "Từ chối", "en": "refused"},
}
