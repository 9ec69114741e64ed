"""Forms of the enumerator screens."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class StartInterviewForm(FlaskForm):
    """Start an interview; the tablet fills client_uuid with a UUID it made."""

    client_uuid = HiddenField()
