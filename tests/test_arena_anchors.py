"""precipice.arena against the rating libraries users run today: arena-rank 0.1.1,
the code behind LMArena's current leaderboard, and evalica 0.4.2.

arena-rank fits Bradley-Terry (and its contextual, style-controlled version) by
L-BFGS in JAX and gives sandwich intervals from a Hessian with ``1e-5 * N`` added
to its diagonal. It pulls jax and datasets, so it is not in the test extra: its
outputs on the shipped battle set were computed once (arena-rank 0.1.1, jax 0.8.1,
``PairDataset.from_pandas`` / ``ContextualPairDataset.from_pandas`` on
``pandas.read_csv(".../data/arena/battles.csv.gz")``) and are pinned below; the
last test reruns arena-rank itself when it imports.

The tolerances are arena-rank's own error, not ours: its L-BFGS stops at a gradient
of about 1e-2 battles where precipice's Newton reaches 1e-12, which moves ratings
by up to 0.008 Elo points, and its diagonal regulariser moves the standard errors
by up to 8e-4 relative.

evalica (in the test extra) solves the same Bradley-Terry likelihood (ties as half
a win) by Newman's iteration to a tolerance we set, so its strengths agree with
precipice's ratings to rounding; its online Elo is FastChat's compute_elo.
"""

from __future__ import annotations

import numpy as np
import pytest
from precipice import arena, datasets

RATING_TOL = 0.02  # Elo points
SE_RTOL = 2e-3

# arena-rank's outputs per model from four fits, in seven columns:
# 1, 2: BradleyTerry, ci_method="sandwich": rating, standard error.
# 3, 4: the same with PairDataset.from_pandas(reweighted=True), weights 1 / max(n_pair, 50).
#    Every pair of the set has at least 61 battles, so these are proportional to
#    precipice's N / (P n_pair), and the fit and the sandwich are the same.
# 5, 6: ContextualBradleyTerry(reg=0.0) on ContextualPairDataset.from_pandas(feature_cols=
#    ["len_diff"]) (reweighted and z-scored by default), len_diff = (tokens_a - tokens_b)
#    / (tokens_a + tokens_b): rating, standard error.
# 7: the default ContextualBradleyTerry (reg=1.0, a ridge on the style coefficients: 1.0
#    on the mean loss, N on the total) on the same data: rating. Only ratings: arena-rank's
#    sandwich leaves the ridge out of its bread (it corrects the meat instead); precipice
#    keeps it in, as the sandwich of a penalised M-estimator does, and the standard
#    errors differ by ~5%.
ARENA_RANK = {
    "aurora-70b": (978.2931, 4.46377, 978.1446, 4.73640, 985.6065, 4.75657, 979.1978),
    "basalt-8b": (1061.2134, 4.25608, 1062.7448, 4.42896, 1039.4897, 4.61547, 1059.4693),
    "cirrus-405b": (1021.8889, 4.54822, 1021.5192, 4.86869, 1021.9317, 4.89097, 1021.5532),
    "delta-mini": (847.5508, 5.91045, 846.6842, 6.70961, 839.1611, 6.71678, 845.7956),
    "ember-34b": (836.5720, 5.77312, 836.0824, 6.46150, 832.0413, 6.51661, 835.6858),
    "fjord-13b": (1079.2696, 4.82977, 1076.9374, 5.28778, 1075.8425, 5.30632, 1076.7061),
    "gale-7b": (1037.5793, 3.41151, 1037.3707, 3.47269, 1056.4120, 3.64073, 1039.9673),
    "halcyon-72b": (866.3736, 5.30810, 871.2357, 5.88454, 887.8824, 5.94343, 873.6645),
    "iris-1.5-pro": (955.4397, 5.01021, 957.8862, 5.56801, 957.0336, 5.60252, 957.8082),
    "juniper-9b": (1030.2914, 5.59217, 1030.4841, 6.43706, 1022.2215, 6.43626, 1029.3129),
    "kestrel-22b": (931.7665, 4.50770, 930.0990, 4.78590, 940.7019, 4.82042, 931.6348),
    "lumen-3b": (1225.1019, 5.92261, 1227.7313, 6.65218, 1225.6572, 6.64740, 1227.2303),
    "meridian-32b": (1034.3938, 5.37895, 1034.0749, 6.18825, 1040.3594, 6.21636, 1034.9075),
    "nimbus-flash": (1075.9247, 4.19041, 1076.3988, 4.35959, 1069.8354, 4.38070, 1075.4080),
    "onyx-123b": (1001.4814, 5.27328, 997.3673, 6.02333, 1013.8550, 6.09788, 999.6537),
    "pika-2b": (1004.2350, 3.83401, 1003.5919, 3.95521, 977.8312, 4.19661, 1000.0237),
    "quartz-14b": (980.8627, 4.14676, 981.6082, 4.38563, 1003.9515, 4.55317, 984.7161),
    "rill-1b": (980.4473, 4.61262, 979.4405, 4.99839, 979.3011, 5.01376, 979.4404),
    "sable-mix-8x7b": (1081.2922, 5.03493, 1080.4502, 5.51760, 1056.1410, 5.67770, 1077.0132),
    "tundra-110b": (970.0227, 2.92007, 970.1485, 2.93732, 974.7439, 2.95736, 970.8116),
}
CONTEXTUAL_COEFFICIENT = 0.22330468001558318  # fit 5
CONTEXTUAL_DEFAULT_COEFFICIENT = 0.03093664926998328  # fit 7


