"""Field-level encryption ("sealing") of the women's safety module's answers.

A sealed value is the JSON object ``{"sealed": TOKEN}`` where TOKEN is a Fernet token
(AES-128-CBC with an HMAC-SHA256 tag, from the ``cryptography`` package) of the value's JSON
text. Sealed values sit in ordinary JSON columns, so one schema serves SQLite and PostgreSQL,
and a database dump holds only tokens.

The keys live outside the database: ``GESURVEY_DATA_KEY`` (one or more Fernet keys separated by
commas, the first one encrypts) or the instance key file ``instance/data_key`` that
``gesurvey setup`` writes with mode 0600 (one key per line, the first one encrypts). Every key in
the list decrypts, so ``gesurvey keys rotate`` can add a new key, re-encrypt, then retire the old.

Values are opened only where an authorised role needs them: the enumerator's own draft before
submission, and the analysis export with ``--include-women``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context

SEALED = "sealed"
ENV_KEY = "GESURVEY_DATA_KEY"


class SealingError(RuntimeError):
    """No usable key, or a sealed value that no configured key opens (message in vi and en)."""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(f"{message} / {message_vi}")
        self.message = message
        self.message_vi = message_vi


def new_key() -> str:
    """A fresh random Fernet key (URL-safe base64 text)."""
    return Fernet.generate_key().decode("ascii")


def key_file() -> Path:
    """Where ``gesurvey setup`` keeps the instance data key (config ``DATA_KEY_FILE``)."""
    configured = current_app.config.get("DATA_KEY_FILE")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "data_key"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def configured_keys() -> tuple[list[str], str]:
    """The data keys, newest first, and where they came from ('config', 'env', 'file' or '')."""
    if has_app_context() and current_app.config.get("DATA_KEY"):
        return _split(str(current_app.config["DATA_KEY"])), "config"
    if os.environ.get(ENV_KEY):
        return _split(os.environ[ENV_KEY]), "env"
    if has_app_context():
        path = key_file()
        if path.is_file():
            return _split(path.read_text(encoding="ascii")), "file"
    return [], ""


def _cipher() -> MultiFernet:
    keys, _source = configured_keys()
    if not keys:
        raise SealingError(
            "No data key for the women's module: run `gesurvey setup` (it writes instance/data_key)"
            " or set GESURVEY_DATA_KEY.",
            "Chưa có khóa dữ liệu cho phần phụ nữ: chạy `gesurvey setup` (tạo instance/data_key)"
            " hoặc đặt GESURVEY_DATA_KEY.",
        )
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError):
        raise SealingError(
            "A data key is not a valid Fernet key (32 bytes in URL-safe base64).",
            "Một khóa dữ liệu không hợp lệ (cần 32 byte mã hóa base64 an toàn cho URL).",
        ) from None


def is_sealed(value: Any) -> bool:
    """True for a value written by :func:`seal`."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SEALED), str)


def seal(value: Any) -> Any:
    """Encrypt a JSON value (None stays None; an already sealed value is returned as is)."""
    if value is None or is_sealed(value):
        return value
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return {SEALED: _cipher().encrypt(text.encode("utf-8")).decode("ascii")}


def unseal(value: Any) -> Any:
    """Decrypt a sealed value (plain values are returned unchanged)."""
    if not is_sealed(value):
        return value
    try:
        text = _cipher().decrypt(value[SEALED].encode("ascii"))
    except InvalidToken:
        raise SealingError(
            "A sealed answer cannot be opened with the configured data keys (wrong or missing "
            "key, or the data was changed).",
            "Không mở được câu trả lời đã mã hóa bằng các khóa hiện có (sai hoặc thiếu khóa, "
            "hoặc dữ liệu đã bị sửa).",
        ) from None
    return json.loads(text.decode("utf-8"))


def reseal(value: Any) -> Any:
    """Re-encrypt a sealed value under the newest key (plain values are sealed)."""
    if value is None:
        return None
    if not is_sealed(value):
        return seal(value)
    try:
        token = _cipher().rotate(value[SEALED].encode("ascii"))
    except InvalidToken:
        raise SealingError(
            "A sealed answer cannot be opened with the configured data keys.",
            "Không mở được câu trả lời đã mã hóa bằng các khóa hiện có.",
        ) from None
    return {SEALED: token.decode("ascii")}


def write_key_file(path: Path, keys: list[str]) -> None:
    """Write keys (newest first) to path, readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write("\n".join(keys) + "\n")
    path.chmod(0o600)
