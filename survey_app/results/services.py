"""Store, run, publish and serve report runs, and decide who may see which file.

A run is a folder under the results directory (``RESULTS_DIR``, default ``instance/results``),
as ``gesurvey analyze report --out`` writes it: the full report at the top (``report_<lang>.pdf``,
``report_<lang>.xlsx``, ``csv/…``, ``manifest.json``) and one pack per department under
``departments/<code>/``.

Who sees what:

- administrators and analysts: every run, published or not, and every file; they add runs
  (upload or run on the approved data), publish and withdraw them;
- supervisors: published runs, every file (tables are aggregates, small cells suppressed);
- department viewers: published runs, only the pack of their own department;
- enumerators: nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from questionnaires.errors import GesurveyError
from questionnaires.rounds import RoundError, read_round

from ..core.audit import record
from ..core.i18n import current_language
from ..extensions import db
from ..models import Role, SurveyRound, User, utcnow
from ..submissions.checks import InputRejected, load_json
from .models import ReportRun, ViewerDepartment

MANAGE_ROLES = (Role.ADMIN.value, Role.ANALYST.value)
READ_ROLES = (*MANAGE_ROLES, Role.SUPERVISOR.value, Role.VIEWER.value)
DEPARTMENT_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_UNPACKED = 100 * 1024 * 1024

ReportRunner = Callable[..., Any]


class ResultsError(GesurveyError):
    """A run cannot be added or changed; the message is already in the user's language."""

    code = "results_refused"


