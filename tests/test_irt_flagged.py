"""Items the data cannot estimate (near-separated, constant) are held and
flagged; unidentified fits are refused; size arguments are bounded."""

import warnings

import numpy as np
import pytest
from precipice import irt
from scipy import special


def leaderboard(n=300, J=120, seed=0, missing=0.05):
    """2PL responses as a leaderboard gives them, plus one item answered right
    by every subject except the weakest (a near-separated item, column J)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = rng.lognormal(0.0, 0.3, J)
    d = -a * rng.normal(0.0, 1.0, J)
    y = (rng.random((n, J)) < special.expit(theta[:, None] * a + d)).astype(float)
    y[rng.random((n, J)) < missing] = np.nan
    separated = np.ones((n, 1))
    separated[np.argmin(theta)] = 0.0
    y = np.hstack([y, separated])
    y[np.argmin(theta), :J] = np.where(np.isnan(y[np.argmin(theta), :J]), np.nan, 0.0)  # clearly the weakest
    return y, a, d


def fit_quietly(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = irt.fit(*args, **kwargs)
    return res, [str(w.message) for w in caught]


def test_near_separated_item_is_held_at_its_bound_and_the_rest_converges():
    y, a, d = leaderboard()
    J = a.size
    res, messages = fit_quietly(y, n_threads=1)
    assert list(res.flagged) == [J] and "near-separated" in res.flagged[J]
    assert len(messages) == 1 and f"{J} (slope)" in messages[0] and "prior='weak'" in messages[0]
    assert res.converged
    assert res.a[J] == irt.SLOPE_BOUND and np.isfinite(res.d[J])
    # The held item's curve still puts the step below every subject but one.
    assert -res.d[J] / res.a[J] < -1.5
    assert np.isnan(res.se_a[J]) and np.isnan(res.se_d[J])
    assert np.isfinite(res.se_a[:J]).all() and np.isfinite(res.se_d[:J]).all()
    # The other items are estimated as they would be without the item.
    alone = irt.fit(y[:, :J], n_threads=1)
    np.testing.assert_allclose(res.d[:J], alone.d, atol=0.05)
    np.testing.assert_allclose(res.a[:J], alone.a, atol=0.05)
    assert np.corrcoef(res.d[:J], d)[0, 1] > 0.95
    # Item-block standard errors leave it out the same way.
    assert res.se_method == "observed, item blocks" or np.isnan(res.item_cov[J]).all()


def test_held_items_leave_the_full_information_alone(monkeypatch):
    y, _, _ = leaderboard(n=200, J=20)
    full, _ = fit_quietly(y, n_threads=1)
    assert full.se_method == "observed"
    monkeypatch.setattr(irt._information, "_FULL_INFO_MAX_PARAMS", 0)
    blocks, _ = fit_quietly(y, n_threads=1)
    assert blocks.se_method == "observed, item blocks"
    for res in (full, blocks):
        assert np.isnan(res.se_a[20]) and np.isfinite(res.se_a[:20]).all()
    np.testing.assert_allclose(blocks.se_d[:20], full.se_d[:20], rtol=0.1)


def test_same_result_whatever_n_threads():
    y, _, _ = leaderboard(n=150, J=60)
    one, _ = fit_quietly(y, n_threads=1)
    two, _ = fit_quietly(y, n_threads=2)
    np.testing.assert_array_equal(one.a, two.a)
    np.testing.assert_array_equal(one.d, two.d)
    assert one.flagged == two.flagged


@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl", "3pl"])
def test_constant_items_are_held_with_a_flat_curve(model):
    y, _, _ = leaderboard(n=200, J=15, missing=0.0)
    y = y[:, :15].copy()
    y[:, 3] = 1.0
    y[:, 7] = 0.0
    prior = irt.Prior(guess=(5.0, 17.0)) if model == "3pl" else None
    res, messages = fit_quietly(y, model, prior=prior, n_threads=1)
    assert sorted(res.flagged) == [3, 7] and all("constant" in r for r in res.flagged.values())
    assert any("3 (constant)" in m for m in messages)
    if model == "1pl":
        assert (res.a == res.a[0]).all()  # the common slope, held items included
    p = irt.probability(res, np.linspace(-4, 4, 9))
    assert (p[:, 3] > 1 - 1e-6).all() and (p[:, 7] < 1e-6).all()
    assert np.isnan(res.se_d[[3, 7]]).all() and np.isfinite(res.se_d[[0, 1, 2, 4, 5, 6]]).all()
    # The other items are estimated as without the constant ones.
    keep = np.setdiff1d(np.arange(15), [3, 7])
    alone = irt.fit(y[:, keep], model, prior=prior, n_threads=1)
    np.testing.assert_allclose(res.d[keep], alone.d, atol=1e-3)


def test_weak_prior_estimates_the_items_instead():
    y, _, _ = leaderboard()
    J = y.shape[1] - 1
    res, messages = fit_quietly(y, prior="weak", n_threads=1)
    assert res.flagged == {} and not messages and res.converged
    assert res.prior == irt.Prior.weak() == irt.Prior(slope=(0.0, 1.0), intercept=(0.0, 3.0))
    assert 1.0 < res.a[J] < irt.SLOPE_BOUND and np.isfinite(res.se_a).all()
    same = irt.fit(y, prior=irt.Prior(slope=(0.0, 1.0), intercept=(0.0, 3.0)), n_threads=1)
    np.testing.assert_array_equal(res.a, same.a)
    with pytest.raises(ValueError, match="prior must be"):
        irt.fit(y, prior="strong")


def test_unidentified_fits_are_refused_before_the_work():
    everything = np.zeros((2, 1000))
    everything[0] = 1
    with pytest.raises(ValueError, match="at least 3 subjects"):
        irt.fit(everything, "2pl")
    same_share = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1.0]])
    with pytest.raises(ValueError, match="same share of right answers"):
        irt.fit(same_share, "2pl")
    guttman = np.tril(np.ones((8, 8)))[:, ::-1][:, :7]  # subject i answers the i easiest right
    guttman = np.vstack([guttman, np.zeros(7)])
    with pytest.raises(ValueError, match="every item separates"):
        irt.fit(guttman, "1pl")
    # Rasch slopes are fixed, and a slope prior identifies the others.
    irt.fit(guttman, "rasch")
    res, _ = fit_quietly(guttman, "2pl", prior="weak")
    assert np.isfinite(res.a).all()


@pytest.mark.parametrize(
    ("argument", "value"),
    [("n_quad", 2**31), ("n_quad", 2_000_000), ("max_iter", 2**40), ("dims", 10**6), ("dims", 6)],
)
def test_size_arguments_are_bounded(argument, value):
    y, _, _ = leaderboard(n=40, J=5)
    with pytest.raises(ValueError, match=argument):
        irt.fit(y, **{argument: value})
