"""n_threads=None: the thread count OpenMP would use (scikit-learn's convention)."""

import os
import subprocess
import sys

import precipice
import pytest
from precipice import _core
from precipice._validation import resolve_threads

# The package under test, installed (CI) or built in place: not the source folder.
PYTHON_DIR = os.path.dirname(os.path.dirname(precipice.__file__))


def effective_threads_in_child(env=None, cpus=None) -> int:
    """_core.effective_threads() in a fresh interpreter (OpenMP reads its
    environment once, at load), with the given environment and affinity."""
    child_env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    child_env.update(env or {})
    child_env["PYTHONPATH"] = PYTHON_DIR
    code = "from precipice import _core; print(_core.effective_threads())"
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus is not None else None
    out = subprocess.run(
        [sys.executable, "-c", code], env=child_env, preexec_fn=preexec, capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_none_is_the_effective_thread_count():
    assert resolve_threads(None) == (_core.effective_threads() if _core.has_openmp() else 1)
    assert _core.effective_threads() >= 1


def test_negative_counts_from_the_effective_thread_count():
    available = _core.effective_threads()
    expected = available if _core.has_openmp() else 1
    assert resolve_threads(-1) == expected
    with pytest.raises(ValueError, match="leaves no threads"):
        resolve_threads(-available - 1)


@pytest.mark.skipif(not _core.has_openmp(), reason="without OpenMP one thread runs")
def test_omp_num_threads_is_honoured_even_above_the_cores():
    assert effective_threads_in_child({"OMP_NUM_THREADS": "3"}) == 3
    assert effective_threads_in_child({"OMP_NUM_THREADS": "64"}) == 64


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_the_affinity_mask_caps_the_default():
    assert effective_threads_in_child(cpus={next(iter(os.sched_getaffinity(0)))}) == 1
    assert effective_threads_in_child() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize("bad", [0, 5000])
def test_bad_counts_are_refused(bad):
    with pytest.raises(ValueError, match="n_threads"):
        resolve_threads(bad)
