"""Forms of the enumerator screens."""

from wtforms import HiddenField

from ..core.forms_base import BaseForm


class StartInterviewForm(BaseForm):
    """Start an interview; the tablet fills client_uuid with a UUID it made."""

    client_uuid = HiddenField()
