"""Long native calls stop on request: Ctrl-C (a signal seen between chunks) or an
exception from the progress callback ends the call with that exception after a
fraction of its work, leaves no work running, and the next call gives the same
numbers as before. The calls are sized to take seconds to minutes; a stopped one
must report fewer chunks done than its loop has (no timing assertions)."""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import precipice
import pytest
from precipice import _core, _progress, bootstrap, evals, irt, passk


class Stop(Exception):
    """Raised by a progress callback to stop a call."""


def stop_at_first_report(call, exception=Stop):
    """Runs call() with a progress callback that raises at its first report;
    returns the reports (done, total) seen."""
    reports = []

    def on_progress(done, total):
        reports.append((done, total))
        raise exception

    with _progress.reporting(on_progress), pytest.raises(exception):
        call()
    assert reports, "the kernel never reported progress"
    done, total = reports[-1]
    assert 0 <= done < total
    return reports


@contextmanager
def sigint_after_first_report(delay=0.2):
    """Sends SIGINT to this process (as Ctrl-C does) `delay` seconds after the
    first progress report of the call made in the block, while it runs natively.
    The SIGINT handler raises KeyboardInterrupt only inside the block, so a late
    signal cannot reach the test runner."""
    armed = threading.Event()
    armed.set()

    def handler(signum, frame):
        if armed.is_set():
            raise KeyboardInterrupt

    timers = []

    def on_progress(done, total):
        if not timers:
            timers.append(threading.Timer(delay, _thread.interrupt_main))
            timers[0].start()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        with _progress.reporting(on_progress):
            yield
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()
        armed.clear()
        signal.signal(signal.SIGINT, previous)
    assert timers, "the kernel never reported progress"


def os_threads() -> int | None:
    task = Path("/proc/self/task")
    return len(list(task.iterdir())) if task.exists() else None


SCORES = np.random.default_rng(0).random((10, 26))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_ctrl_c_stops_interval_estimates(n_threads):
    small = bootstrap.interval_estimates(SCORES, ["iqm", "median"], reps=2000, seed=1, n_threads=n_threads)
    threads_before = os_threads()
    with sigint_after_first_report(), pytest.raises(KeyboardInterrupt):
        # About 10**7 replicates of 1 us or more each: seconds to minutes.
        bootstrap.interval_estimates(SCORES, "iqm", reps=10**7, seed=1, n_threads=n_threads)
    again = bootstrap.interval_estimates(SCORES, ["iqm", "median"], reps=2000, seed=1, n_threads=n_threads)
    np.testing.assert_array_equal(again.interval, small.interval)
    np.testing.assert_array_equal(again.point, small.point)
    if threads_before is not None:
        # OpenMP keeps its idle pool; a stopped call adds no thread to it.
        assert os_threads() == threads_before


@pytest.mark.parametrize("n_threads", [1, 2])
def test_ctrl_c_in_a_single_long_chunk(n_threads):
    # 2 chunks of 30 s each: the stop must come from inside a chunk.
    with sigint_after_first_report(), pytest.raises(KeyboardInterrupt):
        _core._testing.spin(60.0, 2, n_threads)
    _core._testing.spin(0.01, 4, n_threads)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_callback_exception_stops_bootstrap_kernels(n_threads):
    x, y = SCORES, SCORES[::-1] * 0.9
    taus = np.linspace(0, 1, 11)
    reference = bootstrap.probability_of_improvement(x, y, reps=500, seed=3, n_threads=n_threads)
    stop_at_first_report(lambda: bootstrap.probability_of_improvement(x, y, reps=10**7, seed=3, n_threads=n_threads))
    stop_at_first_report(lambda: bootstrap.performance_profile(SCORES, taus, reps=10**7, n_threads=n_threads))
    stop_at_first_report(
        lambda: bootstrap.performance_profile(SCORES, taus, kind="task_means", reps=10**6, n_threads=n_threads)
    )
    again = bootstrap.probability_of_improvement(x, y, reps=500, seed=3, n_threads=n_threads)
    np.testing.assert_array_equal(again.interval, reference.interval)


def test_callback_exception_stops_the_quantile_pass():
    # One column of 4 * 10**6 replicates: the stop comes from within the column's pass.
    values = np.random.default_rng(1).random((4 * 10**6, 1))
    q_lo, q_hi = np.array([0.025]), np.array([0.975])
    stop_at_first_report(lambda: _core.stats.column_quantiles(values, q_lo, q_hi, 1))
    np.testing.assert_array_equal(
        _core.stats.column_quantiles(values, q_lo, q_hi, 1)[:, 0], np.percentile(values[:, 0], [2.5, 97.5])
    )


