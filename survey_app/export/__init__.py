"""Microdata exports: one file per unit of observation, streamed from the database.

:mod:`.service` checks who may export what and streams the submissions; :mod:`.columns` turns a
batch into Arrow tables by the questionnaire's tidy layout; :mod:`.writers` writes CSV, Parquet,
Excel, Stata and SPSS files; :mod:`.cli` is the ``gesurvey export`` command.
"""

from .service import (
    EXPORT_ROLES,
    FORMATS,
    IDENTIFYING_ROLES,
    WOMEN_ROLES,
    ExportError,
    ExportOptions,
    ExportResult,
    check_permission,
    count_submissions,
    export_submissions,
    latest_versions,
    stream_answers,
)

__all__ = [
    "EXPORT_ROLES",
    "FORMATS",
    "IDENTIFYING_ROLES",
    "WOMEN_ROLES",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "check_permission",
    "count_submissions",
    "export_submissions",
    "latest_versions",
    "stream_answers",
]
