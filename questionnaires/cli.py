"""Provide ``gesurvey questionnaires validate`` and ``gesurvey questionnaires show``."""

from __future__ import annotations

from pathlib import Path

import click

from questionnaires.errors import QuestionnaireError
from questionnaires.loader import (
    bundled_paths,
    earlier_version_paths,
    load_bundled,
    load_questionnaire,
)
from questionnaires.model import MISSING_CODES, Question, Questionnaire, RepeatGroup

__all__ = ["questionnaires"]

_WORDS: dict[str, dict[str, str]] = {
    "ok": {"vi": "hợp lệ", "en": "ok"},
    "questions": {"vi": "câu hỏi", "en": "questions"},
    "errors": {"vi": "lỗi", "en": "errors"},
    "none_found": {
        "vi": "Không tìm thấy phiếu nào trong {where}",
        "en": "No questionnaires found in {where}",
    },
    "summary_ok": {"vi": "{n} phiếu hợp lệ", "en": "{n} questionnaire(s) valid"},
    "summary_bad": {
        "vi": "{bad}/{n} phiếu có lỗi ({errors} lỗi)",
        "en": "{bad} of {n} questionnaire(s) have errors ({errors} in all)",
    },
    "unknown_id": {
        "vi": "Không có phiếu '{id}'; các phiếu có sẵn: {ids}",
        "en": "No questionnaire '{id}'; the bundled ones are: {ids}",
    },
    "section": {"vi": "Phần", "en": "Section"},
    "unit": {"vi": "đơn vị", "en": "unit"},
    "asked_if": {"vi": "hỏi khi", "en": "asked if"},
    "check": {"vi": "kiểm tra", "en": "check"},
    "calc": {"vi": "tính", "en": "computed as"},
    "filter": {"vi": "lọc lựa chọn", "en": "choices filtered by"},
    "rows_per": {"vi": "số dòng", "en": "rows"},
    "free_rows": {"vi": "thêm tự do", "en": "added freely"},
    "required": {"vi": "bắt buộc", "en": "required"},
    "missing": {"vi": "mã thiếu", "en": "missing codes"},
    "identifying": {"vi": "định danh", "en": "identifying"},
    "sensitive": {"vi": "nhạy cảm", "en": "sensitive"},
    "grid_rows": {"vi": "các dòng", "en": "rows"},
    "no_version": {
        "vi": "Không có phiên bản {version} trong questionnaires/forms/versions/",
        "en": "No version {version} under questionnaires/forms/versions/",
    },
    "indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "table": {"vi": "Bảng", "en": "Table"},
    "not_comparable": {"vi": "không so sánh được", "en": "not comparable"},
    "changed": {"vi": "đổi định nghĩa", "en": "definition changed"},
    "removed": {"vi": "đã bỏ", "en": "removed"},
    "added": {"vi": "mới thêm", "en": "added"},
    "compare_summary": {
        "vi": "{n} chỉ tiêu/bảng không so sánh được với phiên bản {old}",
        "en": "{n} indicator(s)/table(s) not comparable with version {old}",
    },
}


def _w(key: str, lang: str, **values: object) -> str:
    return _WORDS[key][lang].format(**values)


@click.group(name="questionnaires")
def questionnaires() -> None:
    """Check and inspect questionnaire definitions (questionnaires/forms/*.json)."""


@questionnaires.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
def validate(paths: tuple[Path, ...], lang: str) -> None:
    """Check questionnaire files (every bundled form and its earlier versions when no PATH is
    given); exit 1 on errors."""
    targets = list(paths) or earlier_version_paths() + bundled_paths()
    if not targets:
        click.echo(_w("none_found", lang, where="questionnaires/forms/"))
        return
    bad = errors = 0
    for path in targets:
        try:
            q = load_questionnaire(path)
        except QuestionnaireError as exc:
            bad += 1
            errors += len(exc.messages)
            for message in exc.messages_in(lang):
                click.echo(message, err=True)
            continue
        count = sum(1 for _ in q.iter_questions())
        click.echo(
            f"{_w('ok', lang)}: {q.source} ({q.id} {q.version}, {count} {_w('questions', lang)})"
        )
    if bad:
        click.echo(_w("summary_bad", lang, bad=bad, n=len(targets), errors=errors), err=True)
        raise SystemExit(1)
    click.echo(_w("summary_ok", lang, n=len(targets)))