def columns(first: int, last: int) -> dict[str, tuple[float, ...]]:
    return {model: values[first:last] for model, values in ARENA_RANK.items()}


BT, BT_REWEIGHTED, CONTEXTUAL_REWEIGHTED = columns(0, 2), columns(2, 4), columns(4, 6)
CONTEXTUAL_DEFAULT_RATINGS = {model: values[6] for model, values in ARENA_RANK.items()}


@pytest.fixture(scope="module")
def battles() -> dict[str, np.ndarray]:
    return datasets.arena_battles()


def z_scored_length_difference(battles: dict[str, np.ndarray]) -> np.ndarray:
    a, b = battles["tokens_a"], battles["tokens_b"]
    diff = (a - b) / (a + b)
    return ((diff - diff.mean()) / diff.std())[:, None]


def assert_matches(result: arena.BradleyTerryResult, pinned: dict[str, tuple[float, float]]) -> None:
    rating = dict(zip(result.models, result.ratings))
    se = dict(zip(result.models, result.se))
    assert sorted(rating) == sorted(pinned)
    for model, (their_rating, their_se) in pinned.items():
        assert abs(rating[model] - their_rating) < RATING_TOL, model
        assert abs(se[model] / their_se - 1.0) < SE_RTOL, model


def test_bradley_terry_equals_arena_rank(battles):
    assert_matches(arena.bradley_terry(battles["model_a"], battles["model_b"], battles["winner"]), BT)


def test_reweighted_bradley_terry_equals_arena_rank(battles):
    result = arena.bradley_terry(battles["model_a"], battles["model_b"], battles["winner"], reweight="inverse_pair")
    assert_matches(result, BT_REWEIGHTED)


def style_controlled(battles: dict[str, np.ndarray], feature_prior: float | None) -> arena.BradleyTerryResult:
    return arena.bradley_terry(
        battles["model_a"],
        battles["model_b"],
        battles["winner"],
        features=z_scored_length_difference(battles),
        reweight="inverse_pair",
        feature_prior=feature_prior,
    )


def test_style_control_equals_arena_rank_contextual_model(battles):
    result = style_controlled(battles, None)
    assert_matches(result, CONTEXTUAL_REWEIGHTED)
    assert abs(result.coefficients[0] - CONTEXTUAL_COEFFICIENT) < 1e-4


def test_feature_prior_equals_arena_rank_default_contextual_model(battles):
    result = style_controlled(battles, 1 / np.sqrt(len(battles["winner"])))
    rating = dict(zip(result.models, result.ratings))
    for model, theirs in CONTEXTUAL_DEFAULT_RATINGS.items():
        assert abs(rating[model] - theirs) < RATING_TOL, model
    assert abs(result.coefficients[0] - CONTEXTUAL_DEFAULT_COEFFICIENT) < 1e-5


def test_matches_arena_rank_itself(battles):
    pytest.importorskip("arena_rank")
    pd = pytest.importorskip("pandas")
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    frame = pd.DataFrame({k: battles[k] for k in ("model_a", "model_b", "winner")})
    dataset = PairDataset.from_pandas(frame)
    theirs = BradleyTerry(n_competitors=len(dataset.competitors)).compute_ratings_and_cis(dataset)
    pinned = {
        model: (float(rating), float(np.sqrt(variance)))
        for model, rating, variance in zip(theirs["competitors"], theirs["ratings"], theirs["variances"])
    }
    assert_matches(arena.bradley_terry(battles["model_a"], battles["model_b"], battles["winner"]), pinned)


def evalica_winners(battles: dict[str, np.ndarray]) -> list[object]:
    evalica = pytest.importorskip("evalica")
    labels = {"model_a": evalica.Winner.X, "model_b": evalica.Winner.Y}
    return [labels.get(str(w), evalica.Winner.Draw) for w in battles["winner"]]


@pytest.mark.parametrize("solver", ["pyo3", "naive"])
def test_bradley_terry_equals_evalica(battles, solver):
    evalica = pytest.importorskip("evalica")
    theirs = evalica.bradley_terry(
        list(battles["model_a"]),
        list(battles["model_b"]),
        evalica_winners(battles),
        solver=solver,
        tolerance=1e-12,
        limit=10_000,
    )
    ours = arena.bradley_terry(battles["model_a"], battles["model_b"], battles["winner"])
    # evalica's strengths are exp(logit) scaled to geometric mean 1.
    log_strength = np.log(theirs.scores[list(ours.models)].to_numpy())
    np.testing.assert_allclose(ours.logit - ours.logit.mean(), log_strength - log_strength.mean(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("solver", ["pyo3", "naive"])
def test_online_elo_equals_evalica(battles, solver):
    evalica = pytest.importorskip("evalica")
    theirs = evalica.elo(list(battles["model_a"]), list(battles["model_b"]), evalica_winners(battles), solver=solver)
    ours = arena.online_elo(battles["model_a"], battles["model_b"], battles["winner"])
    assert sorted(ours) == sorted(theirs.scores.index)
    np.testing.assert_allclose([ours[m] for m in theirs.scores.index], theirs.scores.to_numpy(), rtol=0, atol=1e-9)
