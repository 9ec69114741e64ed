"""Forms of the results page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class UploadRunForm(FlaskForm):
    """Add a run from a zip of the folder ``gesurvey analyze report`` wrote."""

    title = StringField(_l("Title"), validators=[Length(max=200)])
    archive = FileField(_l("Zip of the report folder"), validators=[FileRequired()])


class RunReportForm(FlaskForm):
    """Run the table plan on the approved submissions now."""

    title = StringField(_l("Title"), validators=[Length(max=200)])
    lang = SelectField(_l("Report language"), choices=LANGUAGE_CHOICES)
    # Choices (the survey rounds, the open one first) are set by the view.
    round = SelectField(_l("Survey round"), choices=[], validate_choice=False)


class PublishRunForm(FlaskForm):
    """Publish or withdraw a run (the button says which)."""


class SetDepartmentForm(FlaskForm):
    """Give a department viewer their department."""

    username = StringField(_l("User name"), validators=[Length(max=64)])
    department = StringField(
        _l("Department code (empty: none)"),
        validators=[Optional(), Regexp(r"^[a-z][a-z0-9_]{0,31}$")],
    )
