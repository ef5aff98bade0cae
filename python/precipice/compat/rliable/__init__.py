"""Drop-in for rliable 1.2.0: change ``from rliable import library`` to
``from precipice.compat.rliable import library`` (likewise ``metrics`` and
``plot_utils``) and get the same numbers, computed by precipice's engine.

Functions stacking compat metrics (``np.array([metrics.aggregate_iqm(x),
...])``, or per frame ``metrics.aggregate_iqm(s[..., f])`` for
sample-efficiency curves), ``metrics.probability_of_improvement`` on a pair
and the 2-D performance profiles run natively; any other function is called on
every resample, as in rliable, with a ``library.GenericPathWarning``.

Differences, all deliberate: ``random_state`` is honoured (rliable ignores it;
with None the seed comes from numpy's global generator, so ``np.random.seed``
still makes runs repeatable, though not with rliable's numbers); BCa takes its
acceleration per metric (arch 7.2 computes one from all metrics of a
vector-valued function together); arch and seaborn are not needed.
"""

import importlib

from . import library, metrics

__all__ = ["library", "metrics", "plot_utils"]


def __getattr__(name):
    # plot_utils needs matplotlib, an optional extra: import it on first use.
    # import_module, not "from . import": that form looks the name up on this
    # package first, which would call __getattr__ again.
    if name == "plot_utils":
        return importlib.import_module(f"{__name__}.plot_utils")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
