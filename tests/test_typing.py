"""The package type-checks: ``mypy`` with the project's ``[tool.mypy]`` settings
(strict, the hand-written ``_core`` stubs included) reports nothing, and every
public function of the public modules is annotated (parameters and return)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "precipice"
# User-facing modules whose every public function is annotated.
PUBLIC = [
    "arena.py",
    "compat/fastchat.py",
    "datasets.py",
    "cli.py",
    "_progress.py",
    "_resample.py",
    "compat/human_eval.py",
    "compat/rliable/plot_utils.py",
    "irt/__init__.py",
    "irt/_curves.py",
    "irt/_item_fit.py",
    "irt/_results.py",
    "leaderboard.py",
]
# Still to annotate (issue #13). A module
# moves to PUBLIC when its last public function is annotated.
PENDING = [
    "bootstrap.py",
    "passk.py",
    "evals.py",
    "longform.py",
    "plot.py",
    "compat/lm_eval.py",
    "compat/scipy.py",
    "compat/rliable/library.py",
    "compat/rliable/metrics.py",
]


def test_stubs_and_marker_ship_with_the_package():
    assert (PACKAGE / "py.typed").is_file()
    for name in ("__init__", "bootstrap", "passk", "evals", "stats", "_testing"):
        assert (PACKAGE / "_core" / f"{name}.pyi").is_file()


def test_mypy_strict_is_clean():
    pytest.importorskip("mypy")
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", cache],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "MYPY_FORCE_COLOR": "0"},
            timeout=600,
        )
    assert done.returncode == 0, done.stdout + done.stderr


def _unannotated(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    missing = []
    for node in tree.body:
        functions = [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            functions = [
                f
                for f in node.body
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (not f.name.startswith("_") or f.name == "__init__")
            ]
        for func in functions:
            if func.name.startswith("_") and func.name != "__init__":
                continue
            args = func.args.posonlyargs + func.args.args + func.args.kwonlyargs
            args += [a for a in (func.args.vararg, func.args.kwarg) if a is not None]
            bare = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
            if bare or (func.returns is None and func.name != "__init__"):
                missing.append(f"{path.relative_to(PACKAGE)}:{func.lineno} {func.name} ({', '.join(bare) or 'return'})")
    return missing


def test_every_public_function_is_annotated():
    missing = [m for name in PUBLIC for m in _unannotated(PACKAGE / name)]
    assert missing == [], "public functions without annotations:\n" + "\n".join(missing)


def test_pending_modules_still_need_annotations():
    """A pending module with nothing left to annotate belongs in PUBLIC."""
    done = [name for name in PENDING if not _unannotated(PACKAGE / name)]
    assert done == [], f"move these to PUBLIC: {done}"
