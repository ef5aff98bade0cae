"""IRT timings, side by side with the tools precipice.irt replaces, in one process.

    python bench/bench_irt.py [--quick] [--threads 2]

1. 1000 subjects x 100 items, 2PL: girth 0.8.0 ``twopl_mml`` vs precipice.
2. 400 x 2000, 2PL: the ``mirt`` Python package 1.2.0 (Rust core) vs precipice,
   with the accuracy of each (RMSE of a and d against the generating values).
3. The Open LLM Leaderboard scale of tinyBenchmarks: 395 models x 28,659 items,
   2PL, 5% missing: precipice alone, wall time and the process's peak memory.
3b. The same scale as drawn, without redrawing (theta ~ N(0, 1), a ~ lognormal(0,
   0.3), b ~ N(0, 1), 5% missing): as on any real leaderboard, a few items are
   answered right by all models but one, and with seed 7 one of them is
   answered wrong only by the weakest model, a near-separated item that the fit
   holds at its slope bound and flags; wall time with and without standard
   errors, the flagged items and corr(d, truth) over the others.
4. The same scale with tinyBenchmarks' 10-dimensional 2PL, fitted by joint
   posterior mode (``dims=10, method="jmap"``): wall time, sweeps, peak memory,
   and how well the fitted logits follow the generating ones.

Anchors missing from the environment are reported, not faked
(``pip install girth==0.8.0 mirt==1.2.0``).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

import numpy as np
from _timing import best_time
from precipice import irt


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux from VmHWM, which starts
    afresh at exec (getrusage's ru_maxrss carries the parent's peak over)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def simulate(n: int, J: int, seed: int, missing: float = 0.0, block: int = 2048):
    """2PL responses (n, J) with a ~ lognormal(0, 0.3), d ~ N(0, 1), built in
    item blocks so that generating them costs little memory beyond the result.
    Items everybody answers the same way are redrawn (they have no ML fit)."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.3, J)
    d = rng.normal(0.0, 1.0, J)
    theta = rng.normal(size=n)
    y = np.empty((n, J))
    for start in range(0, J, block):
        cols = slice(start, min(start + block, J))
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(theta[:, None] * a[cols] + d[cols])))
            part = (rng.random(p.shape) < p).astype(float)
            if missing:
                part[rng.random(p.shape) < missing] = np.nan
            mean = np.nanmean(part, axis=0)
            bad = (mean == 0) | (mean == 1)
            if not bad.any():
                break
            d[cols][bad] *= 0.5  # a constant column: redraw it nearer the middle
        y[:, cols] = part
    return y, a, d


def rmse(x, y) -> float:
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


def girth_case(threads: int, quick: bool) -> None:
    y, a, d = simulate(1000, 100, seed=1)
    # girth computes no standard errors: neither does precipice here.
    t_pre, res = best_time(lambda: irt.fit(y, n_threads=threads, se=False), 5)
    t_se, _ = best_time(lambda: irt.fit(y, n_threads=threads), 3)
    print(
        f"1000 x 100 2PL   precipice {t_pre * 1e3:8.1f} ms  ({res.n_iter} EM maps; {t_se * 1e3:.0f} ms with SEs)  "
        f"RMSE a {rmse(res.a, a):.3f}  d {rmse(res.d, d):.3f}"
    )
    try:
        from girth import twopl_mml
    except ImportError:
        print("                 girth: not installed")
        return
    if quick:
        print("                 girth: skipped (--quick)")
        return
    data = np.nan_to_num(y).astype(int).T  # girth takes items x persons
    t_girth, out = best_time(lambda: twopl_mml(data), 1)
    ga = np.asarray(out["Discrimination"], dtype=float)
    gd = -ga * np.asarray(out["Difficulty"], dtype=float)
    print(
        f"                 girth     {t_girth * 1e3:8.1f} ms  RMSE a {rmse(ga, a):.3f}  "
        f"d {rmse(gd, d):.3f}   precipice is {t_girth / t_pre:,.0f}x faster"
    )


