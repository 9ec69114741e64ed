"""The base of every form: WTForms' own messages translated through the app's catalogue.

WTForms ships no Vietnamese, so its validation messages ("This field is required.", …) are
listed here for extraction and translated in survey_app/translations like every other string.
"""

from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from flask_wtf import FlaskForm


class BabelTranslations:
    """The gettext/ngettext pair WTForms asks for, answered from the app's catalogue."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class BaseForm(FlaskForm):
    """FlaskForm whose built-in messages follow the user's language (Vietnamese or English)."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> BabelTranslations:
            return BabelTranslations()


# WTForms messages the app's forms can show; listed so that pybabel extracts them.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _nl(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    _nl(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
)
