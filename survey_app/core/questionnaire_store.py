"""Publish bundled questionnaires and load published versions back as engine objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Questionnaire
from questionnaires.errors import GesurveyError

from ..extensions import db
from ..models import QuestionnaireVersion, User
from .audit import record


class PublishError(GesurveyError, ValueError):
    """A questionnaire cannot be published (e.g. changed without a new version number)."""

    code = "publish_refused"


@dataclass(frozen=True)
class PublishResult:
    """What publishing one questionnaire did: 'published' or 'unchanged'."""

    questionnaire_id: str
    version: str
    outcome: str


def bundled_definitions() -> dict[str, dict[str, Any]]:
    """Return the raw JSON of every bundled form's current version, by id, checked by the engine."""
    from questionnaires import load_bundled

    forms = load_bundled()
    folder = resources.files("questionnaires") / "forms"
    raw: dict[str, dict[str, Any]] = {}
    for qid in sorted(forms):
        raw[qid] = json.loads((folder / f"{qid}.json").read_text(encoding="utf-8"))
    return raw


def bundled_earlier_definitions() -> list[dict[str, Any]]:
    """Return the raw JSON of the earlier bundled versions (``forms/versions/``), oldest first."""
    from questionnaires.loader import earlier_version_paths

    return [json.loads(path.read_text(encoding="utf-8")) for path in earlier_version_paths()]


def _parse(definition: dict[str, Any]) -> Questionnaire:
    """Build the engine's Questionnaire from a stored definition."""
    from questionnaires import questionnaire_from_dict

    return questionnaire_from_dict(definition)


@lru_cache(maxsize=64)
def _cached(text: str) -> Questionnaire:
    return _parse(json.loads(text))


def parse_definition(definition: dict[str, Any]) -> Questionnaire:
    """The engine's Questionnaire for a definition, parsed once per distinct content."""
    return _cached(json.dumps(definition, sort_keys=True, ensure_ascii=False))


_BY_HASH: dict[str, Questionnaire] = {}


@dataclass(frozen=True)
class PublishedVersion:
    """A published questionnaire version's columns, read as plain values (no ORM object).

    The sync API's intake reads them with its one look-up statement: building an ORM object
    for a row that never changes cost more CPU than the rest of the look-up. The parsed form
    comes from :func:`questionnaire_for`, kept per content hash like the ORM row's.
    """

    id: int
    questionnaire_id: str
    version: str
    content_hash: str
    unit: str
    title_vi: str
    title_en: str

    def title(self, lang: str) -> str:
        """The title in lang (Vietnamese unless lang is 'en')."""
        return self.title_en if lang == "en" else self.title_vi

    @property
    def sensitive(self) -> bool:
        """True for the women's safety questionnaire (as :attr:`QuestionnaireVersion.sensitive`)."""
        return self.unit == "women" or questionnaire_for(self).sensitive


SESSION_VERSIONS = "gesurvey.published_versions"


def remember_version(session: Session, version: PublishedVersion) -> None:
    """Tell session a version it did not load as an ORM object (a row inserted with only the
    version's id then needs no read of it: see :func:`session_version`)."""
    session.info.setdefault(SESSION_VERSIONS, {})[version.id] = version


def session_version(session: Session, version_id: int) -> PublishedVersion | None:
    """A version given to :func:`remember_version` in this session, or None."""
    return session.info.get(SESSION_VERSIONS, {}).get(version_id)


def questionnaire_for(version: QuestionnaireVersion | PublishedVersion) -> Questionnaire:
    """The engine's Questionnaire for a published version.

    Published versions are immutable, so the parsed form is kept per content hash and the
    (large, deferred) definition column is read only the first time in each process.
    """
    questionnaire = _BY_HASH.get(version.content_hash)
    if questionnaire is None:
        definition: dict[str, Any] | None
        if isinstance(version, PublishedVersion):
            definition = db.session.scalar(
                select(QuestionnaireVersion.definition).where(QuestionnaireVersion.id == version.id)
            )
        else:
            definition = version.definition
        assert definition is not None  # a published version keeps its definition
        questionnaire = parse_definition(definition)
        _BY_HASH[version.content_hash] = questionnaire
    return questionnaire


_CLIENT_JSON: dict[str, str] = {}


def client_json(version: QuestionnaireVersion) -> str:
    """The browser's JSON of a published version, HTML-safe for a <script> block.

    Serialising a large form takes milliseconds; a published version never changes, so it is
    done once per process.
    """
    text = _CLIENT_JSON.get(version.content_hash)
    if text is None:
        text = str(htmlsafe_json_dumps(questionnaire_for(version).to_client_dict()))
        _CLIENT_JSON[version.content_hash] = text
    return text


def publish(definition: dict[str, Any], user: User | None = None) -> PublishResult:
    """Store definition as a new published version, unless that exact version is stored.

    A version number is immutable: publishing different content under a stored number is an
    error, so old submissions always keep the definition they were collected with.
    """
    from questionnaires import QuestionnaireError

    try:
        questionnaire = parse_definition(definition)
    except QuestionnaireError as error:
        raise PublishError(f"questionnaire cannot be published: {error}") from None
    existing = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    if existing is not None:
        if existing.content_hash == questionnaire.content_hash:
            return PublishResult(questionnaire.id, questionnaire.version, "unchanged")
        raise PublishError(
            f"questionnaire {questionnaire.id} version {questionnaire.version} is already "
            "published with different content; raise its version number to publish the change"
        )
    row = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        content_hash=questionnaire.content_hash,
        title_vi=questionnaire.title["vi"],
        title_en=questionnaire.title["en"],
        unit=questionnaire.unit,
        definition=definition,
        published_by_id=user.id if user is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    record(
        "questionnaire.publish",
        user=user,
        object_type="questionnaire_version",
        object_id=row.id,
        new={"id": row.questionnaire_id, "version": row.version, "hash": row.content_hash},
    )
    return PublishResult(questionnaire.id, questionnaire.version, "published")


def publish_bundled(user: User | None = None) -> list[PublishResult]:
    """Publish every bundled questionnaire version that is not stored yet, oldest first.

    Earlier versions are published too (a new installation can then take interviews collected
    on them), before the current ones, so the current version is the newest published.
    """
    definitions = bundled_earlier_definitions() + list(bundled_definitions().values())
    return [publish(definition, user) for definition in definitions]


def current_version(questionnaire_id: str) -> QuestionnaireVersion | None:
    """The most recently published version of a questionnaire (used for new interviews)."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.published_at.desc(), QuestionnaireVersion.id.desc())
        .limit(1)
    )
