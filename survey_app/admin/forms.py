"""Forms of the admin screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
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
    """A CSV file of assignments (enumerator,questionnaire,area_code,target), all or nothing."""

    file = FileField(_l("CSV file of assignments"), validators=[FileRequired()])


class PublishQuestionnairesForm(BaseForm):
    """Publish every bundled questionnaire whose version is not stored yet."""
