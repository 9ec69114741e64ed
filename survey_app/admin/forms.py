"""Forms of the admin screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..core.forms_base import BaseForm

ROLE_CHOICES = [
    ("enumerator", _l("Enumerator")),
    ("supervisor", _l("Supervisor")),
    ("admin", _l("Administrator")),
    ("analyst", _l("Analyst")),
    ("viewer", _l("Department viewer")),
]
LEVEL_CHOICES = [
    ("province", _l("Province")),
    ("district", _l("District")),
    ("commune", _l("Commune")),
    ("village", _l("Village")),
]


class CreateUserForm(BaseForm):
    """A new account; the area limits what a supervisor or enumerator sees."""

    username = StringField(
        _l("User name"),
        validators=[DataRequired(), Length(max=64), Regexp(r"^[A-Za-z0-9_.-]+$")],
    )
    full_name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    area_code = StringField(_l("Area code (empty: whole province)"), validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8)])
    language = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])


PASSWORD_CHOICES = [
    ("keep", _l("Keep the current password")),
    ("typed", _l("Set the password typed below")),
    ("generate", _l("Generate a new password (shown once)")),
]


class EditUserForm(BaseForm):
    """Change an existing account: role, area, language, active flag, password reset."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    area_code = StringField(_l("Area code (empty: whole province)"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])
    active = BooleanField(_l("Active"))
    password_action = SelectField(_l("Password"), choices=PASSWORD_CHOICES, default="keep")
    new_password = PasswordField(_l("New password"), validators=[Optional(), Length(min=8)])


class ToggleUserForm(BaseForm):
    """Activate or deactivate an account (accounts are never deleted: the audit log names them)."""


class CreateAreaForm(BaseForm):
    """A commune or village under an existing area."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES)
    parent_code = StringField(_l("Parent area code"), validators=[Optional(), Length(max=32)])


class CreateAssignmentForm(BaseForm):
    """Give an enumerator a questionnaire to fill in a village, with a household target."""

    enumerator = StringField(_l("Enumerator user name"), validators=[DataRequired()])
    area_code = StringField(_l("Village code"), validators=[DataRequired()])
    questionnaire_id = SelectField(_l("Questionnaire"), choices=[])
    target = IntegerField(_l("Target households"), validators=[NumberRange(min=0, max=10000)])


class ImportAssignmentsForm(BaseForm):
    """A CSV file of assignments (enumerator,questionnaire,area_code,target, optionally
    households), all or nothing."""

    file = FileField(_l("CSV file of assignments"), validators=[FileRequired()])


class PublishQuestionnairesForm(BaseForm):
    """Publish every bundled questionnaire whose version is not stored yet."""


KIND_CHOICES = [
    ("baseline", _l("Baseline")),
    ("mid-term", _l("Mid-term")),
    ("final", _l("Final")),
    ("annual", _l("Annual")),
]


class RoundForm(BaseForm):
    """A survey round: code (fixed once made), labels, year, kind, field dates, party term."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32), Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
    )
    label_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=200)])
    label_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    reference_year = IntegerField(
        _l("Reference year"), validators=[DataRequired(), NumberRange(min=1900, max=2200)]
    )
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    field_start = DateField(_l("Fieldwork starts"), validators=[Optional()])
    field_end = DateField(_l("Fieldwork ends"), validators=[Optional()])
    party_term = StringField(
        _l("Party congress term quoted by questions (e.g. 2020–2025)"),
        validators=[Optional(), Length(max=40)],
    )


class RoundStatusForm(BaseForm):
    """Open or close a round (the action is the button pressed)."""
