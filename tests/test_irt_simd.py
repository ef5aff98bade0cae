"""IRT's item and joint evaluations are dispatched by simd.hpp's simd_level(),
as the random kernels are: the PRECIPICE_SIMD cap picks the baseline build,
whose fits must equal the widest build's to the bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import precipice
from precipice import _core

# Every dispatched IRT kernel: the binary item evaluation without guessing
# (Rasch, 2PL) and with it (3PL), the graded model's (which reuses it), the
# scoring, and the joint MAP's subject and item evaluations (dims=2); ten
# iterations of each, converged or not, exercise them all.
_FITS = """
import hashlib, warnings
import numpy as np
from precipice import _core, irt

warnings.simplefilter("ignore")
rng = np.random.default_rng(11)
h = hashlib.sha256()
def add(*arrays):
    for x in arrays:
        h.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
theta = rng.normal(size=300)
a, b = rng.lognormal(0, 0.3, 40), rng.normal(size=40)
p = 1 / (1 + np.exp(-(a * (theta[:, None] - b))))
binary = (rng.random(p.shape) < p).astype(float)
binary[rng.random(p.shape) < 0.05] = np.nan
for model in ("rasch", "2pl", "3pl"):
    r = irt.fit(binary, model=model, max_iter=10)
    add(r.a, r.d, r.c, r.se_a, r.se_d, r.se_c, r.item_cov, r.loglik)
    for method in ("eap", "map"):
        s = irt.score(r, binary, method)
        add(s.theta, s.se)
graded = np.clip(np.round(theta[:, None] * a[:12] + rng.normal(size=(300, 12)) + 1.5), 0, 3)
r = irt.fit(graded, model="grm", max_iter=10)
s = irt.score(r, graded, "eap")
add(r.a, r.d, r.se_a, r.se_d, s.theta, s.se)
r = irt.fit(binary, dims=2, method="jmap", max_iter=10)
add(r.a, r.d, r.theta)
print(_core.random_kernels(), h.hexdigest())
"""


def _fit_in_subprocess(cap: str | None) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PRECIPICE_SIMD"}
    env["PYTHONPATH"] = str(Path(precipice.__file__).parents[1])
    if cap is not None:
        env["PRECIPICE_SIMD"] = cap
    done = subprocess.run(
        [sys.executable, "-c", _FITS], env=env, capture_output=True, text=True, check=True, timeout=600
    )
    kernels, digest = done.stdout.split()
    return kernels, digest


def test_baseline_irt_kernels_fit_the_same_bits_as_the_widest():
    widest, default = _fit_in_subprocess(None)
    capped, baseline = _fit_in_subprocess("sse2")
    assert baseline == default
    if _core.random_kernels() in ("avx512", "avx2"):
        assert (widest, capped) == (_core.random_kernels(), "sse2")  # the cap took effect
