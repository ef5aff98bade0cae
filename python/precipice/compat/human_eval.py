"""human-eval's ``estimate_pass_at_k`` (openai/human-eval, ``human_eval/evaluation.py``),
same signature, same results, one native call instead of a Python loop.

Kept as human-eval has it, quirks included: 1.0 wherever n - c < k, which covers
n < k (where no unbiased estimate exists; :func:`precipice.passk.pass_at_k` returns
NaN there). The values agree with human-eval's to about 1e-15 relative; where its
1 - prod(...) cancels (tiny pass@k) these are the more accurate digits.
"""

from __future__ import annotations

from typing import List, Union

import numpy as np

from .. import _core
from ..passk import _as_integers, _counts

__all__ = ["estimate_pass_at_k"]


def estimate_pass_at_k(
    num_samples: Union[int, List[int], np.ndarray],
    num_correct: Union[List[int], np.ndarray],
    k: int,
) -> np.ndarray:
    """Estimates pass@k of each problem and returns them in an array."""
    correct = _as_integers(num_correct, "num_correct")
    if isinstance(num_samples, (int, np.integer)) and not isinstance(num_samples, bool):
        samples = int(num_samples)  # human-eval repeats an int for every problem
    else:
        samples = _as_integers(num_samples, "num_samples")
        if samples.shape != correct.shape:
            raise ValueError(
                f"num_samples has {samples.shape[0]} problems but num_correct has {correct.shape[0]}"
            )
    n, c, _ = _counts(samples, correct, "num_samples", "num_correct")
    k = np.array([k], dtype=np.int64)
    out = _core.passk_tail_table(n, c, k, np.ones_like(k), 1)[:, 0]
    # human-eval answers 1.0 before it looks at anything else when n - c < k.
    out[n - c < k[0]] = 1.0
    return out
