"""Build sync-API submission envelopes the way the tablet does (shared by the sync tests)."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid as uuid_module
from typing import Any

GOOD_ANSWERS = {
    "HH01": "Hoàng Văn A",
    "HH02": 2,
    "HH03": 0,
    "roster": [{"M01": "A", "M03": 1, "M04": 40}, {"M01": "B", "M03": 2, "M04": 38}],
    "E01": 1,
}


def reference_hash(content: dict[str, Any]) -> str:
    """SHA-256 of sorted-key compact JSON: for contents of integers and strings this is the
    canonical form (RFC 8785), computed here with the standard library only.
    """
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def envelope(
    answers: dict[str, Any] | None = None,
    *,
    uuid: str | None = None,
    version: str = "1.0.0",
    area: str = "17801001",
    questionnaire_id: str = "test_household",
) -> dict[str, Any]:
    """A complete, correctly hashed submission for enum178's assignment."""
    content = {
        "uuid": uuid or str(uuid_module.uuid4()),
        "questionnaire_id": questionnaire_id,
        "questionnaire_version": version,
        "area": area,
        "answers": copy.deepcopy(GOOD_ANSWERS if answers is None else answers),
        "started_at": "2026-11-30T08:00:00+07:00",
        "ended_at": "2026-11-30T08:25:00+07:00",
    }
    return {**content, "sha256": reference_hash(content)}