def mirt_case(threads: int, quick: bool) -> None:
    y, a, d = simulate(400, 2000, seed=2)
    for n_quad in (61, 21):
        t_pre, res = best_time(lambda: irt.fit(y, n_quad=n_quad, n_threads=threads), 2)
        print(
            f"400 x 2000 2PL   precipice {t_pre * 1e3:8.1f} ms  (n_quad {n_quad}, {res.n_iter} EM maps, SEs)  "
            f"RMSE a {rmse(res.a, a):.3f}  d {rmse(res.d, d):.3f}"
        )
    try:
        import mirt
    except ImportError:
        print("                 mirt: not installed")
        return
    if quick:
        print("                 mirt: skipped (--quick)")
        return
    fit = lambda: mirt.fit_mirt(y, model="2PL", n_quadpts=21, max_iter=500, tol=1e-4)  # noqa: E731
    t_mirt, out = best_time(fit, 1)
    coef = out.coef() if callable(getattr(out, "coef", None)) else out.coef
    ma, md = _mirt_slopes_intercepts(coef)
    print(
        f"                 mirt      {t_mirt * 1e3:8.1f} ms  ({out.n_iterations} iterations, SEs)  "
        f"RMSE a {rmse(ma, a):.3f}  d {rmse(md, d):.3f}   precipice (21 nodes) is "
        f"{t_mirt / t_pre:,.1f}x faster"
    )


def _mirt_slopes_intercepts(coef):
    """(a, d) from mirt's coefficient table (a pandas/polars frame or a dict)."""
    try:
        columns = {str(c).lower(): c for c in coef.columns}
        a_col = next(columns[k] for k in ("a1", "a", "discrimination") if k in columns)
        a = np.asarray(coef[a_col], dtype=float)
        if "difficulty" in columns:  # mirt 1.2.0: P = 1 / (1 + exp(-a (theta - b)))
            return a, -a * np.asarray(coef[columns["difficulty"]], dtype=float)
        d_col = next(columns[k] for k in ("d", "d1", "intercept") if k in columns)
        return a, np.asarray(coef[d_col], dtype=float)
    except AttributeError:
        return np.asarray(coef["a"], dtype=float).ravel(), np.asarray(coef["d"], dtype=float).ravel()


def leaderboard_case(threads: int, quick: bool) -> None:
    n, J = (395, 28659) if not quick else (395, 4000)
    y, a, d = simulate(n, J, seed=3, missing=0.05)
    before = peak_rss_mb()
    t_pre, res = best_time(lambda: irt.fit(y, n_threads=threads), 1)
    after = peak_rss_mb()
    print(
        f"{n} x {J} 2PL, 5% missing, {threads} threads: {t_pre:6.2f} s  ({res.n_iter} EM maps, "
        f"converged {res.converged}, SEs: {res.se_method})"
    )
    print(
        f"                 peak process memory {after:,.0f} MB (the float64 input alone is "
        f"{y.nbytes / 2**20:,.0f} MB; peak before the fit {before:,.0f} MB)"
    )
    t_nose, _ = best_time(lambda: irt.fit(y, n_threads=threads, se=False), 1)
    print(f"                 without standard errors: {t_nose:6.2f} s")


