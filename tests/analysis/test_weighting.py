"""Weighting: base weights, nonresponse cells, post-stratification, raking, trimming.

Behaviour and invariants; the agreement with R's survey package is in
test_weighting_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from analysis import estimators, weighting
from analysis.design import SurveyDesign
from analysis.errors import AnalysisError
from analysis.weighting import (
    PostStratification,
    Raking,
    WeightingError,
    WeightingWarning,
    base_weights,
    calibrate_weights,
    calibrated_psu_totals,
    nonresponse_adjust,
    poststratify,
    poststratify_weights,
    pps_probability,
    rake,
    rake_weights,
    trim,
    trim_weights,
)


@pytest.fixture
def people() -> pd.DataFrame:
    """40 people in 8 PSUs of 2 strata, with sex, urban and a 0/1 outcome."""
    rng = np.random.default_rng(20)
    n = 40
    return pd.DataFrame(
        {
            "stratum": np.repeat(["A", "B"], n // 2),
            "psu": np.repeat(np.arange(8), n // 8),
            "sex": np.tile(["F", "M"], n // 2),
            "urban": np.where(np.arange(n) % 5 == 0, "urban", "rural"),
            "y": rng.integers(0, 2, n).astype(float),
            "weight": rng.uniform(50, 150, n),
        },
        index=pd.RangeIndex(100, 100 + n),
    )


SEX_TOTALS = {"F": 2100.0, "M": 1900.0}
SEX_URBAN_TOTALS = {
    ("F", "rural"): 1700.0,
    ("F", "urban"): 400.0,
    ("M", "rural"): 1500.0,
    ("M", "urban"): 400.0,
}


def cell_sums(w: np.ndarray, data: pd.DataFrame, by: list[str]) -> dict:
    return pd.Series(w, index=data.index).groupby([data[c] for c in by]).sum().to_dict()


# ---------------------------------------------------------------------------------------------
# base weights


def test_base_weight_is_the_inverse_product_of_stage_probabilities() -> None:
    pi1 = pps_probability(2, np.array([120, 80]), 1000)
    np.testing.assert_allclose(pi1, [0.24, 0.16])
    w = base_weights(pi1, 20 / np.array([100, 50]), 1 / np.array([2, 1]), 0.5)
    np.testing.assert_allclose(w, [1 / (0.24 * 0.2 * 0.5 * 0.5), 1 / (0.16 * 0.4 * 1 * 0.5)])


@pytest.mark.parametrize("bad", [0.0, 1.5, np.nan, -0.2])
def test_base_weights_refuse_probabilities_outside_0_1(bad: float) -> None:
    with pytest.raises(WeightingError, match=r"stage 2 .*\(0, 1\]; positions 1") as info:
        base_weights([0.5, 0.5], [0.2, bad])
    assert "giai đoạn 2" in info.value.message("vi")
    assert isinstance(info.value, AnalysisError)


def test_pps_probability_above_one_points_to_certainty_units() -> None:
    with pytest.raises(WeightingError, match="certainty"):
        pps_probability(3, [100, 600], 1000)


def test_base_weights_need_a_stage() -> None:
    with pytest.raises(WeightingError, match="at least one"):
        base_weights()


# ---------------------------------------------------------------------------------------------
# nonresponse


def test_nonresponse_adjustment_keeps_cell_totals_and_zeroes_nonrespondents(
    people: pd.DataFrame,
) -> None:
    responded = people["psu"].to_numpy() % 3 != 0
    w = nonresponse_adjust(people["weight"], people, ["stratum", "sex"], responded)
    assert (w[~responded] == 0).all()
    assert cell_sums(w, people, ["stratum", "sex"]) == pytest.approx(
        cell_sums(people["weight"].to_numpy(), people, ["stratum", "sex"]), rel=1e-12
    )


def test_nonresponse_by_counts_uses_eligible_over_responding(people: pd.DataFrame) -> None:
    responded = np.ones(len(people), bool)
    responded[[0, 2]] = False  # two of the 10 stratum-A women
    w = nonresponse_adjust(people["weight"], people, ["stratum", "sex"], responded, weighted=False)
    a_women = ((people["stratum"] == "A") & (people["sex"] == "F")).to_numpy()
    expected = people["weight"].to_numpy() * np.where(a_women, 10 / 8, 1.0)
    expected[~responded] = 0
    np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_ineligible_units_keep_their_weight_and_stay_out_of_the_factor(
    people: pd.DataFrame,
) -> None:
    data = people.assign(
        eligible=(people["psu"] != 1).astype(int), responded=(people["psu"] != 2).astype(int)
    )
    w = nonresponse_adjust(data["weight"], data, "stratum", "responded", eligible="eligible")
    base = data["weight"].to_numpy()
    ineligible = data["eligible"].to_numpy() == 0
    np.testing.assert_array_equal(w[ineligible], base[ineligible])
    eligible_a = ~ineligible & (data["stratum"] == "A").to_numpy()
    assert w[eligible_a].sum() == pytest.approx(base[eligible_a].sum(), rel=1e-12)


def test_nonresponse_cell_without_respondents_is_named(people: pd.DataFrame) -> None:
    responded = ~((people["stratum"] == "B") & (people["sex"] == "M")).to_numpy()
    with pytest.raises(WeightingError, match="stratum=B, sex=M has eligible units but no") as info:
        nonresponse_adjust(people["weight"], people, ["stratum", "sex"], responded)
    assert info.value.rows[0] == 121  # DataFrame index labels, not positions
    assert "gộp với ô bên cạnh" in info.value.message("vi")


def test_nonresponse_factor_cap(people: pd.DataFrame) -> None:
    responded = np.ones(len(people), bool)
    responded[:16] = False
    with pytest.raises(WeightingError, match="above max_factor 2"):
        nonresponse_adjust(people["weight"], people, "stratum", responded, max_factor=2)


def test_nonresponse_flags_must_be_0_1(people: pd.DataFrame) -> None:
    data = people.assign(responded=np.where(people["psu"] == 3, 2, 1))
    with pytest.raises(WeightingError, match="'responded' must be 0/1.*rows 115"):
        nonresponse_adjust(data["weight"], data, "stratum", "responded")


# ---------------------------------------------------------------------------------------------
# post-stratification


def test_poststratified_weights_hit_the_cell_totals(people: pd.DataFrame) -> None:
    w = poststratify_weights(people["weight"], people, ["sex", "urban"], SEX_URBAN_TOTALS)
    assert cell_sums(w, people, ["sex", "urban"]) == pytest.approx(SEX_URBAN_TOTALS, rel=1e-12)
    ratio = pd.Series(w / people["weight"].to_numpy(), index=people.index)
    spread = ratio.groupby([people["sex"], people["urban"]]).agg(np.ptp)
    assert (spread < 1e-12 * ratio.max()).all()  # one factor per cell


def test_totals_as_mapping_series_or_frame_agree(people: pd.DataFrame) -> None:
    as_series = pd.Series(SEX_URBAN_TOTALS)
    as_frame = pd.DataFrame(
        [(s, u, f) for (s, u), f in SEX_URBAN_TOTALS.items()], columns=["sex", "urban", "Freq"]
    )
    expected = poststratify_weights(people["weight"], people, ["sex", "urban"], SEX_URBAN_TOTALS)
    for totals in (as_series, as_frame):
        got = poststratify_weights(people["weight"], people, ["sex", "urban"], totals)
        np.testing.assert_array_equal(got, expected)


def test_levels_match_by_text(people: pd.DataFrame) -> None:
    data = people.assign(district=np.where(people["stratum"] == "A", 178, 180))
    w = poststratify_weights(data["weight"], data, "district", {"178": 900, 180.0: 1100})
    assert cell_sums(w, data, ["district"]) == pytest.approx({178: 900, 180: 1100})


def test_equal_weights_poststratify_to_total_over_count(people: pd.DataFrame) -> None:
    w = poststratify_weights(np.ones(len(people)), people, "sex", SEX_TOTALS)
    expected = np.where(people["sex"] == "F", 2100 / 20, 1900 / 20)
    np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_sample_cell_without_total_is_an_error(people: pd.DataFrame) -> None:
    totals = {k: v for k, v in SEX_URBAN_TOTALS.items() if k != ("M", "urban")}
    with pytest.raises(WeightingError, match="sex=M, urban=urban has 4 sample rows") as info:
        poststratify_weights(people["weight"], people, ["sex", "urban"], totals)
    assert info.value.column == "sex, urban"
    assert "không có tổng tổng thể" in info.value.message("vi")


def test_sample_cell_with_zero_total_is_an_error(people: pd.DataFrame) -> None:
    totals = dict(SEX_URBAN_TOTALS) | {("M", "urban"): 0}
    with pytest.raises(WeightingError, match="a population total of 0"):
        poststratify_weights(people["weight"], people, ["sex", "urban"], totals)


def test_population_cell_without_sample_needs_partial(people: pd.DataFrame) -> None:
    totals = {"F": 2000, "M": 1800, "X": 200}
    with pytest.raises(WeightingError, match="sex=X has a population total of 200 but no rows"):
        poststratify_weights(people["weight"], people, "sex", totals)
    w = poststratify_weights(people["weight"], people, "sex", totals, partial=True)
    assert w.sum() == pytest.approx(3800)


def test_cell_of_nonrespondents_only_cannot_be_poststratified(people: pd.DataFrame) -> None:
    w = people["weight"].to_numpy().copy()
    w[(people["sex"] == "M").to_numpy()] = 0
    with pytest.raises(WeightingError, match="sex=M has a population total of 1,900 but no"):
        poststratify_weights(w, people, "sex", SEX_TOTALS)


@pytest.mark.parametrize(
    ("totals", "message"),
    [
        ({"F": 2100, "M": -5}, "must be a number >= 0"),
        ({"F": 2100, "M": "many"}, "must be a number >= 0"),
        ({("F", "x"): 2100, "M": 1900}, "must name 1 level"),
        (pd.DataFrame({"sex": ["F", "M"]}), "one column of totals"),
        (pd.DataFrame({"sex": ["F", "F"], "N": [1, 2]}), "give sex=F twice"),
        ([("F", 1)], "mapping, a pandas Series or a DataFrame"),
    ],
)
def test_bad_totals_are_explained(people: pd.DataFrame, totals: object, message: str) -> None:
    with pytest.raises(WeightingError, match=message):
        poststratify_weights(people["weight"], people, "sex", totals)  # type: ignore[arg-type]


def test_unknown_or_missing_cell_columns_are_named(people: pd.DataFrame) -> None:
    with pytest.raises(WeightingError, match="column 'gender' is not in the data"):
        poststratify_weights(people["weight"], people, "gender", SEX_TOTALS)
    data = people.assign(sex=people["sex"].where(people.index != 107))
    with pytest.raises(WeightingError, match="'sex' is missing in rows 107"):
        poststratify_weights(data["weight"], data, "sex", SEX_TOTALS)


def test_negative_weights_are_refused(people: pd.DataFrame) -> None:
    w = people["weight"].to_numpy().copy()
    w[3] = -1
    with pytest.raises(WeightingError, match="finite and >= 0; positions 3"):
        poststratify_weights(w, people, "sex", SEX_TOTALS)


# ---------------------------------------------------------------------------------------------
# raking


def test_raking_meets_every_margin(people: pd.DataFrame) -> None:
    urban = {"rural": 3200.0, "urban": 800.0}
    result = rake_weights(people["weight"], people, {"sex": SEX_TOTALS, "urban": urban})
    assert result.converged and result.iterations >= 2
    assert cell_sums(result.weights, people, ["sex"]) == pytest.approx(SEX_TOTALS, rel=1e-9)
    assert cell_sums(result.weights, people, ["urban"]) == pytest.approx(urban, rel=1e-9)
    assert result.max_change < result.tolerance


def test_raking_on_one_margin_is_poststratification(people: pd.DataFrame) -> None:
    raked = rake_weights(people["weight"], people, [("sex", SEX_TOTALS)]).weights
    post = poststratify_weights(people["weight"], people, "sex", SEX_TOTALS)
    np.testing.assert_allclose(raked, post, rtol=1e-14)


def test_raking_does_not_depend_on_row_order(people: pd.DataFrame) -> None:
    margins = {"sex": SEX_TOTALS, "urban": {"rural": 3200.0, "urban": 800.0}}
    w = rake_weights(people["weight"], people, margins).weights
    shuffled = people.sample(frac=1, random_state=3)
    w2 = rake_weights(shuffled["weight"], shuffled, margins).weights
    np.testing.assert_allclose(pd.Series(w2, index=shuffled.index)[people.index], w, rtol=1e-12)


def test_margins_with_different_populations_are_refused(people: pd.DataFrame) -> None:
    with pytest.raises(WeightingError, match="'sex' totals 4,000 but 'urban' totals 4,001") as e:
        rake_weights(
            people["weight"], people, {"sex": SEX_TOTALS, "urban": {"rural": 3200, "urban": 801}}
        )
    assert "4.000" in e.value.message("vi")


def test_raking_that_cannot_converge_raises_or_warns(people: pd.DataFrame) -> None:
    margins = {"sex": SEX_TOTALS, "urban": {"rural": 3200.0, "urban": 800.0}}
    with pytest.raises(WeightingError, match="did not converge after 1 passes"):
        rake_weights(people["weight"], people, margins, max_iter=1, epsilon=1e-14)
    with pytest.warns(WeightingWarning, match="không hội tụ"):
        result = rake_weights(
            people["weight"], people, margins, max_iter=1, epsilon=1e-14, on_nonconvergence="warn"
        )
    assert not result.converged and result.iterations == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_iter": 0}, "max_iter must be"),
        ({"epsilon": 0}, "epsilon must be positive"),
        ({"on_nonconvergence": "ignore"}, "on_nonconvergence must be"),
    ],
)
def test_raking_control_is_checked(people: pd.DataFrame, options: dict, message: str) -> None:
    with pytest.raises(WeightingError, match=message):
        rake_weights(people["weight"], people, {"sex": SEX_TOTALS}, **options)


def test_raking_margin_error_names_the_margin(people: pd.DataFrame) -> None:
    with pytest.raises(WeightingError, match="raking margin 'urban', cell urban=urban has"):
        rake_weights(people["weight"], people, {"sex": SEX_TOTALS, "urban": {"rural": 4000.0}})


# ---------------------------------------------------------------------------------------------
# trimming


def test_trimming_caps_and_keeps_the_sum() -> None:
    w = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    t = trim_weights(w, upper=8)
    np.testing.assert_allclose(t, [1 + 14 / 3, 2 + 14 / 3, 3 + 14 / 3, 8, 8])
    assert t.sum() == pytest.approx(w.sum())


def test_strict_trimming_repeats_until_inside() -> None:
    w = np.array([1.0, 1.0, 1.0, 7.0, 30.0])
    loose = trim_weights(w, upper=10)
    assert loose.max() > 10  # 7 + 20/4 = 12 after spreading
    strict = trim_weights(w, upper=10, strict=True)
    assert strict.max() <= 10 and strict.sum() == pytest.approx(w.sum())
    with pytest.raises(WeightingError, match="impossible"):
        trim_weights(np.array([1.0, 7.0, 30.0]), upper=10, strict=True)


def test_lower_bound_and_no_op() -> None:
    w = np.array([0.5, 5.0, 5.5])
    t = trim_weights(w, lower=1)
    assert t.min() == 1 and t.sum() == pytest.approx(w.sum())
    np.testing.assert_array_equal(trim_weights(w, upper=100), w)


def test_impossible_trimming_is_refused() -> None:
    with pytest.raises(WeightingError, match="lower < upper"):
        trim_weights(np.ones(3), upper=1, lower=2)
    with pytest.raises(WeightingError, match="every weight is outside"):
        trim_weights(np.array([5.0, 6.0]), upper=2)


# ---------------------------------------------------------------------------------------------
# calibrated designs


@pytest.fixture
def design(people: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(people, weight="weight", strata="stratum", psu="psu")


def test_poststratified_totals_of_the_cells_have_no_variance(design: SurveyDesign) -> None:
    calibrated = poststratify(design, ["sex", "urban"], SEX_URBAN_TOTALS)
    female = (calibrated.data["sex"] == "F").to_numpy(dtype=float)
    v = calibrated.total_variance(calibrated.weights * female)
    assert abs(v[0, 0]) < 1e-18 * 2100**2 * 1e6
    assert design.total_variance(design.weights * female)[0, 0] > 1.0


def test_raked_margin_totals_have_almost_no_variance(design: SurveyDesign) -> None:
    urban = {"rural": 3200.0, "urban": 800.0}
    calibrated = rake(design, {"sex": SEX_TOTALS, "urban": urban})
    is_urban = (calibrated.data["urban"] == "urban").to_numpy(dtype=float)
    raw = design.total_variance(design.weights * is_urban)[0, 0]
    cal = calibrated.total_variance(calibrated.weights * is_urban)[0, 0]
    assert cal < 1e-8 * raw


def test_calibrated_design_is_new_and_remembers_its_steps(design: SurveyDesign) -> None:
    post = poststratify(design, "sex", SEX_TOTALS)
    raked = rake(post, {"urban": {"rural": 3200.0, "urban": 800.0}})
    trimmed = trim(raked, upper=float(np.median(raked.weights)) * 1.2)
    assert design.calibration == () and design.sum_weights == pytest.approx(design.weights.sum())
    assert isinstance(post.calibration[0], PostStratification)
    assert [type(c) for c in raked.calibration] == [PostStratification, Raking]
    assert trimmed.calibration == raked.calibration
    assert raked.calibration[-1].converged
    assert "Raking(margins=[['urban']]" in repr(raked.calibration[-1])


def test_calibrated_estimates_do_not_depend_on_row_order(design: SurveyDesign) -> None:
    calibrated = rake(design, {"sex": SEX_TOTALS, "urban": {"rural": 3200.0, "urban": 800.0}})
    shuffled_data = design.data.sample(frac=1, random_state=5)
    shuffled = rake(
        SurveyDesign(shuffled_data, weight="weight", strata="stratum", psu="psu"),
        {"sex": SEX_TOTALS, "urban": {"rural": 3200.0, "urban": 800.0}},
    )
    a = estimators.mean(calibrated, "y", by="sex")
    b = estimators.mean(shuffled, "y", by="sex")
    for x, y in zip(a, b, strict=True):
        assert x.estimate == pytest.approx(y.estimate, rel=1e-12)
        assert x.std_error == pytest.approx(y.std_error, rel=1e-9)


def test_projection_accepts_one_dimensional_scores(design: SurveyDesign) -> None:
    calibrated = poststratify(design, "sex", SEX_TOTALS)
    step = calibrated.calibration[0]
    scores = calibrated.weights * calibrated.data["y"].to_numpy()
    np.testing.assert_allclose(step.project(scores), step.project(scores[:, None])[:, 0])


def _domain_scores(design: SurveyDesign) -> sparse.csr_matrix:
    """Sparse n×2 scores: the weighted outcome for women and for men, zero elsewhere."""
    y = design.weights * design.data["y"].to_numpy()
    column = (design.data["sex"] == "M").to_numpy().astype(int)
    n = design.n
    return sparse.csr_matrix((y, (np.arange(n), column)), shape=(n, 2))


@pytest.mark.parametrize("chain", ["post", "rake", "post+rake+trim+rake"])
def test_calibrated_psu_totals_equal_the_projected_scores(design: SurveyDesign, chain: str) -> None:
    urban = {"rural": 3200.0, "urban": 800.0}
    if chain == "post":
        calibrated = poststratify(design, ["sex", "urban"], SEX_URBAN_TOTALS)
    elif chain == "rake":
        calibrated = rake(design, {"sex": SEX_TOTALS, "urban": urban})
    else:
        first = rake(poststratify(design, "sex", SEX_TOTALS), {"urban": urban})
        trimmed = trim(first, upper=1.3 * float(np.median(first.weights)))
        calibrated = rake(trimmed, {"sex": SEX_TOTALS, "urban": urban})
    x = _domain_scores(calibrated)
    expected = calibrated.psu_totals(x.toarray())
    np.testing.assert_allclose(calibrated_psu_totals(calibrated, x), expected, atol=1e-9)
    np.testing.assert_allclose(calibrated_psu_totals(calibrated, x.toarray()), expected, atol=1e-9)


def test_calibrated_psu_totals_without_calibration_are_plain_sums(design: SurveyDesign) -> None:
    x = _domain_scores(design)
    np.testing.assert_allclose(
        calibrated_psu_totals(design, x), design.psu_totals(x.toarray()), rtol=1e-13
    )


# ---------------------------------------------------------------------------------------------
# the whole calibration step (DOMAIN_BRIEF §4)


@pytest.fixture
def census(people: pd.DataFrame) -> pd.DataFrame:
    """Population of every stratum × sex cell (the 'census' the survey is calibrated to)."""
    return pd.DataFrame(
        {
            "stratum": ["A", "A", "B", "B"],
            "sex": ["F", "M", "F", "M"],
            "population": [1000.0, 900.0, 1100.0, 1000.0],
        }
    )


def test_dense_cells_are_poststratified_then_trimmed_and_reraked(
    people: pd.DataFrame, census: pd.DataFrame
) -> None:
    w = people["weight"].to_numpy().copy()
    w[5] = 2000.0  # one wild weight for trimming to catch
    result = calibrate_weights(w, people, ["stratum", "sex"], census, min_cell_size=5)
    assert result.method == "cells" and result.sparse_cells == ()
    np.testing.assert_allclose(
        result.calibrated,
        poststratify_weights(w, people, ["stratum", "sex"], census),
        rtol=1e-12,
    )
    assert result.n_trimmed == 1
    assert result.trim_cap == pytest.approx(3.5 * np.median(result.calibrated))
    cells = zip(census["stratum"], census["sex"], strict=True)
    expected = dict(zip(cells, census["population"], strict=True))
    assert cell_sums(result.weights, people, ["stratum", "sex"]) == pytest.approx(expected)
    assert result.weights[5] < result.calibrated[5]


def test_sparse_cells_fall_back_to_margins(people: pd.DataFrame, census: pd.DataFrame) -> None:
    result = calibrate_weights(
        people["weight"], people, ["stratum", "sex"], census, min_cell_size=11
    )
    assert result.method == "margins"
    assert len(result.sparse_cells) == 4  # every cell has 10 people
    assert result.margins == (("stratum",), ("sex",))
    assert cell_sums(result.weights, people, ["stratum"]) == pytest.approx({"A": 1900, "B": 2100})
    assert cell_sums(result.weights, people, ["sex"]) == pytest.approx({"F": 2100, "M": 1900})


def test_sparse_cell_of_respondents_falls_back_and_keeps_zero_weights(
    people: pd.DataFrame, census: pd.DataFrame
) -> None:
    w = people["weight"].to_numpy().copy()
    w[121 - 100] = 0.0  # a B man who did not respond: his cell has 9 respondents
    result = calibrate_weights(w, people, ["stratum", "sex"], census, min_cell_size=10)
    assert result.method == "margins" and result.sparse_cells == (("B", "M"),)
    assert result.weights[21] == 0 and result.calibrated[21] == 0
    assert result.weights.sum() == pytest.approx(4000)


def test_margins_that_an_empty_cell_makes_unreachable_do_not_converge(
    people: pd.DataFrame, census: pd.DataFrame
) -> None:
    w = people["weight"].to_numpy().copy()
    w[((people["stratum"] == "B") & (people["sex"] == "M")).to_numpy()] = 0.0
    # Stratum B's 2,100 must all be women, leaving none for stratum A's women: impossible.
    with pytest.raises(WeightingError, match="margins that conflict"):
        calibrate_weights(w, people, ["stratum", "sex"], census, max_iter=20)


def test_calibration_without_trimming_and_bad_fallback(
    people: pd.DataFrame, census: pd.DataFrame
) -> None:
    result = calibrate_weights(
        people["weight"], people, ["stratum", "sex"], census, min_cell_size=5, trim_factor=None
    )
    np.testing.assert_array_equal(result.weights, result.calibrated)
    assert result.n_trimmed == 0
    with pytest.raises(WeightingError, match="fallback margin column"):
        calibrate_weights(
            people["weight"],
            people,
            ["stratum", "sex"],
            census,
            min_cell_size=50,
            fallback_margins=["urban"],
        )


def test_trimming_leaves_zero_weights_alone() -> None:
    w = np.array([0.0, 1.0, 2.0, 3.0, 30.0])
    t = trim_weights(w, upper=10)
    assert t[0] == 0 and t.sum() == pytest.approx(w.sum()) and t[4] == 10


def test_raking_projection_with_many_levels_sweeps_directly(
    design: SurveyDesign, monkeypatch: pytest.MonkeyPatch
) -> None:
    margins = {"sex": SEX_TOTALS, "urban": {"rural": 3200.0, "urban": 800.0}}
    x = _domain_scores(design).toarray()
    with_matrix = rake(design, margins)
    monkeypatch.setattr(weighting.linear, "_SWEEP_MATRIX_MAX", 1)
    direct = rake(design, margins)
    assert direct.calibration[0]._sweep_matrix is None
    np.testing.assert_allclose(
        direct.calibration[0].project(x), with_matrix.calibration[0].project(x), atol=1e-9
    )
