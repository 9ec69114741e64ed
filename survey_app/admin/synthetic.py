"""Store a synthetic survey (``gesurvey simulate --into-db``) as approved submissions.

For demos and load tests: after it, the review queue, the admin pages and the exports show a
whole survey. It prepares the database the way ``gesurvey setup`` does (migrations, districts,
published questionnaires; each step skips what is done), adds the communes (all of them: the
commune form is a census) and the sampled villages under their districts, one enumerator, one
women's-module interviewer and one supervisor per district (random passwords, never shown: an
admin resets them), then one approved submission per interview. Submission UUIDs derive from
the seed and the household, so loading the same survey twice adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import Area, AreaLevel, Role, Status, Submission, User

__all__ = ["load_simulation"]

NAMESPACE = uuid.UUID("6f1c2b9e-5d1a-4c1e-9a57-4c616e67536f")
BATCH = 1000
LOCAL_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh


def _prepare() -> None:
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from ..core.questionnaire_store import publish_bundled
    from .services import bundled_areas_file, load_areas

    tables = inspect(db.engine)
    # A schema made without Alembic (db.create_all, as the tests do) is left as it is.
    if tables.has_table("alembic_version") or not tables.has_table("submission"):
        upgrade()
    load_areas(bundled_areas_file())
    publish_bundled()
    db.session.commit()


def _area(code: str, name: str, level: str, parent: Area, cache: dict[str, Area]) -> Area:
    if code in cache:
        return cache[code]
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        area = Area(code=code, name=name, level=level, parent=parent)
        db.session.add(area)
    cache[code] = area
    return area


def _user(username: str, role: str, district: Area, full_name: str) -> User:
    import secrets

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, role=role, full_name=full_name, language="vi", area=district)
        user.set_password(secrets.token_urlsafe(16))
        db.session.add(user)
    return user


def _when(answers: dict[str, Any]) -> datetime:
    if "interview_date" in answers:
        day = datetime.fromisoformat(answers["interview_date"])
    elif "interview_year" in answers:
        day = datetime(
            answers["interview_year"], answers["interview_month"], answers["interview_day"]
        )
    else:
        day = datetime(2025, 10, 1)
    return (day + timedelta(hours=10) - LOCAL_OFFSET).replace(tzinfo=UTC)


def _store(simulator: Any) -> int:
    from ..core.audit import record
    from ..core.questionnaire_store import current_version

    _prepare()
    versions = {form_id: current_version(form_id) for form_id in simulator.forms}
    districts = {
        a.code: a
        for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.DISTRICT.value))
    }
    cache: dict[str, Area] = {}
    staff: dict[tuple[str, str, int], User] = {}
    from analysis.synthetic.paradata import ParadataMaker

    paradata = ParadataMaker(simulator.forms, simulator.seed)
    stored = 0
    pending: list[Submission] = []

    def flush() -> None:
        nonlocal stored
        uuids = [s.uuid for s in pending]
        existing = set(
            db.session.scalars(select(Submission.uuid).where(Submission.uuid.in_(uuids)))
        )
        for submission in pending:
            if submission.uuid not in existing:
                db.session.add(submission)
                stored += 1
        db.session.commit()
        pending.clear()

    province = db.session.scalar(select(Area).where(Area.level == AreaLevel.PROVINCE.value))
    for form_id, answers, design in simulator.iter_answer_dicts():
        if form_id in ("district", "province"):
            # the census forms above the commune: one per district, one for the province
            own = districts[str(answers["district"])] if form_id == "district" else province
            if own is None:
                continue
            clerk = _user(
                f"sim.enum.{own.code}.admin",
                Role.ENUMERATOR.value,
                own,
                f"Cán bộ thu thập phiếu {own.code} mô phỏng",
            )
            when = _when(answers)
            pending.append(
                Submission(
                    uuid=str(uuid.uuid5(NAMESPACE, f"{simulator.seed}:{form_id}:{own.code}")),
                    questionnaire_version=versions[form_id],
                    area=own,
                    district=own if form_id == "district" else None,
                    enumerator=clerk,
                    answers=answers,
                    page=0,
                    status=Status.APPROVED.value,
                    created_at=when,
                    updated_at=when,
                    submitted_at=when,
                    reviewed_at=when + timedelta(days=2),
                )
            )
            continue
        district_code = str(answers["district"])
        district = districts[district_code]
        # The women's record (form 1.1.0) names no commune or village: the design says where.
        commune_no = answers.get("commune", design.get("commune"))
        village_no = answers.get("village", design.get("village"))
        commune_code = f"{district_code}-{commune_no:05d}"
        prefix = {1: "Phường", 2: "Thị trấn"}.get(design.get("commune_type"), "Xã")
        commune = _area(
            commune_code, f"{prefix} {commune_no}", AreaLevel.COMMUNE.value, district, cache
        )
        if form_id == "commune":
            area = commune
            key = f"{simulator.seed}:commune:{commune_no}"
        else:
            area = _area(
                f"{commune_code}-{village_no:03d}",
                f"Thôn {village_no}",
                AreaLevel.VILLAGE.value,
                commune,
                cache,
            )
            key = f"{simulator.seed}:{form_id}:{design['hh_id']}"
        kind = "w" if form_id == "women" else "enum"
        # One account per interviewer of the simulated teams, so the quality page can tell the
        # documented fabricating teams from the others.
        team = int(answers.get("interviewer_id") or 0) % 10
        if (district_code, kind, team) not in staff:
            label = "Điều tra viên mô-đun W" if kind == "w" else "Điều tra viên"
            staff[(district_code, kind, team)] = _user(
                f"sim.{kind}.{district_code}.{team}",
                Role.ENUMERATOR.value,
                district,
                f"{label} mô phỏng {district_code}, đội {team}",
            )
            _user(
                f"sim.sup.{district_code}",
                Role.SUPERVISOR.value,
                district,
                f"Giám sát viên mô phỏng {district_code}",
            )
        when = _when(answers)
        pending.append(
            Submission(
                uuid=str(uuid.uuid5(NAMESPACE, key)),
                questionnaire_version=versions[form_id],
                area=area,
                district=district,
                enumerator=staff[(district_code, kind, team)],
                answers=answers,
                paradata=paradata.make(form_id, answers),
                page=0,
                status=Status.APPROVED.value,
                created_at=when,
                updated_at=when,
                submitted_at=when,
                reviewed_at=when + timedelta(days=2),
            )
        )
        if len(pending) >= BATCH:
            flush()
    flush()
    record(
        "simulation.load",
        user=None,
        object_type="simulation",
        object_id=f"seed {simulator.seed}",
        new={"households": simulator.households, "submissions": stored},
    )
    db.session.commit()
    return stored


def load_simulation(simulator: Any) -> int:
    """Store every interview of ``simulator`` (an ``analysis.synthetic.run.Simulator``).

    Runs in the current app context, or builds the app (DATABASE_URL) when there is none.
    Returns the number of submissions added.
    """
    if has_app_context():
        current_app.logger.debug("loading a synthetic survey")
        return _store(simulator)
    from .. import create_app

    app = create_app()
    with app.app_context():
        return _store(simulator)
