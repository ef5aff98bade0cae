"""Type aliases the public signatures share (read by type checkers and readers;
nothing here runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

if TYPE_CHECKING:
    # No type information ships with distributed: to a type checker this is Any.
    from distributed import Client as Client

# What ``seed=`` takes: an int in [0, 2**64), a numpy generator or seed
# sequence to draw one from, or None for fresh entropy.
SeedLike: TypeAlias = (
    int | np.integer[Any] | np.random.Generator | np.random.RandomState | np.random.SeedSequence | None
)
# The bootstrap interval rules of _intervals.py.
IntervalMethod: TypeAlias = Literal["percentile", "basic", "bc", "bca"]
# What a NaN score means: an error, or a missing run left out.
NanPolicy: TypeAlias = Literal["raise", "omit"]
