"""The package type-checks: ``mypy`` with the project's ``[tool.mypy]`` settings
(strict, the hand-written ``_core`` stubs included) reports nothing, nor on
typical calls of the public API (tests/api_types.py, where no result may contain
``Any``); and every public function of the public modules is annotated
(parameters and return) and has a numpydoc docstring (Parameters / Returns
sections)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "precipice"
# User-facing modules whose every public function is annotated and documented.
PUBLIC = [
    "calibration.py",
    "arena.py",
    "compat/fastchat.py",
    "datasets.py",
    "cli.py",
    "_progress.py",
    "_resample.py",
    "agreement.py",
    "compat/human_eval.py",
    "compat/rliable/plot_utils.py",
    "irt/__init__.py",
    "irt/_curves.py",
    "irt/_item_fit.py",
    "irt/_results.py",
    "leaderboard.py",
    "judge.py",
    "ranking.py",
    "bootstrap.py",
    "compat/rliable/library.py",
    "compat/rliable/metrics.py",
    "passk.py",
    "evals.py",
    "longform.py",
    "compat/scipy.py",
    "plot.py",
    "compat/lm_eval.py",
]


def test_stubs_and_marker_ship_with_the_package():
    assert (PACKAGE / "py.typed").is_file()
    for name in ("__init__", "bootstrap", "calibration", "passk", "evals", "stats", "_testing"):
        assert (PACKAGE / "_core" / f"{name}.pyi").is_file()


def test_mypy_strict_is_clean():
    pytest.importorskip("mypy")
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            # The package as configured, and typical calls of its API (api_types.py:
            # no result may contain Any).
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(ROOT / "pyproject.toml"),
                "--cache-dir",
                cache,
                "python/precipice",
                "tests/api_types.py",
            ],
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


def _public_functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]]:
    """Module-level public functions and the public methods (and ``__init__``) of public classes."""
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            found.append((node, None))
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += [
                (f, node)
                for f in node.body
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (not f.name.startswith("_") or f.name == "__init__")
            ]
    return found


def _has_section(doc: str, title: str) -> bool:
    return re.search(rf"^[ \t]*{title}[ \t]*\n[ \t]*-{{3,}}[ \t]*$", doc, re.MULTILINE) is not None


def _undocumented(path: Path) -> list[str]:
    """Public functions whose docstring lacks the numpydoc sections they need:
    Parameters when they take any (an ``__init__``'s are documented in its
    class's docstring), Returns (or Yields) when they return something other
    than None. Properties are documented by their summary line."""
    missing = []
    for func, owner in _public_functions(ast.parse(path.read_text(), str(path))):
        decorators = {ast.unparse(d) for d in func.decorator_list}
        if "property" in decorators or any(d.endswith((".setter", "overload")) for d in decorators):
            continue
        where = f"{path.relative_to(PACKAGE)}:{func.lineno} {func.name}"
        doc = ast.get_docstring(owner if func.name == "__init__" and owner is not None else func)
        if not doc:
            missing.append(f"{where} (no docstring)")
            continue
        args = func.args.posonlyargs + func.args.args + func.args.kwonlyargs
        args += [a for a in (func.args.vararg, func.args.kwarg) if a is not None]
        if any(a.arg not in ("self", "cls") for a in args) and not _has_section(doc, "Parameters"):
            missing.append(f"{where} (Parameters)")
        # A context manager's generator yields None: nothing to return.
        returns_none = func.returns is not None and ast.unparse(func.returns) in ("None", "NoReturn", "Iterator[None]")
        if func.name != "__init__" and not returns_none:
            if not (_has_section(doc, "Returns") or _has_section(doc, "Yields")):
                missing.append(f"{where} (Returns)")
    return missing


def test_every_public_function_has_a_numpydoc_docstring():
    missing = [m for name in PUBLIC for m in _undocumented(PACKAGE / name)]
    assert missing == [], "public functions without numpydoc Parameters / Returns:\n" + "\n".join(missing)
