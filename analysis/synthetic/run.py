"""Run the whole synthetic survey: frame → sample → people → weights → answers → files.

Memory stays flat in the number of households: villages are processed in batches, twice.
The first pass draws only the people of each batch (who lives where, who was selected, who
responded) and keeps the few design columns the weights need; the weights are then computed
over the whole sample (nonresponse cells and raking need every respondent); the second pass
draws the same people again (same random streams) plus every answer, and appends each batch to
the output tables. Each batch has its own random streams derived from the seed and the batch
number (``numpy.random.SeedSequence``), so the output is byte-identical for a seed.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.synthetic import behaviour
from analysis.synthetic.answers import FillSettings, fill, to_answer_dicts
from analysis.synthetic.design import Sample, draw_sample, select_households
from analysis.synthetic.export import (
    Column,
    TableWriter,
    level_arrays,
    question_columns,
    top_items,
    write_dictionary,
    write_readme,
)
from analysis.synthetic.frame import Frame, build_frame, census_totals, household_totals
from analysis.synthetic.inputs import (
    FIELDWORK_START,
    FormInput,
    administrative_input,
    commune_input,
    household_input,
    individual_input,
    women_input,
)
from analysis.synthetic.paradata import FABRICATORS, fabricate
from analysis.synthetic.people import Households, make_households
from analysis.synthetic.rounds import round_models
from analysis.synthetic.weights import household_weights, individual_weights
from questionnaires import load_bundled
from questionnaires.errors import GesurveyError
from questionnaires.model import Questionnaire
from questionnaires.vectorised import Level

__all__ = ["SimulationError", "SimulationResult", "Simulator", "simulate"]

#: Villages per batch (10,000 households): each batch pays a fixed cost per question (skip logic,
#: constraints, an Arrow write per table), so larger batches cost less CPU per person, and
#: memory grows with the batch, not with the survey (≈300 MB at this size).
BATCH_VILLAGES = 500
# The real frame (≈2,600 villages) carries the plan's ≈180-cluster design; larger samples get
# a proportionally larger frame, keeping the sampling fractions realistic.
CLUSTERS_PER_FRAME = 250

SAMPLE_COLUMNS = [
    "hh_id",
    "stratum",
    "psu",
    "district",
    "commune",
    "village",
    "residence",
    "household_no",
    "a_h",
    "pi1",
    "listed",
    "pi2",
    "form",
    "contact",
    "consent",
    "responded",
    "eligible_household",
    "eligible_men",
    "eligible_women",
    "selected_line",
    "person_consent",
    "women_module",
]


class SimulationError(GesurveyError, RuntimeError):
    """A generated interview does not validate (a bug in the generator): names form and rows."""

    code = "simulation_invalid"


@dataclass
class SimulationResult:
    """What was generated: rows per table, the weights' calibration totals, and the frame."""

    households: int
    persons: int
    tables: dict[str, int] = field(default_factory=dict)
    calibration_total: float = 0.0
    directory: Path | None = None


@dataclass
class Interviews:
    """One batch's generated interviews: answer levels per form and the rows they belong to."""

    households: Households
    forms: dict[str, tuple[FormInput, dict[str | None, Level]]]


def _scale(households: int) -> int:
    clusters = max(1, math.ceil(households / 20))
    return max(1, math.ceil(clusters / CLUSTERS_PER_FRAME))


