"""The gender-equality database: indicator figures by area, period and sex, entered and browsed."""

from flask import Blueprint

bp = Blueprint("indicators", __name__, url_prefix="/indicators")

from . import models, views  # noqa: E402, F401  (register tables and routes on the blueprint)
