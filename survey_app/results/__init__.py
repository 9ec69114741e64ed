"""Results area: analysts publish report runs; departments download their own pack."""

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/results")

from . import views  # noqa: E402, F401  (registers the routes on bp)
