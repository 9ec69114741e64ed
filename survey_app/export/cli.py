"""The ``gesurvey export`` command: microdata files from the app's database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .service import FORMATS, ExportError, ExportOptions

STATUS_CHOICES = ["approved", "submitted", "returned", "draft", "rejected", "all"]


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="File format / Định dạng tệp.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for one file per unit of observation / Thư mục ghi tệp.",
)
@click.option(
    "--user",
    "username",
    required=True,
    help="User whose role allows the export / Người dùng được phép xuất dữ liệu.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUS_CHOICES),
    help="Submission status to include (repeatable; default approved) / "
    "Trạng thái phiếu (mặc định: đã duyệt).",
)
@click.option(
    "--questionnaire",
    "questionnaires",
    multiple=True,
    help="Questionnaire id (repeatable; default all) / Mã phiếu hỏi.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of labels / Ngôn ngữ nhãn.",
)
@click.option(
    "--round",
    "round_code",
    default=None,
    help="Survey round code (default: the open round, else the newest) / "
    "Mã đợt điều tra (mặc định: đợt đang mở, nếu không thì đợt mới nhất).",
)
@click.option(
    "--include-identifying",
    is_flag=True,
    help="Keep names and phone numbers (admin only) / Giữ họ tên, số điện thoại.",
)
@click.option(
    "--include-women",
    is_flag=True,
    help="Export the women's module (admin, analyst) / Xuất mô-đun phụ nữ.",
)
@with_appcontext
def export_command(
    fmt: str,
    out: str,
    username: str,
    statuses: tuple[str, ...],
    questionnaires: tuple[str, ...],
    lang: str,
    round_code: str | None,
    include_identifying: bool,
    include_women: bool,
) -> None:
    """Export submissions as microdata: one file per unit of observation, with labels.

    Xuất dữ liệu vi mô: mỗi đơn vị quan sát một tệp, có nhãn biến và nhãn giá trị.
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User
    from .service import choose_round, count_submissions, export_submissions, latest_versions

    if "all" in statuses:
        chosen: tuple[str, ...] = ()
    else:
        chosen = statuses or ("approved",)
    options = ExportOptions(
        format=fmt,
        statuses=chosen,
        questionnaires=questionnaires,
        lang=lang,
        include_identifying=include_identifying,
        include_women=include_women,
        round=round_code,
    )
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r} / không có người dùng {username!r}")
    try:
        ids = [v.questionnaire_id for v in latest_versions(questionnaires)]
        total = count_submissions(ids, chosen, choose_round(round_code).id)
        with click.progressbar(
            length=total, label="Exporting / Đang xuất", file=click.get_text_stream("stderr")
        ) as bar:
            result = export_submissions(out, options, user, progress=bar.update)
    except ExportError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message} / {error.message_vi}") from None
    for path in result.files:
        name = path.stem
        click.echo(f"{path}: {result.rows.get(name, 0)} rows / dòng")
    for questionnaire_id in result.left_out:
        click.echo(
            f"{questionnaire_id}: left out (sensitive; --include-women) / "
            f"bỏ qua (nhạy cảm; --include-women)"
        )
    click.echo(f"{result.round_file}: round / đợt {result.round}")
    click.echo(
        f"{result.submissions} submissions of round {result.round} exported / "
        f"phiếu của đợt {result.round} đã xuất"
    )
