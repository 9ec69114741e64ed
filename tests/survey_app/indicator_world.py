"""Users and figures the indicator tests share (on top of conftest's build_world)."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.extensions import db

from .conftest import TEST_PASSWORD, World, build_world

#: name -> (role, area code, department)
INDICATOR_USERS = {
    "dept_khdt": ("viewer", None, "khdt"),
    "labour": ("viewer", None, "ldtbxh"),
    "district178": ("viewer", "178", None),
}


@dataclass
class IndicatorWorld:
    """The base world plus ids of one approved figure and one draft of each entering user."""

    base: World
    approved_id: int
    khdt_draft_id: int
    district_draft_id: int


def build_indicator_world(app) -> IndicatorWorld:
    """The base world, the three indicator users, an approved survey figure, two drafts."""
    from survey_app.admin.services import create_user
    from survey_app.indicators.models import FigureStatus, SourceKind
    from survey_app.indicators.services import Figure, find_area, put_figure
    from survey_app.models import User
    from survey_app.results.services import set_department

    base = build_world(app)
    with app.app_context():
        for name, (role, area, department) in INDICATOR_USERS.items():
            user = create_user(name, role, TEST_PASSWORD, area_code=area)
            db.session.flush()
            if department:
                set_department(user, department, None)
        admin = db.session.query(User).filter_by(username="admin").one()
        khdt = db.session.query(User).filter_by(username="dept_khdt").one()
        district = db.session.query(User).filter_by(username="district178").one()
        province, d178 = find_area("20"), find_area("178")
        approved, _ = put_figure(
            "I4.1",
            province,
            "2019",
            "F",
            Figure(
                value=91.25,
                std_error=1.5,
                ci_low=88.0,
                ci_high=94.0,
                n_unweighted=400,
                status=FigureStatus.APPROVED.value,
                source_kind=SourceKind.SURVEY.value,
                source="report run 1",
                estimator="direct",
            ),
            admin,
        )
        khdt_draft, _ = put_figure(
            "MT2-CT2",
            province,
            "2019",
            "T",
            Figure(value=25.0, numerator=25, denominator=100, department="khdt"),
            khdt,
        )
        district_draft, _ = put_figure(
            "MT1-CT2",
            d178,
            "2019",
            "T",
            Figure(
                value=40.0,
                numerator=4,
                denominator=10,
                source_kind=SourceKind.DISTRICT.value,
            ),
            district,
        )
        db.session.commit()
        return IndicatorWorld(base, approved.id, khdt_draft.id, district_draft.id)
