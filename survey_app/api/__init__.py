"""The JSON sync API under /api/v1: questionnaires, assignments, exactly-once submissions."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from ..indicators import api as _indicators_api  # noqa: E402, F401  (GET /api/v1/indicators)
from . import models, views  # noqa: E402, F401  (register tables and routes on the blueprint)
