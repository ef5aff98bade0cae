"""Shared pytest configuration: one hypothesis profile for the whole suite.

The native kernels are fast, but the first call of a process pays for thread
start-up and numpy's first-use costs, so per-example deadlines only add flakes:
the profile turns them off and keeps hypothesis' default number of examples
(tests that need fewer say so). HYPOTHESIS_PROFILE=thorough runs more examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "precipice",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("precipice"),
    max_examples=500,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "precipice"))