def results_dir() -> Path:
    """Folder holding one sub-folder per run."""
    configured = current_app.config.get("RESULTS_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_folder(run: ReportRun) -> Path:
    """The run's folder on disk."""
    return results_dir() / run.folder


def may_manage(user: User) -> bool:
    """True for the roles that add, publish and withdraw runs."""
    return user.role in MANAGE_ROLES


def department_of(user: User) -> str | None:
    """The department a viewer belongs to, or None."""
    link = db.session.get(ViewerDepartment, user.id)
    return link.department if link is not None else None


def visible_runs(user: User) -> list[ReportRun]:
    """Runs the user may see, newest first."""
    query = select(ReportRun).order_by(ReportRun.created_at.desc(), ReportRun.id.desc())
    if not may_manage(user):
        if user.role not in READ_ROLES:
            return []
        query = query.where(ReportRun.published_at.is_not(None))
    return list(db.session.scalars(query))


def may_see_run(user: User, run: ReportRun) -> bool:
    """True when the run is on the user's results page."""
    if may_manage(user):
        return True
    return run.published and user.role in READ_ROLES


def clean_relative(relative: str) -> str | None:
    """The path as a plain relative path of named parts, or None when it is not one.

    Refused: any ``..`` or ``.`` part, an absolute path, a backslash, a NUL, empty parts, and a
    percent sign (the URL is already decoded once; a second encoding is never legitimate).
    """
    if not relative or "\\" in relative or "\x00" in relative or "%" in relative:
        return None
    parts = relative.split("/")
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return None
    return "/".join(parts)


def may_see_path(user: User, run: ReportRun, relative: str) -> bool:
    """True when the user may download this file of the run (path relative to its folder).

    The decision is taken on the normalised path and, for a department viewer, on the resolved
    file, which must lie inside ``departments/<own>/`` (no ``..``, no link leading out).
    """
    if not may_see_run(user, run):
        return False
    clean = clean_relative(relative)
    if clean is None:
        return False
    if user.role != Role.VIEWER.value:
        return True
    own = department_of(user)
    parts = clean.split("/")
    if own is None or len(parts) < 3 or parts[0] != "departments" or parts[1] != own:
        return False
    pack = (run_folder(run) / "departments" / own).resolve()
    return (run_folder(run) / clean).resolve().is_relative_to(pack)


def _files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def report_files(run: ReportRun) -> list[str]:
    """Files of the full report (everything outside departments/)."""
    return [f for f in _files(run_folder(run)) if not f.startswith("departments/")]


def pack_files(run: ReportRun, department: str) -> list[str]:
    """Files of one department's pack, relative to the run folder."""
    return [
        f"departments/{department}/{f}"
        for f in _files(run_folder(run) / "departments" / department)
    ]


def packs_for(user: User, run: ReportRun) -> dict[str, str]:
    """Department code → label of the packs the user may download from this run."""
    folder = run_folder(run) / "departments"
    on_disk = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    labels = run.departments()
    packs = {code: labels.get(code, code) for code in on_disk}
    if user.role == Role.VIEWER.value:
        own = department_of(user)
        return {code: label for code, label in packs.items() if code == own}
    return packs


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        manifest = load_json(path.read_bytes(), "manifest.json")
    except OSError:
        raise ResultsError(_("manifest.json in the report folder is not valid JSON.")) from None
    except InputRejected as rejected:
        raise ResultsError(rejected.message) from None
    return manifest if isinstance(manifest, dict) else {}


def _new_run(folder: Path, title: str, source: str, user: User | None) -> ReportRun:
    manifest = _read_manifest(folder)
    if not _files(folder):
        raise ResultsError(_("The report folder is empty."))
    try:
        info = read_round(folder)
    except RoundError as error:
        raise ResultsError(error.message_in(current_language())) from None
    run = ReportRun(
        title=title.strip() or manifest.get("plan", "") or _("Report"),
        source=source,
        lang=manifest.get("lang", "vi") if manifest.get("lang") in ("vi", "en") else "vi",
        plan=str(manifest.get("plan", ""))[:64],
        folder=folder.name,
        manifest=manifest,
        created_by_id=user.id if user is not None else None,
        round_id=(
            db.session.scalar(select(SurveyRound.id).where(SurveyRound.code == info.code))
            if info is not None
            else None
        ),
    )
    db.session.add(run)
    db.session.flush()
    record(
        "results.add",
        user=user,
        object_type="report_run",
        object_id=run.id,
        new={"title": run.title, "source": source},
    )
    return run


def add_folder(source_folder: str | Path, title: str, user: User | None) -> ReportRun:
    """Copy a report folder (written by ``analyze report``) into the results area."""
    source = Path(source_folder)
    if not source.is_dir():
        raise ResultsError(_("No report folder at %(path)s.", path=str(source)))
    target = results_dir() / uuid.uuid4().hex
    shutil.copytree(source, target)
    try:
        return _new_run(target, title, "upload", user)
    except ResultsError:
        shutil.rmtree(target, ignore_errors=True)
        raise


def add_zip(stream: IO[bytes], title: str, user: User | None) -> ReportRun:
    """Unpack an uploaded zip of a report folder into the results area (paths checked).

    The unpacked total is capped (``RESULTS_MAX_UNPACKED``, default 100 MB) while writing, not
    only from the sizes the archive claims; on any failure the half-made folder is removed.
    """
    limit = int(current_app.config.get("RESULTS_MAX_UNPACKED", MAX_UNPACKED))
    target = results_dir() / uuid.uuid4().hex
    try:
        _unpack(stream, target, limit)
        return _new_run(target, title, "upload", user)
    except zipfile.BadZipFile:
        shutil.rmtree(target, ignore_errors=True)
        raise ResultsError(_("The file is not a zip archive.")) from None
    except ResultsError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    except (OSError, RuntimeError, ValueError, EOFError, zlib.error) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise ResultsError(
            _("The zip file cannot be unpacked: %(error)s", error=type(error).__name__)
        ) from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _unpack(stream: IO[bytes], target: Path, limit: int) -> None:
    too_big = _("The zip file unpacks to more than %(n)s MB.", n=limit // (1024 * 1024))
    with zipfile.ZipFile(stream) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > limit:
            raise ResultsError(too_big)
        names = [PurePosixPath(m.filename) for m in members]
        if any(n.is_absolute() or ".." in n.parts or "\\" in str(n) for n in names):
            raise ResultsError(_("The zip file holds paths outside its folder."))
        # A zip of the folder itself has one top-level directory: strip it.
        tops = {n.parts[0] for n in names if len(n.parts) > 1}
        strip = len(tops) == 1 and all(len(n.parts) > 1 for n in names)
        paths = [tuple(name.parts[1:] if strip else name.parts) for name in names]
        files = set(paths)
        folders = {path[:i] for path in paths for i in range(1, len(path))}
        clash = sorted("/".join(path) for path in files & folders)
        if clash or len(files) != len(paths):
            raise ResultsError(
                _(
                    "The zip file holds a name twice or as both a file and a folder: %(name)s.",
                    name=(clash or ["?"])[0],
                )
            )
        written = 0
        for member, parts in zip(members, paths, strict=True):
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, destination.open("wb") as dst:
                while chunk := src.read(1024 * 1024):
                    written += len(chunk)
                    if written > limit:
                        raise ResultsError(too_big)
                    dst.write(chunk)


def bundled_plan() -> Path:
    """The table plan the app runs (``RESULTS_PLAN``, default the bundled Lạng Sơn plan)."""
    configured = current_app.config.get("RESULTS_PLAN")
    if configured:
        return Path(configured)
    return Path(str(resources.files("questionnaires") / "tables" / "langson.json"))


def _default_runner() -> ReportRunner:
    try:
        from analysis.report import run_report
    except ImportError:
        raise ResultsError(
            _(
                "The report module is not installed; run the report with gesurvey analyze "
                "report and upload its folder."
            )
        ) from None
    return run_report


def run_on_approved(
    title: str,
    lang: str,
    user: User,
    runner: ReportRunner | None = None,
    round_code: str | None = None,
) -> ReportRun:
    """Export the approved submissions of a survey round (default: the open one, else the
    newest), run the table plan on them and store the run, which belongs to that round.

    The export includes the women's module (its tables are aggregates with small cells
    suppressed) and never identifying fields; the exported files are deleted afterwards.
    """
    from ..export import ExportError, ExportOptions, export_submissions

    runner = runner or current_app.config.get("RESULTS_RUNNER") or _default_runner()
    target = results_dir() / uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="gesurvey-report-") as data_dir:
        try:
            exported = export_submissions(
                data_dir,
                ExportOptions(format="parquet", include_women=True, lang=lang, round=round_code),
                user,
            )
        except ExportError as error:
            raise ResultsError(error.message_in(lang)) from None
        try:
            runner(data_dir, bundled_plan(), target, lang=lang)
        except Exception as error:  # the analysis reports bad data in many ways
            current_app.logger.exception("report run failed")
            shutil.rmtree(target, ignore_errors=True)
            message = error.message_in(lang) if isinstance(error, GesurveyError) else str(error)
            raise ResultsError(
                _("The report could not be made: %(error)s", error=message)
            ) from None
    try:
        run = _new_run(target, title, "approved", user)
    except ResultsError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    run.lang = lang
    run.round_id = db.session.scalar(
        select(SurveyRound.id).where(SurveyRound.code == exported.round)
    )
    return run


def publish(run: ReportRun, user: User | None) -> None:
    """Show the run to supervisors and department viewers."""
    if run.published:
        return
    run.published_at = utcnow()
    run.published_by_id = user.id if user is not None else None
    record("results.publish", user=user, object_type="report_run", object_id=run.id)
    from ..indicators.services import load_report_run

    load_report_run(run, user)


def withdraw(run: ReportRun, user: User | None) -> None:
    """Hide the run again from everyone but administrators and analysts."""
    if not run.published:
        return
    run.published_at = None
    run.published_by_id = None
    record("results.withdraw", user=user, object_type="report_run", object_id=run.id)
    from ..indicators.services import unload_report_run

    unload_report_run(run, user)


def set_department(viewer: User, department: str | None, by: User | None) -> None:
    """Give a department viewer their department (None or '' removes it)."""
    if viewer.role != Role.VIEWER.value:
        raise ResultsError(_("Only department viewers belong to a department."))
    department = (department or "").strip()
    if department and not DEPARTMENT_CODE.match(department):
        raise ResultsError(
            _("A department code is lower-case letters, digits and _, such as yte or ldtbxh.")
        )
    link = db.session.get(ViewerDepartment, viewer.id)
    old = link.department if link is not None else None
    if not department:
        if link is not None:
            db.session.delete(link)
    elif link is None:
        db.session.add(ViewerDepartment(user_id=viewer.id, department=department))
    else:
        link.department = department
    record(
        "results.department",
        user=by,
        object_type="user",
        object_id=viewer.id,
        field="department",
        old=old,
        new=department or None,
    )


def known_departments() -> dict[str, str]:
    """Department code → label from the bundled plan and every stored run."""
    found: dict[str, str] = {}
    lang = current_language()
    plan = bundled_plan()
    if plan.is_file():
        try:
            document = json.loads(plan.read_text(encoding="utf-8"))
            for code, label in (document.get("departments") or {}).items():
                found[code] = label.get(lang, code) if isinstance(label, dict) else str(label)
        except (OSError, ValueError):
            pass
    for run in db.session.scalars(select(ReportRun)):
        for code, label in run.departments().items():
            found.setdefault(code, label)
    return dict(sorted(found.items()))