@questionnaires.command()
@click.argument("ident", metavar="ID")
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of labels and headings.",
)
def show(ident: str, lang: str) -> None:
    """Print a readable outline of questionnaire ID (or a .json path): sections, questions,
    types and skip logic."""
    try:
        if ident.endswith(".json"):
            q = load_questionnaire(ident)
        else:
            forms = load_bundled()
            if ident not in forms:
                ids = ", ".join(sorted(forms)) or "-"
                click.echo(_w("unknown_id", lang, id=ident, ids=ids), err=True)
                raise SystemExit(1)
            q = forms[ident]
    except QuestionnaireError as exc:
        for message in exc.messages_in(lang):
            click.echo(message, err=True)
        raise SystemExit(1) from None
    click.echo("\n".join(outline(q, lang)))


def outline(q: Questionnaire, lang: str = "vi") -> list[str]:
    """Return the outline ``show`` prints, one string per line."""
    lines = [
        f"{q.id} {q.version}: {q.title[lang]} ({_w('unit', lang)}: {q.unit})",
        f"sha256 {q.content_hash}",
    ]
    for section in q.sections:
        lines.append("")
        head = f"{_w('section', lang)} {section.id}: {section.title[lang]}"
        if section.relevant:
            head += f"  [{_w('asked_if', lang)} {section.relevant}]"
        lines.append(head)
        for item in section.items:
            lines.extend(_item_lines(item, lang, "  "))
    return lines


def _item_lines(item: Question | RepeatGroup, lang: str, indent: str) -> list[str]:
    detail = indent + "      "
    if isinstance(item, RepeatGroup):
        rows = item.count if item.count else _w("free_rows", lang)
        lines = [
            f"{indent}{item.id}  repeat ({item.unit}): {item.label[lang]}",
            f"{detail}{_w('rows_per', lang)}: {rows}",
        ]
        if item.relevant:
            lines.append(f"{detail}{_w('asked_if', lang)}: {item.relevant}")
        for child in item.items:
            lines.extend(_item_lines(child, lang, indent + "    "))
        return lines
    kind = item.type
    if item.choices is not None and not item.choices.builtin:
        kind += f"[{item.choices.name}]"
    flags = [
        _w(flag, lang)
        for flag, on in (
            ("required", item.required),
            ("identifying", item.identifying),
            ("sensitive", item.sensitive),
        )
        if on
    ]
    head = f"{indent}{item.id}  {kind}: {item.label[lang]}"
    if flags:
        head += f"  ({', '.join(flags)})"
    lines = [head]
    if item.relevant:
        lines.append(f"{detail}{_w('asked_if', lang)}: {item.relevant}")
    if item.constraint:
        message = item.constraint_message[lang] if item.constraint_message else ""
        lines.append(f"{detail}{_w('check', lang)}: {item.constraint}  \u2192 {message}")
    if item.calculation:
        lines.append(f"{detail}{_w('calc', lang)}: {item.calculation}")
    if item.choices is not None and not item.choices.builtin:
        listed = "; ".join(f"{c.code} {c.label[lang]}" for c in item.choices)
        lines.append(f"{detail}{listed}")
    if item.rows:
        listed = "; ".join(f"{r.id} {r.label[lang]}" for r in item.rows)
        lines.append(f"{detail}{_w('grid_rows', lang)}: {listed}")
    if item.choice_filter:
        lines.append(f"{detail}{_w('filter', lang)}: {item.choice_filter}")
    if item.missing_codes:
        listed = ", ".join(f"{code} {MISSING_CODES[code][lang]}" for code in item.missing_codes)
        lines.append(f"{detail}{_w('missing', lang)}: {listed}")
    return lines


@questionnaires.command()
@click.option(
    "--from",
    "old_version",
    default="1.0.0",
    show_default=True,
    help="Earlier version (a folder under questionnaires/forms/versions/).",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
def compare(old_version: str, lang: str) -> None:
    """List the plan's indicators and tables that are not comparable between an earlier
    version of the bundled forms and the current one, with the questions that changed."""
    from questionnaires.plans import bundled_plan_path, load_plan
    from questionnaires.versions import plan_comparability

    old = {
        path.stem: load_questionnaire(path)
        for path in earlier_version_paths()
        if path.parent.name == old_version
    }
    if not old:
        click.echo(_w("no_version", lang, version=old_version), err=True)
        raise SystemExit(1)
    current = load_bundled()
    plan = load_plan(bundled_plan_path(), current)
    flagged = [c for c in plan_comparability(plan, old, current) if not c.comparable]
    for item in flagged:
        listed = ", ".join(
            f"{qid} ({_w(kind, lang)})" for qid, kind in sorted(item.questions.items())
        )
        click.echo(f"{_w(item.kind, lang)} {item.id}: {_w('not_comparable', lang)}: {listed}")
    click.echo(_w("compare_summary", lang, n=len(flagged), old=old_version))
