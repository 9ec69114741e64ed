"""Turn a batch of households into the presets and covariates each questionnaire's generator needs.

Presets fix the answers the design and the rosters already decide (where the interview took
place, who is in the household, who was selected, who consented); everything else comes from
the behaviour model or the generic draws.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.synthetic.people import COHABITING, MARRIED, NEVER, Households

__all__ = [
    "FIELDWORK_DAYS",
    "FIELDWORK_START",
    "FormInput",
    "administrative_input",
    "commune_input",
    "fieldwork_window",
    "household_input",
    "individual_input",
    "women_input",
]

FIELDWORK_START = dt.date(2025, 10, 1)
FIELDWORK_DAYS = 60


@dataclass
class FormInput:
    """The rows (``index`` into the batch's households), presets and covariates of one form."""

    index: np.ndarray
    presets: dict[str | None, dict[str, Any]]
    covariates: dict[str | None, dict[str, np.ndarray]]


def fieldwork_window(start: dt.date = FIELDWORK_START) -> tuple[dt.date, dt.date]:
    """The first and last day of the simulated fieldwork that starts on ``start``
    (:data:`FIELDWORK_DAYS` days)."""
    return start, start + dt.timedelta(days=FIELDWORK_DAYS - 1)


def interview_dates(hh: pd.DataFrame, start: dt.date = FIELDWORK_START) -> np.ndarray:
    """One fieldwork day per village (the team visits the village once), as ``datetime.date``,
    within the :data:`FIELDWORK_DAYS` days from ``start``."""
    offset = (hh["psu"].to_numpy() * 7919) % FIELDWORK_DAYS
    days = np.array([start + dt.timedelta(days=d) for d in range(FIELDWORK_DAYS)], object)
    return np.asarray(days[offset])


def _interviewer(hh: pd.DataFrame, women: bool = False) -> np.ndarray:
    district = hh["district"].to_numpy() - 177
    team = hh["psu"].to_numpy() % 4 + (5 if women else 1)
    return np.asarray((district * 10 + team).astype(float))


_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def link_ids(hh: pd.DataFrame) -> np.ndarray:
    """The form-W link code of each household (16 lowercase letters and digits).

    On a tablet the code is random; here it is derived from the household id so the same seed
    gives the same files. Only the household record and the women's record carry it.
    """
    ids = (hh["psu"].to_numpy() * 1000 + hh["household_no"].to_numpy()).astype(np.int64)
    if len(ids) == 0:
        return np.array([], object)
    # Hash row by row, then map the first 16 bytes of every digest to letters at once.
    digests = b"".join(hashlib.sha256(b"gesurvey-link:%d" % value).digest() for value in ids)
    head = np.frombuffer(digests, np.uint8).reshape(len(ids), 32)[:, :16]
    alphabet = np.frombuffer(_ID_ALPHABET.encode(), np.uint8)
    letters = np.ascontiguousarray(alphabet[head % len(_ID_ALPHABET)])
    return np.asarray(letters.view("S16").ravel().astype(str).astype(object))


def interview_languages(hh: pd.DataFrame, ethnicity: np.ndarray) -> np.ndarray:
    """Language of the interview: Vietnamese mostly, about a fifth in the respondent's own."""
    own = np.select(
        [ethnicity == 2, ethnicity == 7, ethnicity == 9, ethnicity == 8], [2, 3, 4, 5], 1
    ).astype(float)
    u = (hh["psu"].to_numpy() * 31 + hh["household_no"].to_numpy()) % 10
    return np.where(u < 2, own, 1.0)


def _common(hh: pd.DataFrame) -> dict[str, Any]:
    return {
        "province": np.full(len(hh), 20.0),
        "district": hh["district"].to_numpy(float),
        "commune": hh["commune"].to_numpy(float),
        "village": hh["village"].to_numpy(float),
        "residence": hh["residence"].to_numpy(float),
        "household_no": hh["household_no"].to_numpy(float),
    }


def household_input(batch: Households, start: dt.date = FIELDWORK_START) -> FormInput:
    """Every sampled household fills the household form (non-contacts record the result)."""
    hh = batch.hh
    n = len(hh)
    dates = interview_dates(hh, start)
    top = _common(hh)
    responded = hh["responded"].to_numpy() == 1
    top.update(
        {
            "interviewer_id": _interviewer(hh),
            "interview_date": np.array([d.isoformat() for d in dates], object),
            "HH04": hh["contact"].to_numpy(float),
            "HH05": hh["consent"].to_numpy(float),
            "HH06": np.where(responded, hh["size"], np.nan),
            "HH07": hh["hh_respondent"].to_numpy(float),
            "HH08": hh["poverty"].to_numpy(float),
            "HH09": hh["farm"].to_numpy(float),
            "HH24": hh["form"].to_numpy(float),
            "HH25": np.where(hh["selected_line"] > 0, hh["selected_line"], np.nan),
            "W_LINK": link_ids(hh),
        }
    )
    members = batch.members[responded[batch.members["hh_index"].to_numpy()]]
    heads = batch.members[batch.members["line"] == 1].set_index("hh_index")["ethnicity"]
    top["interview_language"] = interview_languages(hh, heads.reindex(np.arange(n)).to_numpy(float))
    roster = {
        "M02": members["relationship"].to_numpy(float),
        "M03": members["sex"].to_numpy(float),
        "M04": members["age"].to_numpy(float),
        "M05": members["ethnicity"].to_numpy(float),
        "M06": members["marital"].to_numpy(float),
        "D4_01": members["education"].to_numpy(float),
    }
    covariates = {
        None: {
            "urban": (hh["residence"].to_numpy() == 1).astype(float),
            "remote": hh["remote"].to_numpy(float),
            "farm": hh["farm"].to_numpy(float),
            "poverty": hh["poverty"].to_numpy(float),
            "wealth": hh["wealth"].to_numpy(float),
        },
        "roster": {
            "sex": members["sex"].to_numpy(float),
            "age": members["age"].to_numpy(float),
            "education": members["education"].to_numpy(float),
        },
    }
    return FormInput(np.arange(n), {None: top, "roster": roster}, covariates)


def _person(batch: Households, index: np.ndarray) -> pd.DataFrame:
    """The selected person's roster row for households ``index``."""
    hh = batch.hh.iloc[index]
    members = batch.members.set_index(["hh_index", "line"])
    keys = list(zip(index, hh["selected_line"].to_numpy(), strict=True))
    return members.loc[keys].reset_index()


def _person_covariates(
    batch: Households, index: np.ndarray, person: pd.DataFrame, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    hh = batch.hh.iloc[index]
    urban = (hh["residence"].to_numpy() == 1).astype(float)
    remote = hh["remote"].to_numpy(float)
    sex = person["sex"].to_numpy(float)
    education = np.nan_to_num(person["education"].to_numpy(float))
    age = person["age"].to_numpy(float)
    marital = person["marital"].to_numpy(float)
    attitude = (
        rng.normal(0, 1, len(index))
        + 0.5 * (sex == 2)
        + 0.25 * urban
        + 0.15 * education
        - 0.2 * remote
        - 0.01 * (age - 40)
    )
    return {
        "sex": sex,
        "age": age,
        "urban": urban,
        "remote": remote,
        "education": education,
        "farm": hh["farm"].to_numpy(float),
        "ethnicity": person["ethnicity"].to_numpy(float),
        "married": np.isin(marital, (MARRIED, COHABITING)).astype(float),
        "married_ever": (marital != NEVER).astype(float),
        "attitude": attitude,
    }


def individual_input(
    batch: Households, rng: np.random.Generator, start: dt.date = FIELDWORK_START
) -> FormInput:
    """Selected persons of responding households (those who refused record consent = 0)."""
    hh_all = batch.hh
    index = np.flatnonzero(hh_all["person_consent"].to_numpy() >= 0)
    hh = hh_all.iloc[index]
    person = _person(batch, index)
    dates = interview_dates(hh, start)
    top = _common(hh)
    top.update(
        {
            "form_type": hh["form"].to_numpy(float),
            "resp_line": hh["selected_line"].to_numpy(float),
            "interviewer_id": _interviewer(hh, women=False),
            "interview_day": np.array([d.day for d in dates], float),
            "interview_month": np.array([d.month for d in dates], float),
            "interview_year": np.array([d.year for d in dates], float),
            "consent": hh["person_consent"].to_numpy(float),
            "resp_sex": person["sex"].to_numpy(float),
            "resp_age": person["age"].to_numpy(float),
            "resp_ethnicity": person["ethnicity"].to_numpy(float),
            "resp_marital": person["marital"].to_numpy(float),
            "farm_hh": hh["farm"].to_numpy(float),
            "interview_language": interview_languages(hh, person["ethnicity"].to_numpy()),
        }
    )
    covariates: dict[str | None, dict[str, np.ndarray]] = {
        None: _person_covariates(batch, index, person, rng)
    }
    presets: dict[str | None, dict[str, Any]] = {None: top}
    return FormInput(index, presets, covariates)


_PARTNER = {MARRIED: 1, COHABITING: 2}


def women_input(
    batch: Households, rng: np.random.Generator, start: dt.date = FIELDWORK_START
) -> FormInput:
    """Form-B respondents who have ever had a partner get the women's module."""
    hh_all = batch.hh
    index = np.flatnonzero(hh_all["women_module"].to_numpy() == 1)
    hh = hh_all.iloc[index]
    person = _person(batch, index)
    dates = interview_dates(hh, start)
    ethnicity = person["ethnicity"].to_numpy()
    language = np.select(
        [ethnicity == 2, ethnicity == 7, ethnicity == 9, ethnicity == 8], [2, 3, 4, 5], 1
    ).astype(float)
    # Most interviews are in Vietnamese; about a fifth in the respondent's language.
    u = (hh["psu"].to_numpy() * 31 + hh["household_no"].to_numpy()) % 10
    language = np.where(u < 2, language, 1.0)
    marital = person["marital"].to_numpy()
    partner = np.array([_PARTNER.get(int(m), 4) for m in marital], float)
    top = _common(hh)
    top.update(
        {
            "resp_line": hh["selected_line"].to_numpy(float),
            "resp_sex": np.full(len(index), 2.0),
            "resp_age": person["age"].to_numpy(float),
            "interviewer_id": _interviewer(hh, women=True),
            "interview_date": np.array([d.isoformat() for d in dates], object),
            "interview_language": language,
            "W00_02": hh["privacy"].to_numpy(float),
            "W00_05": hh["w_consent"].to_numpy(float),
            "W00_06": np.ones(len(index)),
            "W00_07": partner,
            "hh_link": link_ids(hh),
            "resp_ethnicity": ethnicity.astype(float),
            # Women interview women; a few male interviewers show up in the quality table.
            "interviewer_sex": np.where(
                (hh["psu"].to_numpy() * 13 + hh["household_no"].to_numpy()) % 40 == 0, 1.0, 2.0
            ),
        }
    )
    urban = (hh["residence"].to_numpy() == 1).astype(float)
    remote = hh["remote"].to_numpy(float)
    education = np.nan_to_num(person["education"].to_numpy(float))
    risk = rng.normal(0, 1, len(index)) + 0.3 * remote - 0.2 * urban - 0.1 * education
    covariates: dict[str | None, dict[str, np.ndarray]] = {
        None: {"urban": urban, "remote": remote, "education": education, "risk": risk}
    }
    presets: dict[str | None, dict[str, Any]] = {None: top}
    return FormInput(index, presets, covariates)


def commune_input(communes: pd.DataFrame, start: dt.date = FIELDWORK_START) -> FormInput:
    """One commune form per commune of the frame, a census (``communes``: one row each),
    filled on the fieldwork's first day and about its year."""
    n = len(communes)
    code = communes["commune"].to_numpy()
    kind = communes["commune_type"].to_numpy()
    prefix = np.select([kind == 1, kind == 2], ["Phường", "Thị trấn"], "Xã")
    remote = communes["remote"].to_numpy(float)
    area = np.where(kind == 3, np.where(remote == 1, 3, 2), 1).astype(float)
    top = {
        "province": np.full(n, 20.0),
        "district": communes["district"].to_numpy(float),
        "commune": code.astype(float),
        "commune_name": np.array([f"{p} {c}" for p, c in zip(prefix, code, strict=True)], object),
        "commune_type": kind.astype(float),
        "COM_AREA": area,
        "COM_YEAR": np.full(n, float(start.year)),
        "COM_R2": np.full(n, "Cán bộ văn hóa - xã hội", object),
        "interviewer_id": (communes["district"].to_numpy() - 177) * 10.0 + 9,
        "interview_date": np.full(n, start.isoformat(), object),
        "interview_language": np.ones(n),
    }
    return FormInput(np.arange(n), {None: top}, {None: {"remote": remote}})


def administrative_input(
    units: pd.DataFrame, level: str, start: dt.date = FIELDWORK_START
) -> FormInput:
    """The district forms (``units``: one row per district) or the province form (one row),
    filled on the fieldwork's first day and about its year."""
    n = len(units)
    top: dict[str, Any] = {
        "province": np.full(n, 20.0),
        "REF_YEAR": np.full(n, float(start.year)),
        "RESP_POSITION": np.full(n, "Phòng Nội vụ" if level == "district" else "Sở Nội vụ", object),
        "interview_language": np.ones(n),
        "interview_date": np.full(n, start.isoformat(), object),
    }
    if level == "district":
        top["district"] = units["district"].to_numpy(float)
        top["interviewer_id"] = (units["district"].to_numpy() - 177) * 10.0 + 9
    else:
        top["interviewer_id"] = np.full(n, 1.0)
    return FormInput(np.arange(n), {None: top}, {None: {}})
