#!/usr/bin/env bash
# Builds the compiled module in place (build/dev, ccache when present) and puts it
# beside the Python sources, so `PYTHONPATH=python python -m pytest` runs this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRECIPICE_WERROR=ON \
  -Dpybind11_DIR="$(python -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python)" \
  "${launcher[@]}" "$@" >/dev/null
cmake --build build/dev -j "$(nproc)"
cp build/dev/_core*.so python/precipice/
