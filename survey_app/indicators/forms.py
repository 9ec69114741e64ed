"""Forms of the indicator pages (the numbers are read per sex cell by the view)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from ..core.forms_base import BaseForm


class EntryForm(BaseForm):
    """The comment and the two buttons of the entry page (save a draft, or submit)."""

    comment = TextAreaField(
        _l("Comment (needed for a large change from last year)"), [Length(max=2000)]
    )
    save_draft = SubmitField(_l("Save draft"))
    submit_figures = SubmitField(_l("Submit for approval"))


class ApproveForm(BaseForm):
    """Approve the ticked figures."""

    approve = SubmitField(_l("Approve the ticked figures"))
