"""Admin operations shared by the screens and the command line: users, areas, assignments."""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from questionnaires.errors import GesurveyError

from ..core.audit import record
from ..core.rounds import open_round
from ..extensions import db
from ..models import (
    AREA_LEVEL_ORDER,
    Area,
    AreaLevel,
    Assignment,
    QuestionnaireVersion,
    Role,
    User,
)

AREA_COLUMNS = ("code", "name", "level", "parent_code")


class AdminError(GesurveyError, ValueError):
    """Bad input to an admin operation; the message says what and where."""

    code = "admin_refused"


def find_area(code: str | None) -> Area | None:
    """The area with code, None for an empty code; AdminError when no such area."""
    if not code:
        return None
    area = db.session.scalar(select(Area).where(Area.code == code.strip()))
    if area is None:
        raise AdminError(_("No area has code %(code)s.", code=code))
    return area


def check_role_and_area(role: str, area_code: str | None) -> Area | None:
    """The area for an account of this role; AdminError for an unknown role or area.

    Creating and editing an account both go through here, so the rules stay in one place.
    """
    if role not in {r.value for r in Role}:
        raise AdminError(
            _(
                "Unknown role %(role)s; use one of %(roles)s.",
                role=role,
                roles=", ".join(r.value for r in Role),
            )
        )
    return find_area(area_code)


def check_password(password: str) -> None:
    """AdminError when the password is too short to be set on an account."""
    if len(password) < 8:
        raise AdminError(_("The password must have at least 8 characters."))


def generate_password() -> str:
    """A random password for a reset, shown once to the administrator."""
    return secrets.token_urlsafe(12)


def update_user(
    user: User,
    *,
    role: str,
    area_code: str | None,
    language: str,
    active: bool,
    password: str | None = None,
    by: User | None = None,
) -> list[str]:
    """Change an account; one audit entry per changed field (old and new values).

    An administrator cannot take away their own admin role or deactivate themselves, so
    there is always someone left who can undo a change. Nothing is changed when any value
    is refused. The password is never written to the audit log, only that it was reset.
    Returns the names of the fields that changed.
    """
    area = check_role_and_area(role, area_code)
    if language not in ("vi", "en"):
        raise AdminError(_("Unknown language %(language)s; use vi or en.", language=language))
    if password is not None:
        check_password(password)
    if by is not None and by.id == user.id:
        if role != Role.ADMIN.value:
            raise AdminError(_("You cannot remove your own administrator role."))
        if not active:
            raise AdminError(_("You cannot deactivate your own account."))
    changes = {
        "role": (user.role, role),
        "area": (user.area.code if user.area else None, area.code if area else None),
        "language": (user.language, language),
        "active": (user.active, active),
    }
    changed = [name for name, (old, new) in changes.items() if old != new]
    user.role, user.area, user.language, user.active = role, area, language, active
    for name in changed:
        old, new = changes[name]
        record(
            f"user.{name}",
            user=by,
            object_type="user",
            object_id=user.id,
            field=name,
            old=old,
            new=new,
        )
    if password is not None:
        from ..api.services import revoke_tokens
        from ..security.login import clear_account_lock

        user.set_password(password)  # ends the user's sessions
        revoke_tokens(user)
        clear_account_lock(user.username)  # a reset also lifts a login lockout
        record(
            "user.password_reset", user=by, object_type="user", object_id=user.id, field="password"
        )
        changed.append("password")
    db.session.flush()
    return changed


def create_user(
    username: str,
    role: str,
    password: str,
    *,
    area_code: str | None = None,
    full_name: str = "",
    language: str = "vi",
    by: User | None = None,
) -> User:
    """Create an account; the password is hashed, never stored."""
    username = username.strip()
    area = check_role_and_area(role, area_code)
    check_password(password)
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise AdminError(_("User name %(name)s is taken.", name=username))
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        language=language if language in ("vi", "en") else "vi",
        area=area,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(
        "user.create",
        user=by,
        object_type="user",
        object_id=user.id,
        new={"username": username, "role": role, "area": area_code or None},
    )
    return user


@dataclass(frozen=True)
class AreaLoadResult:
    """How many areas a load created and updated."""

    created: int
    updated: int


def bundled_areas_file() -> Path:
    """The shipped list of Lạng Sơn's province and 11 district-level units (GSO codes)."""
    return Path(str(resources.files("survey_app") / "data" / "areas_langson.csv"))


