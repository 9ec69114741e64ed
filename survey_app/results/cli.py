"""``gesurvey results``: add a report folder to the results page, publish it, set departments."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


def _user(username: str):  # noqa: ANN202
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r} / không có người dùng {username!r}")
    return user


@click.group("results")
def results_group() -> None:
    """Report runs on the results page / Các lần chạy báo cáo trên trang kết quả."""


@results_group.command("add")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--user",
    "username",
    required=True,
    help="Administrator or analyst adding the run / Người thêm (quản trị, phân tích).",
)
@click.option("--title", default="", help="Title shown on the page / Tiêu đề.")
@click.option("--publish", "publish_now", is_flag=True, help="Publish at once / Công bố ngay.")
@with_appcontext
def add_command(folder: str, username: str, title: str, publish_now: bool) -> None:
    """Add FOLDER (written by gesurvey analyze report) as a run.

    Thêm thư mục báo cáo FOLDER thành một lần chạy.
    """
    from ..extensions import db
    from .services import ResultsError, add_folder, may_manage, publish

    user = _user(username)
    if not may_manage(user):
        raise click.ClickException(
            f"user {username!r} ({user.role}) may not add runs; only admin and analyst may / "
            f"người dùng {username!r} không được thêm báo cáo"
        )
    try:
        run = add_folder(folder, title, user)
        if publish_now:
            publish(run, user)
        db.session.commit()
    except ResultsError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    state = "published / đã công bố" if run.published else "not published / chưa công bố"
    click.echo(f"run {run.id}: {run.title} ({state})")


@results_group.command("department")
@click.argument("username")
@click.argument("department", required=False, default="")
@with_appcontext
def department_command(username: str, department: str) -> None:
    """Put department viewer USERNAME in DEPARTMENT (empty removes it).

    Gán người xem USERNAME vào sở/ngành DEPARTMENT.
    """
    from ..extensions import db
    from .services import ResultsError, set_department

    user = _user(username)
    try:
        set_department(user, department, None)
        db.session.commit()
    except ResultsError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"{username}: {department or '-'}")
