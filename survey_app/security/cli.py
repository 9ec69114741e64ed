"""``gesurvey keys``: rotate the data key that seals the women's module."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext


@click.group("keys")
def keys_group() -> None:
    """Manage the data key that encrypts the women's safety module."""


@keys_group.command("rotate")
@with_appcontext
def rotate_command() -> None:
    """Encrypt every sealed value under a new key, then retire the old keys.

    With the instance key file, a new key is written in front of the old ones, every sealed
    value is re-encrypted in one transaction, and the old keys move to ``data_key.retired``
    (keep it with the backups made before today). With GESURVEY_DATA_KEY, put the new key in
    front yourself (GESURVEY_DATA_KEY=NEW,OLD), run this, then remove OLD.
    """
    from ..extensions import db
    from .sealing import SealingError, configured_keys, key_file, new_key, write_key_file
    from .store import reseal_everything

    keys, source = configured_keys()
    if not keys:
        raise click.ClickException(
            "no data key: run `gesurvey setup` or set GESURVEY_DATA_KEY / "
            "chưa có khóa dữ liệu: chạy `gesurvey setup` hoặc đặt GESURVEY_DATA_KEY"
        )
    path = key_file()
    if source == "file":
        write_key_file(path, [new_key(), *keys])
    elif len(keys) < 2:
        raise click.ClickException(
            f"the key comes from {source}: put a new key in front (GESURVEY_DATA_KEY=NEW,OLD) "
            "and run again / khóa lấy từ biến môi trường: đặt khóa mới lên đầu rồi chạy lại"
        )
    try:
        counts = reseal_everything()
        db.session.commit()
    except SealingError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if source == "file":
        retired = path.with_name(path.name + ".retired")
        old = retired.read_text(encoding="ascii").split() if retired.exists() else []
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        write_key_file(retired, [*old, f"# retired {stamp}", *keys])
        write_key_file(path, configured_keys()[0][:1])
        click.echo(f"New data key in {path}; old keys moved to {retired}.")
    else:
        click.echo("Every value is sealed with the first key; remove the others from the setting.")
    click.echo(
        "Re-encrypted: "
        + ", ".join(f"{name} {count}" for name, count in counts.items())
        + ". Back up the key file now."
    )
