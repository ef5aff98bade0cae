#!/usr/bin/env bash
# The test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of
# the compiled module. Any report fails the run (UBSan does not recover; ASan
# aborts on the first error). The sanitized module goes into a copy of the
# package under build/sanitize, so the in-place build is left alone.
#   tools/sanitize.sh [pytest arguments]      (default: the whole suite)
set -euo pipefail
cd "$(dirname "$0")/.."
stage=build/sanitize/python
rm -rf "$stage" && mkdir -p "$stage"
cp -r python/precipice "$stage"/ && rm -f "$stage"/precipice/_core*.so
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
BUILD_DIR=build/sanitize/cmake MODULE_DEST="$stage/precipice" tools/dev-build.sh \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" -DPRECIPICE_WERROR=OFF
# The interpreter is not instrumented, so the ASan runtime must be loaded first;
# leak checking is off because CPython keeps its own allocations to the end.
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
PYTHONPATH="$stage" python -m pytest -q -p no:cacheprovider "${@:-tests}"
