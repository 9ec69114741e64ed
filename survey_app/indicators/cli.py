"""``gesurvey indicators``: load register files into the indicator store."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("indicators")
def indicators_group() -> None:
    """The gender-equality database / Cơ sở dữ liệu bình đẳng giới."""


@indicators_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--user",
    "username",
    required=True,
    help="Who loads the file (administrator, Labour department, or the figures' department) / "
    "Người nhập.",
)
@click.option(
    "--status",
    type=click.Choice(["submitted", "approved"]),
    default="submitted",
    show_default=True,
    help="Status of the loaded figures; approved only for Labour or an administrator / Trạng thái.",
)
@with_appcontext
def import_command(file: str, username: str, status: str) -> None:
    """Load FILE (.csv or .xlsx, the register long format) all or nothing.

    Tải tệp FILE (định dạng dài của sổ đăng ký): tất cả hoặc không gì cả.
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User
    from .imports import ImportProblems, import_file

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r} / không có người dùng {username!r}")
    try:
        result = import_file(file, user, status)
        db.session.commit()
    except ImportProblems as problems:
        db.session.rollback()
        lines = [
            f"{en}\n  {vi}" for en, vi in zip(problems.messages, problems.messages_vi, strict=True)
        ]
        raise click.ClickException(
            f"{file}: nothing loaded / không tải gì cả:\n" + "\n".join(lines)
        ) from None
    click.echo(
        f"{result.rows} rows, {result.changed} figures changed / "
        f"{result.rows} dòng, {result.changed} số liệu thay đổi"
    )


@indicators_group.command("communes")
@click.option("--period", default=None, help="Only forms of this reference year / Chỉ năm này.")
@click.option("--user", "username", required=True, help="Who loads them / Người tải.")
@with_appcontext
def communes_command(period: str | None, username: str) -> None:
    """Store commune figures from every approved commune form.

    Lưu số liệu cấp xã từ các phiếu xã đã duyệt.
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User
    from .commune import load_commune_forms
    from .services import is_labour

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not is_labour(user):
        raise click.ClickException(
            f"{username!r} is not an administrator or a Labour department user / "
            f"{username!r} không phải quản trị viên hay người dùng Sở LĐTBXH"
        )
    changed = load_commune_forms(user, period)
    db.session.commit()
    click.echo(f"{changed} figures changed / {changed} số liệu thay đổi")


@indicators_group.command("admin-forms")
@click.option("--period", default=None, help="Only forms of this reference year / Chỉ năm này.")
@click.option("--user", "username", required=True, help="Who loads them / Người tải.")
@with_appcontext
def admin_forms_command(period: str | None, username: str) -> None:
    """Store district and province figures from every approved district and province form.

    Lưu số liệu cấp huyện, cấp tỉnh từ các phiếu huyện, phiếu tỉnh đã duyệt.
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User
    from .admin_forms import load_admin_forms
    from .services import is_labour

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not is_labour(user):
        raise click.ClickException(
            f"{username!r} is not an administrator or a Labour department user / "
            f"{username!r} không phải quản trị viên hay người dùng Sở LĐTBXH"
        )
    changed = load_admin_forms(user, period)
    db.session.commit()
    click.echo(f"{changed} figures changed / {changed} số liệu thay đổi")
