"""A household whose recorded person is not the one the Kish grid selects is flagged to the
supervisor in the review queue and page (Vietnamese and English); the interview itself is
neither refused nor changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Status

DATA = Path(__file__).resolve().parents[1] / "browser" / "data"


def _household(app: Any, selected: int) -> str:
    """A submitted household of two women aged 47 and 30 (and a man); number 3 selects line 2
    (row 3, two eligible: the 1st, the oldest woman), whatever ``selected`` records."""
    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version, publish
    from survey_app.models import Assignment, User
    from survey_app.submissions import put_answers, start

    with app.app_context():
        if current_version("day_household") is None:
            publish(json.loads((DATA / "day_household.json").read_text(encoding="utf-8")))
            create_assignment("enum178", "17801001", "day_household", 5)
            db.session.flush()
        enum = db.session.scalar(select(User).where(User.username == "enum178"))
        assignment = db.session.scalar(
            select(Assignment).where(
                Assignment.enumerator_id == enum.id,
                Assignment.questionnaire_id == "day_household",
            )
        )
        household = start(enum, assignment, current_version("day_household"), None)
        answers = {
            "province": 20,
            "district": 178,
            "commune": 17801,
            "village": 1,
            "household_no": 3,
            "HH01": "Hoàng Văn Lâm",
            "HH06": 3,
            "roster": [
                {"M01": "Hoàng Văn Lâm", "M03": 1, "M04": 52},
                {"M01": "Nông Thị Hoa", "M03": 2, "M04": 47},
                {"M01": "Hoàng Thị Mai", "M03": 2, "M04": 30},
            ],
            "HH24": 2,
            "HH25": selected,
        }
        put_answers(household, answers)
        household.status = Status.SUBMITTED.value
        db.session.add(household)
        db.session.commit()
        return str(household.uuid)


def test_review_flags_a_selection_other_than_the_grids(app, client, auth, world) -> None:
    by_rule = _household(app, 2)
    by_hand = _household(app, 3)
    auth.login("sup178")
    queue = client.get("/review/").get_data(as_text=True)
    flagged = [
        row.split('"', 1)[0]
        for row in queue.split('data-uuid="')[1:]
        if "selection-flag" in row.split("</tr>", 1)[0]
    ]
    assert flagged == [by_hand] and by_rule in queue
    page = client.get(f"/review/{by_hand}").get_data(as_text=True)
    assert 'id="selection-mismatch"' in page
    assert "HH25 ghi dòng 3, bảng Kish chọn dòng 2" in page
    assert 'id="decision"' in page  # still open to approve: flagged, not refused
    assert 'id="selection-mismatch"' not in client.get(f"/review/{by_rule}").get_data(as_text=True)
    client.post("/auth/language", data={"language": "en"})
    english = client.get(f"/review/{by_hand}").get_data(as_text=True)
    assert "HH25 records line 3, the grid selects line 2" in english