class Simulator:
    """Draw a synthetic survey of about ``households`` households from ``seed``."""

    def __init__(
        self,
        households: int,
        seed: int,
        batch_villages: int = BATCH_VILLAGES,
        forms: dict[str, Questionnaire] | None = None,
        step: int = 0,
        sample_seed: int | None = None,
        fieldwork_start: dt.date = FIELDWORK_START,
    ) -> None:
        if households < 20:
            raise SimulationError(
                "--households must be at least 20 (one village)",
                "--households phải ít nhất là 20 (một thôn)",
            )
        self.households = households
        self.seed = seed
        # Interviews fall within FIELDWORK_DAYS from here (rounds: autumn of their year).
        self.fieldwork_start = fieldwork_start
        # Rounds after the baseline carry the documented changes (analysis.synthetic.rounds).
        self.models = round_models(step)
        self.forms = forms or load_bundled()
        for needed in ("household", "individual", "women", "commune"):
            if needed not in self.forms:
                raise SimulationError(
                    f"the bundled questionnaire '{needed}' is missing",
                    f"thiếu phiếu '{needed}'",
                    where=needed,
                )
        self.frame: Frame = build_frame(_scale(households))
        self.sample: Sample = draw_sample(
            self.frame,
            households,
            np.random.default_rng(
                np.random.SeedSequence([seed if sample_seed is None else sample_seed, 0])
            ),
        )
        villages = self.sample.villages
        self.batches = [
            villages.iloc[i : i + batch_villages] for i in range(0, len(villages), batch_villages)
        ]
        self.settings = FillSettings(missing_rates=behaviour.missing_rates())
        self.totals = census_totals(self.frame)
        self._weights: dict[str, pd.DataFrame] | None = None

    # -- pass 1: people ------------------------------------------------------------------------

    def _streams(self, b: int) -> list[np.random.Generator]:
        return [
            np.random.default_rng(s) for s in np.random.SeedSequence([self.seed, 1, b]).spawn(3)
        ]

    def people(self, b: int) -> Households:
        """The households of batch ``b`` (identical every time it is asked for)."""
        select_rng, people_rng, _ = self._streams(b)
        sampled = select_households(self.batches[b], select_rng)
        sampled["hh_id"] = sampled["psu"] * 1000 + sampled["household_no"]
        return make_households(sampled, self.frame.districts, people_rng)

    def weights(self) -> dict[str, pd.DataFrame]:
        """Household and individual weights over the whole sample (computed once)."""
        if self._weights is not None:
            return self._weights
        parts = []
        for b in range(len(self.batches)):
            hh = self.people(b).hh
            parts.append(
                hh[
                    [
                        "hh_id",
                        "stratum",
                        "district",
                        "residence",
                        "pi1",
                        "pi2",
                        "responded",
                        "eligible_household",
                        "form",
                        "eligible",
                        "person_consent",
                        "person_age",
                    ]
                ]
            )
        sample = pd.concat(parts, ignore_index=True)
        hh_w = household_weights(sample, household_totals(self.frame))
        sample = sample.join(hh_w.drop(columns="weight_final"))
        persons = sample[sample["person_consent"] >= 0].copy()
        persons = persons.rename(
            columns={
                "form": "sex",
                "person_age": "age",
                "person_consent": "responded_person",
                "weight_base": "hh_weight_base",
                "weight_adjusted": "hh_weight_adjusted",
            }
        )
        persons["responded"] = persons["responded_person"]
        ind_w = individual_weights(persons, self.totals)
        ind_w.insert(0, "hh_id", persons["hh_id"].to_numpy())
        hh_w.insert(0, "hh_id", sample["hh_id"].to_numpy())
        self._weights = {
            "household": hh_w.set_index("hh_id"),
            "individual": ind_w.set_index("hh_id"),
        }
        return self._weights

    # -- pass 2: answers -----------------------------------------------------------------------

    def interviews(self, b: int, households: Households | None = None) -> Interviews:
        """Every form's answers for batch ``b``."""
        households = households or self.people(b)
        answer_rng = self._streams(b)[2]
        out: dict[str, tuple[FormInput, dict[str | None, Level]]] = {}
        plan: list[tuple[str, Callable[[], FormInput], dict[str, Any]]] = [
            (
                "household",
                lambda: household_input(households, self.fieldwork_start),
                self.models["household"],
            ),
            (
                "individual",
                lambda: individual_input(households, answer_rng, self.fieldwork_start),
                self.models["individual"],
            ),
            (
                "women",
                lambda: women_input(households, answer_rng, self.fieldwork_start),
                self.models["women"],
            ),
        ]
        for form_id, make_input, model in plan:
            form_input = make_input()
            levels = fill(
                self.forms[form_id],
                len(form_input.index),
                answer_rng,
                form_input.presets,
                model,
                form_input.covariates,
                self.settings,
            )
            fake = np.isin(form_input.presets[None]["interviewer_id"], list(FABRICATORS))
            fabricate(self.forms[form_id], levels[None].columns, fake)
            out[form_id] = (form_input, levels)
        return Interviews(households, out)

    def communes(self) -> tuple[pd.DataFrame, FormInput, dict[str | None, Level]]:
        """The commune forms: one per commune of the frame, weight 1.

        From version 1.1.0 the commune form is a census (the gender database wants every
        commune, and the report's commune tables are plain sums, as their notes say), so every
        commune answers it, sampled or not.
        """
        communes = self.frame.villages.drop_duplicates("commune").reset_index(drop=True)
        communes["weight_base"] = 1.0
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 2]))
        form_input = commune_input(communes, self.fieldwork_start)
        levels = fill(
            self.forms["commune"],
            len(communes),
            rng,
            form_input.presets,
            behaviour.COMMUNE,
            form_input.covariates,
            self.settings,
        )
        return communes, form_input, levels

    def iter_answer_dicts(self) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Every interview as ``(form id, answers, design fields)`` (for checks and the DB).

        The district and province census forms come last, with no design fields.

        Design fields: ``hh_id`` (households' forms), ``stratum``, ``psu`` and ``commune_type``
        (1 ward, 2 township, 3 rural commune).
        """
        for b in range(len(self.batches)):
            batch = self.interviews(b)
            hh = batch.households.hh
            for form_id, (form_input, levels) in batch.forms.items():
                answers = to_answer_dicts(self.forms[form_id], levels)
                rows = hh.iloc[form_input.index]
                for record, row in zip(answers, rows.itertuples(index=False), strict=True):
                    yield (
                        form_id,
                        record,
                        {
                            "hh_id": int(row.hh_id),
                            "stratum": int(row.stratum),
                            "psu": int(row.psu),
                            "commune_type": int(row.commune_type),
                            # where the interview took place, for forms that do not ask it
                            # (the women's record carries no commune or village from 1.1.0)
                            "commune": int(row.commune),
                            "village": int(row.village),
                        },
                    )
        communes, _, levels = self.communes()
        for record, row in zip(
            to_answer_dicts(self.forms["commune"], levels),
            communes.itertuples(index=False),
            strict=True,
        ):
            yield (
                "commune",
                record,
                {
                    "stratum": int(row.stratum),
                    "psu": int(row.commune),
                    "commune_type": int(row.commune_type),
                },
            )
        for form_id, (_table, admin_levels) in self.administrative().items():
            for record in to_answer_dicts(self.forms[form_id], admin_levels):
                yield form_id, record, {}

    def administrative(self) -> dict[str, tuple[pd.DataFrame, dict[str | None, Level]]]:
        """The district forms (one per district) and the province form, when the forms exist.

        They are censuses of administrative figures: no sample, no weights (weight 1).
        """
        out: dict[str, tuple[pd.DataFrame, dict[str | None, Level]]] = {}
        districts = np.sort(self.frame.villages["district"].unique())
        units = {
            "district": pd.DataFrame({"district": districts}),
            "province": pd.DataFrame({"district": [0]}),
        }
        for form_id, table in units.items():
            if form_id not in self.forms:
                continue
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3, len(out)]))
            form_input = administrative_input(table, form_id, self.fieldwork_start)
            levels = fill(
                self.forms[form_id],
                len(table),
                rng,
                form_input.presets,
                behaviour.ADMINISTRATIVE,
                form_input.covariates,
                self.settings,
            )
            out[form_id] = (table, levels)
        return out

    def check(self) -> int:
        """Validate every generated interview with the engine; return how many were checked."""
        checked = 0
        for form_id, answers, design in self.iter_answer_dicts():
            errors = self.forms[form_id].validate_answers(answers, lang="en")
            if errors:
                details = "; ".join(
                    f"{e.question_id} (row {e.row}): {e.message}" for e in errors[:5]
                )
                raise SimulationError(
                    f"{form_id} interview {design} does not validate: {details}",
                    f"phiếu {form_id} {design} không hợp lệ: {details}",
                    where=f"{form_id} {design}",
                )
            checked += 1
        return checked

    # -- files ---------------------------------------------------------------------------------

    def write(
        self, directory: Path, progress: Callable[[int, int], None] | None = None
    ) -> SimulationResult:
        """Write every table (CSV + Parquet), data_dictionary.csv and README.md."""
        directory.mkdir(parents=True, exist_ok=True)
        weights = self.weights()
        hh_w, ind_w = weights["household"], weights["individual"]
        forms = self.forms
        hh_cols = question_columns(top_items(forms["household"]))
        member_cols = question_columns(forms["household"].group("roster").items)
        ind_cols = question_columns(top_items(forms["individual"]))
        # the respondent's own births (D7_03) are asked only by individual form 1.0.0; from
        # 1.1.0 every woman's births come from the household form (hh_birth)
        own_births = "D7_03" in {g.id for g in forms["individual"].groups}
        birth_cols = (
            question_columns(forms["individual"].group("D7_03").items) if own_births else []
        )
        women_cols = question_columns(top_items(forms["women"]))
        commune_cols = question_columns(top_items(forms["commune"]))
        result = SimulationResult(households=0, persons=0, directory=directory)
        staging = Path(tempfile.mkdtemp(prefix=".simulate-", dir=directory))
        writer = TableWriter(staging)
        try:
            for b in range(len(self.batches)):
                batch = self.interviews(b)
                hh = batch.households.hh
                result.households += len(hh)
                result.persons += len(batch.households.members)
                self._write_batch(
                    writer,
                    batch,
                    hh_w,
                    ind_w,
                    hh_cols,
                    member_cols,
                    ind_cols,
                    birth_cols,
                    women_cols,
                )
                if progress is not None:
                    progress(b + 1, len(self.batches))
            communes, _, levels = self.communes()
            weight = communes["weight_base"].to_numpy(float)
            design = {
                "stratum": pa.array(communes["stratum"].to_numpy(np.int64)),
                "psu": pa.array(communes["commune"].to_numpy(np.int64)),
                "weight_base": pa.array(weight),
                "weight_adjusted": pa.array(weight),
                "weight_final": pa.array(weight),
            }
            writer.write("commune", _join(design, level_arrays(levels[None], commune_cols)))
            for form_id, (table, admin_levels) in self.administrative().items():
                ones = pa.array(np.ones(len(table)))
                admin_design = {"weight_final": ones}
                columns = question_columns(top_items(forms[form_id]))
                writer.write(
                    form_id, _join(admin_design, level_arrays(admin_levels[None], columns))
                )
        finally:
            writer.close()
        for path in staging.iterdir():
            path.replace(directory / path.name)
        shutil.rmtree(staging, ignore_errors=True)
        result.tables = dict(writer.rows)
        result.calibration_total = float(self.totals["total"].sum())
        weights_design = ["stratum", "psu", "weight_base", "weight_adjusted", "weight_final"]
        write_dictionary(
            directory / "data_dictionary.csv",
            [
                ("sample", SAMPLE_COLUMNS + ["weight_base", "weight_adjusted"], []),
                ("household", ["hh_id"] + weights_design, hh_cols),
                (
                    "member",
                    ["hh_id", "line"] + weights_design + ["district", "residence"],
                    member_cols,
                ),
                ("individual", ["hh_id"] + weights_design, ind_cols),
                *(
                    [("birth", ["hh_id", "birth_no"] + weights_design, birth_cols)]
                    if own_births
                    else []
                ),
                *(
                    [
                        (
                            "hh_birth",
                            ["hh_id", "birth_no"] + weights_design + ["district", "residence"],
                            question_columns(forms["household"].group("hh_births").items),
                        )
                    ]
                    if "hh_births" in {g.id for g in forms["household"].groups}
                    else []
                ),
                ("women", ["hh_id"] + weights_design, women_cols),
                ("commune", weights_design, commune_cols),
                *[
                    (form_id, ["weight_final"], question_columns(top_items(forms[form_id])))
                    for form_id in ("district", "province")
                    if form_id in forms
                ],
            ],
        )
        units = {
            "sample": ("selected household / hộ được chọn", "base (household)"),
            "household": ("household / hộ", "calibrated (district × residence)"),
            "member": ("household member / thành viên hộ", "household's"),
            "individual": ("man or woman 18–64 / nam hoặc nữ 18–64", "raked"),
            "birth": ("birth in 24 months / lần sinh 24 tháng", "mother's"),
            "hh_birth": (
                "birth in 24 months to any woman 15–49 / lần sinh 24 tháng của mọi phụ nữ 15–49",
                "household's",
            ),
            "women": ("woman, module W / phụ nữ, mô-đun W", "respondent's"),
            "commune": ("commune (census) / xã (tổng điều tra)", "1"),
            "district": ("district (census) / huyện (tổng điều tra)", "1"),
            "province": ("province (census) / tỉnh (tổng điều tra)", "1"),
        }
        write_readme(
            directory / "README.md",
            self.households,
            self.seed,
            [
                (name, units[name][0], result.tables.get(name, 0), units[name][1])
                for name in units
                if name != "birth" or own_births
            ],
        )
        return result

    def _write_batch(
        self,
        writer: TableWriter,
        batch: Interviews,
        hh_w: pd.DataFrame,
        ind_w: pd.DataFrame,
        hh_cols: list[Column],
        member_cols: list[Column],
        ind_cols: list[Column],
        birth_cols: list[Column],
        women_cols: list[Column],
    ) -> None:
        hh = batch.households.hh
        hw = hh_w.loc[hh["hh_id"]]
        sample = {name: pa.array(hh[name].to_numpy()) for name in SAMPLE_COLUMNS}
        sample["weight_base"] = pa.array(hw["weight_base"].to_numpy(float))
        sample["weight_adjusted"] = pa.array(hw["weight_adjusted"].to_numpy(float))
        writer.write("sample", sample)

        _, levels = batch.forms["household"]
        responded = np.flatnonzero(hh["responded"].to_numpy() == 1)
        design = _design(hh.iloc[responded], hw.iloc[responded], final="weight_final")
        writer.write("household", _join(design, level_arrays(levels[None], hh_cols, responded)))
        roster = levels["roster"]
        parent = roster.parent
        assert parent is not None
        member_design = _design(hh.iloc[parent], hw.iloc[parent], final="weight_final")
        member_design = {
            "hh_id": member_design.pop("hh_id"),
            "line": pa.array(_row_numbers(parent) + 1),
            **member_design,
        }
        # District and residence are household answers; repeated here so that member tables
        # can be tabulated by them without a join.
        member_design["district"] = pa.array(hh["district"].to_numpy(np.int64)[parent])
        member_design["residence"] = pa.array(hh["residence"].to_numpy(np.int64)[parent])
        writer.write("member", _join(member_design, level_arrays(roster, member_cols)))
        if "hh_births" in levels:
            # Births of every woman 15–49 in the household (form 1.1.0): household weight.
            hh_births = levels["hh_births"]
            owners = hh_births.parent
            assert owners is not None  # a repeat level always knows its rows' parents
            birth_design = _design(hh.iloc[owners], hw.iloc[owners], final="weight_final")
            birth_design = {
                "hh_id": birth_design.pop("hh_id"),
                "birth_no": pa.array(_row_numbers(owners) + 1),
                **birth_design,
            }
            birth_design["district"] = pa.array(hh["district"].to_numpy(np.int64)[owners])
            birth_design["residence"] = pa.array(hh["residence"].to_numpy(np.int64)[owners])
            items = self.forms["household"].group("hh_births").items
            writer.write(
                "hh_birth", _join(birth_design, level_arrays(hh_births, question_columns(items)))
            )

        form_input, levels = batch.forms["individual"]
        consent = levels[None].columns["consent"] == 1
        rows = np.flatnonzero(consent)
        people = hh.iloc[form_input.index[rows]]
        iw = ind_w.loc[people["hh_id"]]
        writer.write(
            "individual", _join(_design(people, iw), level_arrays(levels[None], ind_cols, rows))
        )
        if "D7_03" in levels:
            births = levels["D7_03"]
            mothers = hh.iloc[form_input.index[births.parent]]
            birth_design = _design(mothers, ind_w.loc[mothers["hh_id"]])
            birth_design = {
                "hh_id": birth_design.pop("hh_id"),
                "birth_no": pa.array(_row_numbers(_parents(births)) + 1),
                **birth_design,
            }
            writer.write("birth", _join(birth_design, level_arrays(births, birth_cols)))

        form_input, levels = batch.forms["women"]
        women = hh.iloc[form_input.index]
        writer.write(
            "women",
            _join(
                _design(women, ind_w.loc[women["hh_id"]]), level_arrays(levels[None], women_cols)
            ),
        )


def _parents(level: Level) -> np.ndarray:
    """The parent-row index of a repeat level."""
    assert level.parent is not None
    return level.parent


def _row_numbers(parent: np.ndarray) -> np.ndarray:
    if len(parent) == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(parent)) + 1]
    lengths = np.diff(np.r_[starts, len(parent)])
    return np.asarray((np.arange(len(parent)) - np.repeat(starts, lengths)).astype(np.int64))


def _design(
    hh: pd.DataFrame, weights: pd.DataFrame, final: str = "weight_final"
) -> dict[str, pa.Array]:
    return {
        "hh_id": pa.array(hh["hh_id"].to_numpy(np.int64)),
        "stratum": pa.array(hh["stratum"].to_numpy(np.int64)),
        "psu": pa.array(hh["psu"].to_numpy(np.int64)),
        "weight_base": pa.array(weights["weight_base"].to_numpy(float)),
        "weight_adjusted": pa.array(weights["weight_adjusted"].to_numpy(float)),
        "weight_final": pa.array(weights[final].to_numpy(float)),
    }


def _join(design: dict[str, pa.Array], answers: dict[str, pa.Array]) -> dict[str, pa.Array]:
    out = dict(design)
    out.update({name: array for name, array in answers.items() if name not in design})
    return out


def simulate(
    households: int, seed: int, out: Path, *, progress: Callable[[int, int], None] | None = None
) -> SimulationResult:
    """Generate the survey and write it to ``out`` (see :class:`Simulator`)."""
    return Simulator(households, seed).write(Path(out), progress)
