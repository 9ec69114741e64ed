"""Forms of the login screens."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..core.forms_base import BaseForm


class LoginForm(BaseForm):
    """User name and password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class ChooseLanguageForm(BaseForm):
    """Switch the interface between Vietnamese and English."""

    language = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])
    next = HiddenField()
