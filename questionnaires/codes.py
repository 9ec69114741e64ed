"""The reserved missing-value codes every part of the system shares."""

from collections.abc import Mapping

#: Don't know / Không biết.
DONT_KNOW = 98
#: Refused / Từ chối.
REFUSED = 99

# 98 don't know / Không biết, 99 refused / Từ chối (FORMAT.md, "missing_codes").
MISSING_CODES: Mapping[int, Mapping[str, str]] = {
    DONT_KNOW: {"vi": "Không biết", "en": "don't know"},
    REFUSED: {"vi": "Từ chối", "en": "refused"},
}

#: The reserved codes as a tuple, for ``np.isin`` and default arguments.
MISSING: tuple[int, ...] = tuple(MISSING_CODES)