def simulate_as_drawn(n: int, J: int, seed: int, missing: float = 0.05):
    """2PL responses (n, J) exactly as described in case 3b, nothing redrawn."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = rng.lognormal(0.0, 0.3, J)
    d = -a * rng.normal(0.0, 1.0, J)
    y = (rng.random((n, J)) < 1.0 / (1.0 + np.exp(-(theta[:, None] * a + d)))).astype(float)
    y[rng.random((n, J)) < missing] = np.nan
    return y, a, d


def leaderboard_as_drawn_case(threads: int, quick: bool) -> None:
    import warnings

    n, J = (395, 28659) if not quick else (395, 4000)
    y, a, d = simulate_as_drawn(n, J, seed=7)
    answered = (~np.isnan(y)).sum(axis=0)
    right = np.nansum(y, axis=0)
    odd_one_out = int(np.sum((right == answered - 1) | (right == 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the flagged items' warning: reported below
        t_fit, res = best_time(lambda: irt.fit(y, n_threads=threads, se=False), 1)
        t_se, res_se = best_time(lambda: irt.fit(y, n_threads=threads), 1)
    kept = np.ones(J, dtype=bool)
    kept[list(res.flagged)] = False
    corr = np.corrcoef(res.d[kept], d[kept])[0, 1]
    print(
        f"{n} x {J} 2PL as drawn (b ~ N(0, 1), no redrawing), 5% missing, {threads} threads: {t_fit:6.2f} s  "
        f"({res.n_iter} EM maps, converged {res.converged}); with SEs {t_se:6.2f} s ({res_se.se_method})"
    )
    print(
        f"                 {odd_one_out} items answered alike by all but one model; flagged "
        f"{ {j: reason.split(':')[0] for j, reason in res.flagged.items()} }"
    )
    print(
        f"                 corr(d, truth) over the {kept.sum()} other items {corr:.4f}; "
        f"RMSE a {rmse(res.a[kept], a[kept]):.3f}  d {rmse(res.d[kept], d[kept]):.3f}"
    )


def simulate_multidimensional(n: int, J: int, dims: int, seed: int, missing: float, block: int = 2048):
    """Multidimensional 2PL responses with a_jk ~ N(0, 1.5^2 / dims), d ~ N(0, 1),
    theta ~ N(0, I); constant columns nudged as in simulate. Returns y, a, d, theta."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.5 / np.sqrt(dims), (J, dims))
    d = rng.normal(0.0, 1.0, J)
    theta = rng.normal(size=(n, dims))
    y = np.empty((n, J))
    for start in range(0, J, block):
        cols = slice(start, min(start + block, J))
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(theta @ a[cols].T + d[cols])))
            part = (rng.random(p.shape) < p).astype(float)
            part[rng.random(p.shape) < missing] = np.nan
            mean = np.nanmean(part, axis=0)
            bad = (mean == 0) | (mean == 1)
            if not bad.any():
                break
            d[cols][bad] *= 0.5
        y[:, cols] = part
    return y, a, d, theta


def jmap_case(threads: int, quick: bool) -> None:
    n, J, dims = (395, 28659, 10) if not quick else (395, 4000, 10)
    y, a, d, theta = simulate_multidimensional(n, J, dims, seed=4, missing=0.05)
    before = peak_rss_mb()
    t_fit, res = best_time(lambda: irt.fit(y, dims=dims, method="jmap", n_threads=threads), 1)
    after = peak_rss_mb()
    fitted = res.theta @ res.a.T + res.d
    true = theta @ a.T + d
    corr = np.corrcoef(fitted.ravel(), true.ravel())[0, 1]
    print(
        f"{n} x {J} 2PL, dims={dims}, JMAP, 5% missing, {threads} threads: {t_fit:6.2f} s  "
        f"({res.n_iter} sweeps, {t_fit / res.n_iter:.2f} s each, converged {res.converged})"
    )
    print(f"                 correlation of fitted and generating logits {corr:.3f}")
    print(
        f"                 peak process memory {after:,.0f} MB (the float64 input alone is "
        f"{y.nbytes / 2**20:,.0f} MB; peak before the fit {before:,.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, no anchors")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["girth", "mirt", "leaderboard", "leaderboard-as-drawn", "jmap"])
    args = parser.parse_args()
    cases = {
        "girth": girth_case,
        "mirt": mirt_case,
        "leaderboard": leaderboard_case,
        "leaderboard-as-drawn": leaderboard_as_drawn_case,
        "jmap": jmap_case,
    }
    fresh = ("leaderboard", "leaderboard-as-drawn", "jmap")
    for name, case in cases.items():
        if args.only == name:
            case(args.threads, args.quick)
        elif args.only is None and name not in fresh:
            case(args.threads, args.quick)
    if args.only is None:
        # Fresh processes, so that each peak memory is its own and not the anchors'.
        extra = ["--quick"] if args.quick else []
        for name in fresh:
            subprocess.run(
                [sys.executable, __file__, "--only", name, "--threads", str(args.threads), *extra], check=True
            )


if __name__ == "__main__":
    main()
