"""precipice.ranking against scipy, scikit-posthocs, autorank (when importable),
Demšar's table and slow references written out here."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precipice import _core, _special, ranking
from scipy import stats

# --------------------------------------------------------------------------- tails


def test_f_survival_matches_scipy_to_1e12():
    x = np.array([0.0, 1e-6, 0.05, 0.3, 1.0, 2.5, 7.0, 30.0, 200.0])
    for df1, df2 in [(1, 1), (2, 18), (3, 27), (4.5, 9.0), (9, 891), (49, 4851), (1, 200)]:
        ours = _special.f_survival(x, df1, df2)
        np.testing.assert_allclose(ours, stats.f.sf(x, df1, df2), rtol=1e-12, atol=1e-14)
    assert _special.f_survival(np.inf, 2, 3) == 0.0
    assert np.isnan(_special.f_survival(1.0, 0.0, 3))


def test_studentized_range_matches_scipy():
    q = np.linspace(0.05, 8.0, 60)
    for k in (2, 3, 5, 10, 25, 60):
        np.testing.assert_allclose(
            _special.studentized_range_survival(q, k), stats.studentized_range.sf(q, k, np.inf), atol=1e-10
        )
    for p in (0.5, 0.9, 0.95, 0.99):
        for k in (2, 4, 11, 15, 30, 50):
            expected = stats.studentized_range.ppf(p, k, np.inf)
            assert abs(float(_special.studentized_range_quantile(p, k)) - expected) < 1e-6


def test_nemenyi_cd_uses_demsar_table_as_printed():
    printed_05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
    printed_10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]
    for k, (q05, q10) in enumerate(zip(printed_05, printed_10), start=2):
        scale = np.sqrt(k * (k + 1) / (6.0 * 14))
        assert ranking.nemenyi_cd(k, 14) == q05 * scale
        assert ranking.nemenyi_cd(k, 14, alpha=0.10) == q10 * scale
        # The printed values are the computed quantiles to within a unit of
        # their last digit (q_0.05 for k = 3 is 2.3437, printed 2.343; k = 7 is
        # 2.9483, printed 2.949).
        for alpha, printed in ((0.05, q05), (0.10, q10)):
            computed = float(_special.studentized_range_quantile(1 - alpha, k)) / np.sqrt(2)
            assert abs(computed - printed) <= 1.0e-3
    # Demšar's worked example: 4 methods, 14 datasets, CD = 1.25 (alpha 0.05).
    assert round(ranking.nemenyi_cd(4, 14), 2) == 1.25


@pytest.mark.parametrize("k,alpha", [(11, 0.05), (20, 0.05), (12, 0.10), (5, 0.01), (40, 0.2)])
def test_nemenyi_cd_beyond_the_table_is_computed(k, alpha):
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    expected = q * np.sqrt(k * (k + 1) / (6.0 * 30))
    assert abs(ranking.nemenyi_cd(k, 30, alpha) - expected) < 1e-6


# --------------------------------------------------------------------------- Friedman

tables = st.integers(2, 25).flatmap(
    lambda n: st.integers(3, 8).flatmap(
        lambda k: st.lists(st.lists(st.integers(0, 4), min_size=k, max_size=k), min_size=n, max_size=n)
    )
)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_friedman_matches_scipy_with_ties(rows):
    scores = np.array(rows, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ranking.friedman(scores)
        reference = stats.friedmanchisquare(*scores.T)
    n, k = scores.shape
    if np.isnan(reference.statistic):
        assert np.isnan(result.statistic)
        return
    np.testing.assert_allclose(result.statistic, reference.statistic, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.pvalue, reference.pvalue, rtol=1e-10, atol=1e-13)
    chi2 = reference.statistic
    if n * (k - 1) - chi2 > 1e-9:
        f = (n - 1) * chi2 / (n * (k - 1) - chi2)
        np.testing.assert_allclose(result.iman_davenport, f, rtol=1e-10)
        np.testing.assert_allclose(
            result.iman_davenport_pvalue, stats.f.sf(f, k - 1, (k - 1) * (n - 1)), rtol=1e-9, atol=1e-13
        )
    np.testing.assert_allclose(result.average_ranks, stats.rankdata(-scores, axis=1).mean(axis=0))
    lower = ranking.friedman(scores, higher_is_better=False)
    np.testing.assert_allclose(lower.average_ranks, stats.rankdata(scores, axis=1).mean(axis=0))
    assert lower.statistic == result.statistic


def test_friedman_drops_incomplete_datasets_with_a_warning():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(12, 4))
    holed = scores.copy()
    holed[[2, 7], [1, 3]] = np.nan
    before = holed.copy()
    with pytest.warns(RuntimeWarning, match="dropped 2 of 12 datasets"):
        result = ranking.friedman(holed)
    np.testing.assert_array_equal(holed, before)
    complete = np.delete(scores, [2, 7], axis=0)
    assert result.statistic == pytest.approx(stats.friedmanchisquare(*complete.T).statistic, rel=1e-12)
    assert result.num_datasets == 10
    with pytest.raises(ValueError, match="scores contains NaN"):
        ranking.friedman(holed, nan_policy="raise")


def test_friedman_perfect_agreement_gives_infinite_f():
    scores = np.tile(np.arange(4.0), (6, 1))
    result = ranking.friedman(scores)
    assert result.statistic == pytest.approx(6 * 3)
    assert result.iman_davenport == np.inf and result.iman_davenport_pvalue == 0.0
    np.testing.assert_array_equal(result.average_ranks, [4.0, 3.0, 2.0, 1.0])


def test_friedman_all_tied_is_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match="ties every method"):
        result = ranking.friedman(np.ones((5, 3)))
    assert np.isnan(result.statistic) and np.isnan(result.pvalue) and np.isnan(result.iman_davenport)


# --------------------------------------------------------------------------- Nemenyi

# scikit-posthocs' documented example (its posthoc_nemenyi_friedman docstring).
_SP_EXAMPLE = np.array([[31, 27, 24], [31, 28, 31], [45, 29, 46], [21, 18, 48], [42, 36, 46], [32, 17, 40]], float)


def test_nemenyi_pinned_values():
    # scikit-posthocs 0.17.1 on _SP_EXAMPLE (scipy 1.17's studentized_range).
    result = ranking.nemenyi(_SP_EXAMPLE)
    expected = np.array(
        [
            [1.0, 0.14553486869064602, 0.8322292181161419],
            [0.14553486869064602, 1.0, 0.03760991481961706],
            [0.8322292181161419, 0.03760991481961706, 1.0],
        ]
    )
    np.testing.assert_allclose(result.pvalues, expected, atol=1e-10)
    np.testing.assert_allclose(result.average_ranks, [1.75, 2.8333333333333333, 1.4166666666666667], rtol=1e-15)


def test_nemenyi_matches_scikit_posthocs():
    sp = pytest.importorskip("scikit_posthocs")
    rng = np.random.default_rng(5)
    for shape in [(6, 3), (20, 5), (40, 12)]:
        scores = np.round(rng.normal(size=shape), 1)
        expected = sp.posthoc_nemenyi_friedman(scores).to_numpy()
        np.testing.assert_allclose(ranking.nemenyi(scores).pvalues, expected, atol=1e-10)
    holed = rng.normal(size=(15, 4))
    holed[3, 2] = np.nan
    with pytest.warns(RuntimeWarning, match="dropped 1 of 15"):
        ours = ranking.nemenyi(holed).pvalues
    np.testing.assert_allclose(ours, sp.posthoc_nemenyi_friedman(holed).to_numpy(), atol=1e-10)


# --------------------------------------------------------------------------- Wilcoxon


def _scipy_pairs(scores, **kwargs):
    k = scores.shape[1]
    out = np.ones((k, k))
    for i, j in itertools.combinations(range(k), 2):
        out[i, j] = out[j, i] = stats.wilcoxon(scores[:, i], scores[:, j], nan_policy="omit", **kwargs).pvalue
    return out


@pytest.mark.parametrize(
    "n,decimals,zeros",
    [
        (8, None, False),
        (30, None, False),
        (50, None, False),
        (60, None, False),  # exact / normal
        (9, 1, False),
        (11, 1, True),
        (14, 1, True),
        (40, 1, True),
        (80, 1, True),
    ],  # ties and zeros
)
def test_wilcoxon_matches_scipy_per_pair(n, decimals, zeros):
    rng = np.random.default_rng(n)
    scores = rng.normal(size=(n, 3)) + np.array([0.0, 0.3, 0.0])
    if decimals is not None:
        scores = np.round(scores, decimals)
    if zeros:
        scores[: n // 4, 2] = scores[: n // 4, 0]
    result = ranking.wilcoxon(scores)
    np.testing.assert_allclose(result.pvalues, _scipy_pairs(scores), rtol=1e-12, atol=1e-14)
    i, j = 0, 1
    assert result.statistic[i, j] == stats.wilcoxon(scores[:, i], scores[:, j]).statistic


def test_wilcoxon_switches_methods_where_scipy_does():
    base = np.arange(1.0, 61.0)
    for n, label in [(13, "permutation"), (14, "asymptotic")]:
        tied = np.column_stack([base[:n], base[:n] + np.r_[0.0, np.ones(n - 1)]])  # a zero and ties
        assert ranking.wilcoxon(tied).method[0, 1] == label
    for n, label in [(50, "exact"), (51, "asymptotic")]:
        distinct = np.column_stack([base[:n], base[:n] + 0.5 * base[:n] * (-1) ** base[:n]])
        assert ranking.wilcoxon(distinct).method[0, 1] == label


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 10).flatmap(
        lambda n: st.lists(st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=n, max_size=n)
    )
)
def test_wilcoxon_matches_scipy_on_heavy_ties(rows):
    scores = np.array(rows, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _scipy_pairs(scores)
    np.testing.assert_allclose(ranking.wilcoxon(scores).pvalues, expected, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_wilcoxon_missing_cells_are_omitted_per_pair():
    rng = np.random.default_rng(11)
    scores = rng.normal(size=(20, 3))
    scores[[1, 4], 0] = np.nan
    scores[9, 2] = np.nan
    result = ranking.wilcoxon(scores)
    np.testing.assert_allclose(result.pvalues, _scipy_pairs(scores), rtol=1e-12)
    assert result.num_datasets[0, 1] == 18 and result.num_datasets[1, 2] == 19 and result.num_datasets[0, 2] == 17


def test_wilcoxon_holm_matches_scikit_posthocs():
    sp = pytest.importorskip("scikit_posthocs")
    rng = np.random.default_rng(2)
    for n in (25, 70):
        scores = np.round(rng.normal(size=(n, 5)), 1)
        expected = sp.posthoc_wilcoxon(scores.T, p_adjust="holm").to_numpy()
        np.testing.assert_allclose(ranking.wilcoxon(scores).adjusted, expected, rtol=1e-12, atol=1e-14)


def test_wilcoxon_pinned_holm_values():
    # scikit-posthocs 0.17.1: posthoc_wilcoxon(_SP_EXAMPLE.T, p_adjust="holm").
    result = ranking.wilcoxon(_SP_EXAMPLE)
    # Every pair has a tie or a zero difference: scipy's sign-flip permutation test.
    assert set(result.method[np.triu_indices(3, 1)]) == {"permutation"}
    expected = np.array([[1.0, 0.09375, 0.3125], [0.09375, 1.0, 0.1875], [0.3125, 0.1875, 1.0]])
    np.testing.assert_allclose(result.adjusted, expected, rtol=1e-12)


# --------------------------------------------------------------------------- cliques and the diagram


def test_cliques_match_autorank():
    autorank_util = pytest.importorskip("autorank._util")
    import pandas as pd

    rng = np.random.default_rng(0)
    for k, n in [(5, 10), (8, 20), (10, 6), (4, 50)]:
        scores = pd.DataFrame(rng.normal(size=(n, k)) + np.linspace(0, 1.5, k), columns=[f"m{i}" for i in range(k)])
        result = ranking.friedman(scores.to_numpy())
        cd = ranking.nemenyi_cd(k, n)
        rankdf = pd.DataFrame({"meanrank": result.average_ranks}, index=scores.columns).sort_values("meanrank")

        class Result:
            pass

        fake = Result()
        fake.rankdf, fake.cd = rankdf, cd
        _, names, groups = autorank_util.get_sorted_rank_groups(fake, reverse=False)
        expected = [tuple(int(names[p][1:]) for p in range(a, b + 1)) for a, b in groups]
        assert ranking.critical_difference_cliques(result.average_ranks, cd) == expected


def test_cliques_by_hand():
    ranks = np.array([1.0, 1.5, 2.6, 3.0, 4.9])
    assert ranking.critical_difference_cliques(ranks, 1.0) == [(0, 1), (2, 3)]
    assert ranking.critical_difference_cliques(ranks, 1.5) == [(0, 1), (1, 2, 3)]
    assert ranking.critical_difference_cliques(ranks, 0.1) == []
    assert ranking.critical_difference_cliques(ranks[::-1], 10.0) == [(4, 3, 2, 1, 0)]


def test_critical_difference_plot_smoke():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from precipice import plot

    rng = np.random.default_rng(1)
    scores = rng.normal(size=(20, 6)) + np.linspace(0, 1, 6)
    result = ranking.friedman(scores)
    ax = plot.critical_difference(result.average_ranks, ranking.nemenyi_cd(6, 20), names=list("ABCDEF"))
    texts = {t.get_text().strip() for t in ax.texts}
    assert set("ABCDEF") <= texts and any(t.startswith("CD") for t in texts)
    # One thick bar per clique, rank 1 on the right when reversed.
    cliques = ranking.critical_difference_cliques(result.average_ranks, ranking.nemenyi_cd(6, 20))
    assert sum(line.get_linewidth() == 3 for line in ax.lines) == len(cliques)
    flipped = plot.critical_difference(result.average_ranks, 0.5, reverse=True)
    ticks = {t.get_text(): t.get_position()[0] for t in flipped.texts if t.get_text().isdigit()}
    assert ticks["1"] > ticks["6"]
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- Borda and Kemeny


def _slow_borda(table):
    tasks, k = table.shape
    total, mass = np.zeros(k), np.zeros(k)
    for t in range(tasks):
        scored = [i for i in range(k) if not np.isnan(table[t, i])]
        if len(scored) < 2:
            continue
        for i in scored:
            beaten = sum(table[t, i] > table[t, j] for j in scored if j != i)
            tied = sum(table[t, i] == table[t, j] for j in scored if j != i)
            total[i] += (beaten + 0.5 * tied) / (len(scored) - 1)
            mass[i] += 1
    with np.errstate(invalid="ignore"):
        return total / mass


def _kendall_cost(table, order):
    cost = 0
    for a, b in itertools.combinations(order, 2):  # a placed before b
        cost += int(np.sum(table[:, b] > table[:, a]))  # NaN compares False: missing counts for neither
    return cost


def _brute_kemeny(table):
    """The least cost over every permutation, from the wins matrix (NaN compares False)."""
    k = table.shape[1]
    wins = np.sum(table[:, :, None] > table[:, None, :], axis=0)  # wins[i, j]: tasks where i beats j
    perms = np.array(list(itertools.permutations(range(k))))
    a, b = np.triu_indices(k, 1)
    return int(wins[perms[:, b], perms[:, a]].sum(axis=1).min())


score_tables = st.integers(2, 7).flatmap(
    lambda k: st.integers(1, 8).flatmap(
        lambda n: st.lists(
            st.lists(st.one_of(st.integers(0, 3).map(float), st.just(np.nan)), min_size=k, max_size=k),
            min_size=n,
            max_size=n,
        )
    )
)


def _usable(table):
    informative = (~np.isnan(table)).sum(axis=1) >= 2
    return table.shape[0] >= 2 and (~np.isnan(table[informative])).any(axis=0).all()


@settings(max_examples=80, deadline=None)
@given(score_tables)
def test_kemeny_exact_is_the_brute_force_optimum(rows):
    table = np.array(rows)
    if not _usable(table):
        with pytest.raises(ValueError, match="scores"):
            ranking.kemeny(table)
        return
    result = ranking.kemeny(table)
    assert result.exact
    assert sorted(result.order.tolist()) == list(range(table.shape[1]))
    assert result.cost == _kendall_cost(table, result.order) == _brute_kemeny(table)
    local = ranking.kemeny(table, exact=False)
    assert local.cost == _kendall_cost(table, local.order) >= result.cost
    np.testing.assert_array_equal(result.ranks[result.order], np.arange(1, table.shape[1] + 1))


@settings(max_examples=80, deadline=None)
@given(score_tables)
def test_borda_matches_the_slow_reference(rows):
    table = np.array(rows)
    if not _usable(table):
        return
    result = ranking.borda(table)
    np.testing.assert_allclose(result.scores, _slow_borda(table), rtol=1e-14)
    flipped = ranking.borda(-table, higher_is_better=False)
    np.testing.assert_array_equal(flipped.scores, result.scores)
    np.testing.assert_array_equal(result.order, np.argsort(-result.scores, kind="stable"))


def test_borda_without_missing_cells_orders_as_average_ranks():
    rng = np.random.default_rng(4)
    table = np.round(rng.normal(size=(15, 6)), 1)
    result = ranking.borda(table)
    average = stats.rankdata(-table, axis=1).mean(axis=0)
    np.testing.assert_allclose(result.ranks, stats.rankdata(average))
    k = table.shape[1]
    np.testing.assert_allclose(result.scores, (k - average) / (k - 1))


def test_kemeny_local_search_beyond_the_exact_limit():
    rng = np.random.default_rng(8)
    table = rng.normal(size=(30, 20)) + np.linspace(0, 3, 20)
    result = ranking.kemeny(table)
    assert not result.exact and result.cost == _kendall_cost(table, result.order)
    # A local optimum: no single move lowers the cost.
    order = list(result.order)
    for i in range(20):
        for j in range(20):
            moved = order[:i] + order[i + 1 :]
            moved.insert(j, order[i])
            assert _kendall_cost(table, moved) >= result.cost
    with pytest.raises(ValueError, match="exact=True takes at most 16"):
        ranking.kemeny(table, exact=True)


@pytest.mark.parametrize("how", ["borda", "kemeny"])
def test_stability_bootstrap_matches_a_resampling_reference(how):
    rng = np.random.default_rng(6)
    table = np.round(rng.normal(size=(12, 5)) + np.linspace(0, 1, 5), 1)
    table[3, 1] = table[7, 4] = np.nan
    reps, seed = 200, 1234
    function = ranking.borda if how == "borda" else ranking.kemeny
    result = function(table, reps=reps, seed=seed, n_threads=1)
    # The core draws replicate r's tasks from stream (seed, r, 0), as evals' index resampler does.
    indices = _core.evals.resample_indices(12, 12, seed, 0, reps, 0, 1)
    replicates = np.empty((reps, 5))
    for r in range(reps):
        sample = table[indices[r]]
        if how == "borda":
            replicates[r] = np.nan_to_num(_slow_borda(sample), nan=-1.0)
        else:
            consensus = ranking.kemeny(sample).order
            replicates[r, consensus] = 4 - np.arange(5)
    from precipice.leaderboard import rank_summary

    expected = rank_summary(replicates)
    np.testing.assert_allclose(result.stability.rank_probabilities, expected.rank_probabilities, atol=1e-15)
    np.testing.assert_array_equal(result.stability.rank_interval, expected.rank_interval)
    np.testing.assert_allclose(result.stability.rank_probabilities.sum(axis=1), 1.0)


@pytest.mark.parametrize("how,methods", [("borda", 8), ("kemeny", 8), ("kemeny", 14)])
def test_stability_same_seed_same_result_for_any_threads(how, methods):
    rng = np.random.default_rng(9)
    table = rng.normal(size=(40, methods))
    function = ranking.borda if how == "borda" else ranking.kemeny
    one = function(table, reps=300, seed=5, n_threads=1).stability
    two = function(table, reps=300, seed=5, n_threads=2).stability
    np.testing.assert_array_equal(one.rank_probabilities, two.rank_probabilities)
    other = function(table, reps=300, seed=6, n_threads=2).stability
    assert not np.array_equal(one.rank_probabilities, other.rank_probabilities)


def test_kemeny_bootstrap_local_search_matches_the_point_search_per_replicate():
    rng = np.random.default_rng(12)
    table = np.round(rng.normal(size=(15, 14)) + np.linspace(0, 2, 14), 1)
    reps, seed = 20, 77
    result = ranking.kemeny(table, reps=reps, seed=seed, n_threads=2)
    assert not result.exact
    indices = _core.evals.resample_indices(15, 15, seed, 0, reps, 0, 1)
    replicates = np.empty((reps, 14))
    for r in range(reps):
        replicates[r, ranking.kemeny(table[indices[r]]).order] = 13 - np.arange(14)
    from precipice.leaderboard import rank_summary

    np.testing.assert_array_equal(result.stability.rank_probabilities, rank_summary(replicates).rank_probabilities)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [ranking.friedman, ranking.nemenyi, ranking.wilcoxon, ranking.borda, ranking.kemeny],
)
def test_bad_scores(call):
    with pytest.raises(ValueError, match="at least 2 datasets"):
        call(np.ones((5, 1)))
    with pytest.raises(ValueError, match="at least 2 datasets"):
        call(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"shape \(num_datasets, num_methods\)"):
        call(np.ones(5))
    with pytest.raises(TypeError, match="scores must hold real numbers"):
        call(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="ragged"):
        call([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="infinite"):
        call(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with (
        pytest.raises(TypeError, match="higher_is_better") if call is not ranking.wilcoxon else pytest.raises(TypeError)
    ):
        call(np.ones((3, 3)), higher_is_better="yes")


def test_bad_arguments_name_themselves():
    scores = np.random.default_rng(0).normal(size=(6, 4))
    with pytest.raises(ValueError, match="nan_policy"):
        ranking.friedman(scores, nan_policy="propagate")
    with pytest.raises(ValueError, match="p_adjust"):
        ranking.wilcoxon(scores, p_adjust="fdr")
    with pytest.raises(ValueError, match="num_methods"):
        ranking.nemenyi_cd(1, 10)
    with pytest.raises(TypeError, match="num_datasets"):
        ranking.nemenyi_cd(3, 2.5)
    with pytest.raises(ValueError, match="alpha"):
        ranking.nemenyi_cd(3, 10, alpha=1.5)
    with pytest.raises(ValueError, match="reps"):
        ranking.borda(scores, reps=-1)
    with pytest.raises(TypeError, match="reps"):
        ranking.kemeny(scores, reps=2.0)
    with pytest.raises(ValueError, match="confidence"):
        ranking.borda(scores, reps=10, confidence=2.0)
    with pytest.raises(ValueError, match="n_threads"):
        ranking.borda(scores, reps=10, n_threads=0)
    with pytest.raises(TypeError, match="exact"):
        ranking.kemeny(scores, exact="yes")
    holed = scores.copy()
    holed[:, 2] = np.nan
    with pytest.raises(ValueError, match="method 2 is not scored"):
        ranking.borda(holed)
    with pytest.raises(ValueError, match="fewer than 2 datasets with every method"):
        ranking.friedman(holed)
    with pytest.raises(ValueError, match="critical_difference"):
        ranking.critical_difference_cliques([1.0, 2.0], -1.0)


def test_inputs_are_never_modified():
    scores = np.round(np.random.default_rng(1).normal(size=(10, 4)), 1)
    scores[2, 1] = np.nan
    before = scores.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for call in (ranking.friedman, ranking.nemenyi, ranking.wilcoxon):
            call(scores)
    ranking.borda(scores, reps=20, seed=0)
    ranking.kemeny(scores, reps=20, seed=0)
    np.testing.assert_array_equal(scores, before)


def test_masked_arrays_are_missing_cells():
    scores = np.ma.masked_array(np.arange(20.0).reshape(5, 4) % 7, mask=np.zeros((5, 4), bool))
    scores.mask[1, 1] = True
    with pytest.warns(RuntimeWarning, match="dropped 1 of 5"):
        assert ranking.friedman(scores).num_datasets == 4


def test_friedman_and_cd_match_autorank():
    autorank = pytest.importorskip("autorank")
    import pandas as pd

    rng = np.random.default_rng(21)
    scores = rng.normal(size=(25, 6)) + np.linspace(0, 1, 6)
    frame = pd.DataFrame(scores, columns=[f"m{i}" for i in range(6)])
    reference = autorank.autorank(frame, alpha=0.05, force_mode="nonparametric", verbose=False)
    result = ranking.friedman(scores)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-10)
    meanrank = reference.rankdf["meanrank"].reindex(frame.columns).to_numpy(dtype=float)
    np.testing.assert_allclose(result.average_ranks, meanrank, rtol=1e-14)
    # autorank's q_alpha comes from statsmodels' interpolated qsturng table.
    assert ranking.nemenyi_cd(6, 25) == pytest.approx(reference.cd, rel=2e-3)
