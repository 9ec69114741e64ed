"""Forms of the supervisor screens."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms_base import BaseForm


class ReviewSubmissionForm(BaseForm):
    """Approve, return or reject, with a comment (required to return or reject)."""

    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment for the enumerator"), validators=[Length(max=2000)])


class CorrectAnswerForm(BaseForm):
    """Change one answer; the reason is mandatory and goes to the audit log."""

    question_id = StringField(_l("Question id"), validators=[DataRequired(), Length(max=128)])
    row = IntegerField(
        _l("Roster row (1 = first, empty for other questions)"), validators=[Optional()]
    )
    value = StringField(
        _l("New value (number, text, or JSON such as [1, 2]; empty to clear)"),
        validators=[Length(max=2000)],
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
