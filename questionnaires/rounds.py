"""A survey round's identity: one model and one file format (``round.json``) for everyone.

A round is one wave of collection (the baseline, the mid-term review, the final review, an
annual round). The web app stores rounds in its database; every data folder, export and report
output folder carries the round it belongs to in a ``round.json`` file::

    {"code": "2018", "label": {"vi": "Giữa kỳ 2018", "en": "Mid-term 2018"},
     "reference_year": 2018, "kind": "mid-term",
     "field_start": "2018-09-01", "field_end": "2018-11-30",
     "settings": {"party_term": "2020–2025"}}

``settings`` holds the round's own words that questions may quote (``party_term`` is the term of
the party congress a question asks about; see ``FORMAT.md``, *Round placeholders*). The simulator
writes ``round.json``; exports and ``gesurvey analyze report`` write it; ``analyze trend`` reads
it. Every problem is a :class:`RoundError` naming the file and the field, in both languages.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from questionnaires.errors import GesurveyError

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "ROUND_FILE",
    "SETTING_NAMES",
    "RoundError",
    "RoundInfo",
    "read_round",
    "round_placeholders",
    "round_setting_names",
    "write_round",
]

#: The kinds of round, in the plan's order.
KINDS = ("baseline", "mid-term", "final", "annual")

#: Each kind's name in Vietnamese and English.
KIND_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "baseline": {"vi": "Điều tra ban đầu", "en": "Baseline"},
        "mid-term": {"vi": "Giữa kỳ", "en": "Mid-term"},
        "final": {"vi": "Cuối kỳ", "en": "Final"},
        "annual": {"vi": "Hằng năm", "en": "Annual"},
    }
)

#: The settings a round may hold and question text may quote as ``{round.<name>}``.
SETTING_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "party_term": {
            "vi": "nhiệm kỳ đại hội Đảng mà câu hỏi nhắc tới (ví dụ 2020–2025)",
            "en": "the party congress term a question asks about (e.g. 2020–2025)",
        },
    }
)

#: The file name of a round's identity in a folder.
ROUND_FILE = "round.json"

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_ROUND_PLACEHOLDER = re.compile(r"\{round\.([A-Za-z0-9_]+)\}")


def round_setting_names(text: str) -> list[str]:
    """The setting names a text quotes as ``{round.<name>}``, in order (known or not)."""
    return _ROUND_PLACEHOLDER.findall(text or "")


def round_placeholders(settings: Mapping[str, Any] | None) -> dict[str, str]:
    """The placeholder values of a round's settings: ``{"round.party_term": "2020–2025"}``,
    for :func:`questionnaires.placeholders.fill_placeholders` and the browser's copy."""
    return {
        f"round.{name}": str(value)
        for name, value in (settings or {}).items()
        if name in SETTING_NAMES and value not in (None, "")
    }


class RoundError(GesurveyError):
    """A round's description is wrong: ``where`` names the file (or ``round``) and the field."""

    code = "round_invalid"


def _fail(where: str, name: str, en: str, vi: str) -> RoundError:
    return RoundError(
        f"{where}: field {name!r}: {en}",
        f"{where}: trường {name!r}: {vi}",
        where=f"{where}: {name}",
    )


