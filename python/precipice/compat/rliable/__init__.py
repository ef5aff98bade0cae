"""Drop-in for rliable 1.2.0: change ``from rliable import library`` to
``from precipice.compat.rliable import library`` (likewise ``metrics`` and
``plot_utils``) and get the same numbers, computed by precipice's engine.

Differences, all deliberate: ``random_state`` is honoured (rliable ignores it;
with None the seed comes from numpy's global generator, so ``np.random.seed``
still makes runs repeatable); BCa takes its acceleration per metric (arch 7.2
computes one from all metrics of a vector-valued function together); arch is
not needed.
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
