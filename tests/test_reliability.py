"""Regression tests for the reliability items of issue #17: each reproducer of
the issue gets a clear error naming its argument (or a correct answer)."""

import numpy as np
import pytest
from precipice import irt, passk


def test_pass_at_k_interval_without_problems_is_refused():
    with pytest.raises(ValueError, match="no problems"):
        passk.pass_at_k_interval(10, [], 1)
    with pytest.raises(ValueError, match="no problems"):
        passk.compare_pass_at_k(10, [], 10, [], 1, method="percentile")


@pytest.mark.parametrize("k", [2**63, 2**53, [2**63]])
def test_pass_at_k_huge_k_names_k(k):
    with pytest.raises(ValueError, match=r"^k must"):
        passk.pass_at_k(10, [3], k)


def test_pass_until_tiny_confidence_names_confidence():
    with pytest.raises(ValueError, match=r"confidence must lie in \[1e-15, 1\)"):
        passk.pass_until([5], [2], confidence=1e-300)
    assert passk.pass_until([5], [2], confidence=1e-15).interval.shape == (2, 1)


def test_pass_until_problem_counts_must_agree():
    with pytest.raises(ValueError, match="draws has 2 problems but successes has 3"):
        passk.pass_until([3, 4], [1, 2, 3])
    # One int still applies to every problem.
    assert passk.pass_until([3, 4], 2).estimate.shape == (2,)


@pytest.mark.parametrize("mincell", ["x", None, True])
def test_item_fit_mincell_must_be_a_number(mincell):
    rng = np.random.default_rng(0)
    y = (rng.random((200, 5)) < 0.5).astype(float)
    result = irt.fit(y)
    with pytest.raises(TypeError, match="mincell must be a non-negative number"):
        irt.item_fit(result, y, mincell=mincell)