def load_areas(path: str | Path, by: User | None = None) -> AreaLoadResult:
    """Create or update areas from a CSV with columns code,name,level,parent_code.

    Parents must come before children (or exist already). Errors name the file and row.
    """
    path = Path(path)
    created = updated = 0
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise AdminError(_("Cannot read %(path)s: %(error)s", path=path, error=error)) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in AREA_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AdminError(
                _(
                    "%(path)s: missing columns %(columns)s (need %(need)s).",
                    path=path,
                    columns=", ".join(missing),
                    need=",".join(AREA_COLUMNS),
                )
            )
        for line, row in enumerate(reader, start=2):
            code = (row["code"] or "").strip()
            name = (row["name"] or "").strip()
            level = (row["level"] or "").strip()
            parent_code = (row["parent_code"] or "").strip()
            where = f"{path}, row {line}"
            if not code or not name:
                raise AdminError(_("%(where)s: code and name are required.", where=where))
            if level not in AREA_LEVEL_ORDER:
                raise AdminError(
                    _(
                        "%(where)s: level %(level)s is not one of %(levels)s.",
                        where=where,
                        level=level,
                        levels=", ".join(AREA_LEVEL_ORDER),
                    )
                )
            parent = None
            if parent_code:
                parent = db.session.scalar(select(Area).where(Area.code == parent_code))
                if parent is None:
                    raise AdminError(
                        _(
                            "%(where)s: parent area %(code)s is not loaded; list parents first.",
                            where=where,
                            code=parent_code,
                        )
                    )
                if AREA_LEVEL_ORDER.index(parent.level) >= AREA_LEVEL_ORDER.index(level):
                    raise AdminError(
                        _(
                            "%(where)s: a %(level)s cannot lie inside a %(parent)s.",
                            where=where,
                            level=level,
                            parent=parent.level,
                        )
                    )
            elif level != AreaLevel.PROVINCE:
                raise AdminError(_("%(where)s: only a province may have no parent.", where=where))
            area = db.session.scalar(select(Area).where(Area.code == code))
            if area is None:
                area = Area(code=code, name=name, level=level, parent=parent)
                db.session.add(area)
                created += 1
            elif (area.name, area.level, area.parent_id) != (
                name,
                level,
                parent.id if parent else None,
            ):
                area.name, area.level, area.parent = name, level, parent
                updated += 1
            db.session.flush()
    record(
        "areas.load",
        user=by,
        object_type="area",
        object_id=path.name,
        new={"created": created, "updated": updated},
    )
    return AreaLoadResult(created, updated)


def check_enumerator(user: User | None, name: str) -> User:
    """The user, when it exists and is an enumerator; AdminError saying which it is not."""
    if user is None:
        raise AdminError(_("No user %(name)s.", name=name))
    if user.role != Role.ENUMERATOR:
        raise AdminError(_("%(name)s is not an enumerator.", name=name))
    return user


def check_assignable_area(area: Area | None, code: str) -> Area:
    """The area, when it exists and is a village or commune (the units work is assigned in)."""
    if area is None:
        raise AdminError(_("No area has code %(code)s.", code=code))
    if area.level not in (AreaLevel.VILLAGE, AreaLevel.COMMUNE):
        raise AdminError(_("Assign a village or commune, not %(code)s.", code=code))
    return area


def check_coverage(enumerator: User, area: Area) -> None:
    """AdminError when the area lies outside the enumerator's own area."""
    if not enumerator.covers(area):
        raise AdminError(_("%(code)s lies outside the enumerator's area.", code=area.code))


def published_questionnaire_ids() -> set[str]:
    """Ids of the questionnaires with at least one published version."""
    return set(db.session.scalars(select(QuestionnaireVersion.questionnaire_id).distinct()))


def check_published(questionnaire_id: str, published: set[str]) -> None:
    """AdminError when no version of the questionnaire is published (nothing to fill in)."""
    if questionnaire_id not in published:
        raise AdminError(
            _("Questionnaire %(id)s is not published; publish it first.", id=questionnaire_id)
        )


def assignment_round_id() -> int:
    """The round new assignments go into: the open one; AdminError when every round is closed."""
    current = open_round()
    if current is None:
        raise AdminError(_("No survey round is open; open a round before assigning work for it."))
    return current.id


def create_assignment(
    enumerator_name: str,
    area_code: str,
    questionnaire_id: str,
    target: int,
    by: User | None = None,
) -> Assignment:
    """Assign an enumerator to a village (or commune) for one questionnaire."""
    name = enumerator_name.strip()
    enumerator = check_enumerator(
        db.session.scalar(select(User).where(User.username == name)), name
    )
    code = area_code.strip()
    area = check_assignable_area(db.session.scalar(select(Area).where(Area.code == code)), code)
    check_coverage(enumerator, area)
    check_published(questionnaire_id, published_questionnaire_ids())
    round_id = assignment_round_id()
    duplicate = db.session.scalar(
        select(Assignment).where(
            Assignment.enumerator_id == enumerator.id,
            Assignment.area_id == area.id,
            Assignment.questionnaire_id == questionnaire_id,
            Assignment.round_id == round_id,
        )
    )
    if duplicate is not None:
        raise AdminError(_("This assignment exists already."))
    assignment = Assignment(
        enumerator=enumerator,
        area=area,
        questionnaire_id=questionnaire_id,
        target=target,
        round_id=round_id,
    )
    db.session.add(assignment)
    db.session.flush()
    record_assignment_created(assignment, by)
    return assignment


def record_assignment_created(assignment: Assignment, by: User | None) -> None:
    """Audit a new assignment: who, where, which questionnaire, what target."""
    record(
        "assignment.create",
        user=by,
        object_type="assignment",
        object_id=assignment.id,
        new={
            "enumerator": assignment.enumerator.username,
            "area": assignment.area.code,
            "questionnaire": assignment.questionnaire_id,
            "target": assignment.target,
        },
    )
