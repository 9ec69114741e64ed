"""Read the package's JSON files (questionnaires, table plans, targets) with bilingual errors.

A file that is missing, unreadable, not UTF-8 or not valid JSON gives a
:class:`~questionnaires.errors.QuestionnaireError` naming the file (and the line and column of a
JSON mistake) and saying how to fix it, in English and Vietnamese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from questionnaires.errors import QuestionnaireError

__all__ = ["parse_json", "read_json", "read_text", "schema_where"]


def read_text(path: Path, display: str) -> str:
    """The file's text; ``display`` is how messages name the file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError(
            f"{display}: file not found; check the path",
            f"{display}: không tìm thấy tệp; hãy kiểm tra đường dẫn",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(
            f"{display}: cannot be read ({exc}); save it as UTF-8 text",
            f"{display}: không đọc được ({exc}); hãy lưu tệp dạng văn bản UTF-8",
        ) from None


def parse_json(text: str, display: str) -> Any:
    """The JSON document in ``text``; a syntax error names its line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(
            f"{display}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
            f"fix the JSON syntax",
            f"{display}: dòng {exc.lineno}, cột {exc.colno}: JSON không hợp lệ ({exc.msg}); "
            f"hãy sửa cú pháp JSON",
        ) from None


def read_json(path: Path, display: str) -> Any:
    """The JSON document in the file at ``path``."""
    return parse_json(read_text(path, display), display)


def schema_where(path: list[Any], doc: Any) -> str:
    """Where a JSON-schema error sits in ``doc``, for messages: ``tables[K.3].rows`` style.

    A list item is named by its ``id`` or ``code`` when it has one, else by its 1-based position.
    """
    parts: list[str] = []
    node = doc
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(step, int) and isinstance(node, dict) and "id" in node:
            parts.append(f"[{node['id']}]")
        elif isinstance(step, int) and isinstance(node, dict) and "code" in node:
            parts.append(f"[{node['code']}]")
        elif isinstance(step, int):
            parts.append(f"[{step + 1}]")
        else:
            parts.append(("." if parts else "") + str(step))
    return "".join(parts) or "top level"