@pytest.mark.parametrize("n_threads", [1, 2])
def test_callback_exception_stops_evals_kernels(n_threads):
    rng = np.random.default_rng(2)
    a, b = rng.random(10**4), rng.random(10**4)
    reference = evals.paired_bootstrap(a, b, reps=200, seed=4, n_threads=n_threads)
    stop_at_first_report(lambda: evals.paired_bootstrap(a, b, reps=10**7, seed=4, n_threads=n_threads))
    again = evals.paired_bootstrap(a, b, reps=200, seed=4, n_threads=n_threads)
    np.testing.assert_array_equal(np.asarray(again.interval), np.asarray(reference.interval))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_callback_exception_stops_passk_kernels(n_threads):
    # Each over several seconds: maj@k of one problem at n = k = 9,000; mG-Pass@k
    # of every c at n = 10**5; the variance at k = 2**24 (a tenth of a second
    # per problem).
    stop_at_first_report(lambda: passk.maj_at_k([[4500, 4500]], [0], 9000, n_threads=n_threads))
    stop_at_first_report(
        lambda: passk.mg_pass_at_k(10**5, np.arange(10**5), [10, 100, 1000, 10000], n_threads=n_threads)
    )
    stop_at_first_report(lambda: passk.pass_at_k_variance(2**26, np.arange(1, 65), 2**24, n_threads=n_threads))
    problems = np.random.default_rng(5).random((10**6, 2))
    stop_at_first_report(lambda: _core.passk.problem_bootstrap(problems, 1, 0, 10**5, n_threads))
    np.testing.assert_array_equal(passk.maj_at_k([[3, 2, 1]], [0], 4), passk.maj_at_k([[3, 2, 1]], [0], 4))


def test_ctrl_c_stops_an_irt_fit():
    rng = np.random.default_rng(0)
    ability, slope, difficulty = rng.normal(size=20_000), rng.lognormal(0, 0.3, 2_000), rng.normal(size=2_000)
    responses = rng.random((20_000, 2_000)) < 1 / (1 + np.exp(-slope * (ability[:, None] - difficulty)))
    with sigint_after_first_report(), pytest.raises(KeyboardInterrupt):
        irt.fit(responses.astype(float), "2pl", max_iter=10**5, tol=1e-12)
    small = irt.fit(responses[:500, :20].astype(float), "2pl")
    assert np.array_equal(small.a, irt.fit(responses[:500, :20].astype(float), "2pl").a)


def test_progress_reports_each_loop():
    reports = []
    with _progress.reporting(lambda done, total: reports.append((done, total))):
        _core._testing.spin(0.5, 40, 2)
    assert reports
    assert all(0 <= done <= total == 40 for done, total in reports)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def raise_stop(done, total):
    raise Stop


def test_progress_blocks_nest_and_restore():
    outer, inner = [], []
    with _progress.reporting(lambda d, t: outer.append(d)):
        with _progress.reporting(lambda d, t: inner.append(d)):
            _core._testing.spin(0.2, 10, 1)
        with _progress.reporting(None):
            _core._testing.spin(0.2, 10, 1)
        assert not outer
        with pytest.raises(Stop), _progress.reporting(raise_stop):
            _core._testing.spin(5.0, 10, 1)
        _core._testing.spin(0.2, 10, 1)
    assert inner and outer
    assert _core._set_progress(None) is None


def test_progress_rejects_a_non_callable():
    with pytest.raises(TypeError, match="callback"), _progress.reporting(3):
        pass


def test_other_threads_report_to_their_own_callback():
    main_reports, thread_reports = [], []

    def work():
        with _progress.reporting(lambda d, t: thread_reports.append(d)):
            _core._testing.spin(0.3, 10, 1)

    with _progress.reporting(lambda d, t: main_reports.append(d)):
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    assert thread_reports and not main_reports


def test_sizes_whose_cost_grows_without_bound_are_refused():
    with pytest.raises(ValueError, match="k up to 2\\*\\*24"):
        passk.pass_at_k_variance(2**53 - 1, [10**9], 10**9)
    with pytest.raises(ValueError, match="successes must be at most 2\\*\\*32"):
        passk.pass_until([2**52], [2**51])
    with pytest.raises(ValueError, match="successes"):
        _core.passk.inverse_sampling_bounds(np.array([2**52]), np.array([2**51]), 0.025)
    # At the limits: finite answers.
    assert np.isfinite(passk.pass_until([2**40], [2**32]).interval).all()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_sigint_to_a_process_running_a_long_call():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from precipice import _progress, bootstrap

        shown = []

        def ready(done, total):
            if not shown:
                shown.append(done)
                print("running", flush=True)

        scores = np.random.default_rng(0).random((10, 26))
        with _progress.reporting(ready):
            bootstrap.interval_estimates(scores, "iqm", reps=10**7, n_threads=2)
        print("finished", flush=True)
    """)
    # The package the tests import, installed or built in place.
    env = dict(os.environ, PYTHONPATH=str(Path(precipice.__file__).resolve().parents[1]))
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as child:
        try:
            started = child.stdout.readline().strip()
            assert started == "running", child.stderr.read()
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=120)  # a guard against a hang, not a speed bound
        finally:
            child.kill()
            child.communicate()  # reaps it and closes the pipes, whatever happened above
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
