"""Every error gesurvey raises about its input is the one bilingual base type."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from questionnaires.errors import GesurveyError, QuestionnaireError

PACKAGES = ("questionnaires", "analysis", "survey_app")


def defined_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in the three packages (warnings excepted)."""
    found: dict[str, type[BaseException]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseException)
                    and not issubclass(obj, Warning)
                    and obj.__module__ == module.__name__
                ):
                    found[f"{obj.__module__}.{name}"] = obj
    return list(found.values())


def test_every_error_class_derives_from_the_one_base() -> None:
    classes = defined_exceptions()
    assert len(classes) >= 10, "the walk found too few error classes to mean anything"
    strays = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if not issubclass(cls, GesurveyError)
    )
    assert strays == []


def test_base_carries_both_languages_a_code_and_where() -> None:
    error = GesurveyError("row 3 is empty", "dòng 3 trống", code="empty_row", where="data.csv")
    assert (error.message_in("vi"), error.message_in("en")) == ("dòng 3 trống", "row 3 is empty")
    assert (error.code, error.where, str(error)) == ("empty_row", "data.csv", "row 3 is empty")


def test_message_arguments_in_the_old_order_are_refused() -> None:
    """(en, column, vi) was ExpressionSyntaxError's order: a number where vi goes is an error."""
    with pytest.raises(TypeError, match="message_vi must be text"):
        GesurveyError("bad", 3)  # type: ignore[arg-type]


def test_subclasses_keep_their_own_attributes() -> None:
    from analysis.errors import AnalysisError
    from questionnaires.errors import ExpressionSyntaxError

    analysis = AnalysisError("bad weight", "trọng số sai", column="w", rows=[3, 7])
    assert analysis.message("vi") == "trọng số sai" and analysis.where == "column w"
    assert analysis.rows == [3, 7] and analysis.code == "analysis"
    syntax = ExpressionSyntaxError("not closed", "chưa đóng", column=4)
    assert (syntax.column, syntax.reason_vi, str(syntax)) == (
        4,
        "chưa đóng",
        "column 4: not closed",
    )
    assert syntax.message_in("vi") == "cột 4: chưa đóng"
    questionnaire = QuestionnaireError(["a: wrong", "b: wrong"], ["a: sai", "b: sai"])
    assert questionnaire.messages_in("vi") == ["a: sai", "b: sai"]
    assert questionnaire.message_in("en") == "a: wrong\nb: wrong"
