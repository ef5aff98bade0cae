#!/usr/bin/env bash
# Builds the compiled module in place (build/dev, ccache when present) and puts it
# beside the Python sources, so `PYTHONPATH=python python -m pytest` runs this tree.
# Extra arguments go to CMake (e.g. -DPRECIPICE_NATIVE=ON); BUILD_DIR and
# MODULE_DEST move the build and the copied module (tools/sanitize.sh uses them).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build/dev}
module_dest=${MODULE_DEST:-python/precipice}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPRECIPICE_WERROR=ON \
  -Dpybind11_DIR="$(python -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python)" \
  "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
cp "$build_dir"/_core*.so "$module_dest"/