@dataclass(frozen=True)
class RoundInfo:
    """One survey round: its code, bilingual label, reference year, kind, field dates, settings.

    ``code`` is short and stable (``"2018"``, ``"baseline"``): it names the round on the command
    line (``--round 2018``) and in every exported file's ``round`` column.
    """

    code: str
    label_vi: str
    label_en: str
    reference_year: int
    kind: str
    field_start: _dt.date | None = None
    field_end: _dt.date | None = None
    settings: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.check()
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    def check(self, where: str = "round") -> None:
        """Raise :class:`RoundError` naming ``where`` and the field if anything is wrong."""
        if not isinstance(self.code, str) or not _CODE.match(self.code):
            raise _fail(
                where,
                "code",
                f"{self.code!r} is not a round code; use 1–32 letters, digits, '.', '_' or '-' "
                "starting with a letter or digit (e.g. 2018)",
                f"{self.code!r} không phải mã đợt; dùng 1–32 chữ, số, '.', '_' hoặc '-', bắt "
                "đầu bằng chữ hoặc số (ví dụ 2018)",
            )
        for lang, text in (("vi", self.label_vi), ("en", self.label_en)):
            if not isinstance(text, str) or not text.strip():
                raise _fail(
                    where,
                    f"label.{lang}",
                    "the label is empty; give the round a name in Vietnamese and English",
                    "nhãn trống; đặt tên đợt bằng tiếng Việt và tiếng Anh",
                )
        year = self.reference_year
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise _fail(
                where,
                "reference_year",
                f"{year!r} is not a year (a whole number such as 2018)",
                f"{year!r} không phải là năm (số nguyên, ví dụ 2018)",
            )
        if self.kind not in KINDS:
            raise _fail(
                where,
                "kind",
                f"{self.kind!r} is not a kind of round; use one of {', '.join(KINDS)}",
                f"{self.kind!r} không phải loại đợt; dùng một trong {', '.join(KINDS)}",
            )
        for name in ("field_start", "field_end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, _dt.date):
                raise _fail(
                    where,
                    name,
                    f"{value!r} is not a date",
                    f"{value!r} không phải ngày",
                )
        if self.field_start and self.field_end and self.field_end < self.field_start:
            raise _fail(
                where,
                "field_end",
                f"fieldwork ends ({self.field_end}) before it starts ({self.field_start})",
                f"ngày kết thúc thực địa ({self.field_end}) trước ngày bắt đầu "
                f"({self.field_start})",
            )
        if not isinstance(self.settings, Mapping):
            raise _fail(
                where,
                "settings",
                "settings must be an object of names and texts",
                "settings phải là đối tượng gồm tên và nội dung",
            )
        for key, value in self.settings.items():
            if key not in SETTING_NAMES:
                raise _fail(
                    where,
                    f"settings.{key}",
                    f"unknown setting; known settings: {', '.join(SETTING_NAMES)}",
                    f"thiết lập không có; các thiết lập có: {', '.join(SETTING_NAMES)}",
                )
            if not isinstance(value, str):
                raise _fail(
                    where,
                    f"settings.{key}",
                    f"{value!r} is not text",
                    f"{value!r} không phải văn bản",
                )

    def label(self, lang: str) -> str:
        """The round's label in ``lang`` (``vi`` or ``en``; anything else gives English)."""
        return self.label_vi if lang == "vi" else self.label_en

    def to_dict(self) -> dict[str, Any]:
        """The round as the ``round.json`` object (dates as ISO text)."""
        return {
            "code": self.code,
            "label": {"vi": self.label_vi, "en": self.label_en},
            "reference_year": self.reference_year,
            "kind": self.kind,
            "field_start": self.field_start.isoformat() if self.field_start else None,
            "field_end": self.field_end.isoformat() if self.field_end else None,
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "round") -> RoundInfo:
        """Build a round from a ``round.json`` object; :class:`RoundError` names the bad field."""
        if not isinstance(data, Mapping):
            raise RoundError(
                f"{where}: a round must be a JSON object",
                f"{where}: đợt điều tra phải là một đối tượng JSON",
                where=where,
            )
        for name in ("code", "label", "reference_year", "kind"):
            if name not in data:
                raise _fail(where, name, "missing", "thiếu")
        label = data["label"]
        if not isinstance(label, Mapping):
            raise _fail(
                where,
                "label",
                'must be an object {"vi": …, "en": …}',
                'phải là đối tượng {"vi": …, "en": …}',
            )
        dates: dict[str, _dt.date | None] = {}
        for name in ("field_start", "field_end"):
            value = data.get(name)
            if value is None or value == "":
                dates[name] = None
                continue
            try:
                dates[name] = _dt.date.fromisoformat(str(value))
            except ValueError:
                raise _fail(
                    where,
                    name,
                    f"{value!r} is not a date written YYYY-MM-DD",
                    f"{value!r} không phải ngày dạng YYYY-MM-DD",
                ) from None
        settings = data.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise _fail(
                where,
                "settings",
                "settings must be an object of names and texts",
                "settings phải là đối tượng gồm tên và nội dung",
            )
        info = object.__new__(cls)
        values = {
            "code": data["code"],
            "label_vi": label.get("vi"),
            "label_en": label.get("en"),
            "reference_year": data["reference_year"],
            "kind": data["kind"],
            "field_start": dates["field_start"],
            "field_end": dates["field_end"],
            "settings": dict(settings),
        }
        for name, value in values.items():
            object.__setattr__(info, name, value)
        info.check(where)
        object.__setattr__(info, "settings", MappingProxyType(dict(settings)))
        return info


def read_round(folder: str | Path) -> RoundInfo | None:
    """The round described by ``folder/round.json``, or None when the folder has none.

    A file that exists but is not valid JSON or not a valid round raises :class:`RoundError`
    naming the file and the field.
    """
    path = Path(folder) / ROUND_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RoundError(
            f"{path}: cannot read the round description: {exc}",
            f"{path}: không đọc được mô tả đợt điều tra: {exc}",
            where=str(path),
        ) from None
    return RoundInfo.from_dict(data, where=str(path))


def write_round(folder: str | Path, info: RoundInfo) -> Path:
    """Write ``info`` to ``folder/round.json`` (creating the folder) and return the file's path."""
    path = Path(folder) / ROUND_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(info.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path
