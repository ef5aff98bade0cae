#!/usr/bin/env bash
# The house style, checked: ruff (lint and format, configured in pyproject.toml)
# on the Python, clang-format (.clang-format) on the C++. .ci/run runs it; fix
# with `ruff check --fix . && ruff format .` and `clang-format -i FILE`.
# RUFF and CLANG_FORMAT pick the binaries (the test extra pins both).
set -euo pipefail
cd "$(dirname "$0")/.."
ruff=${RUFF:-ruff}
clang_format=${CLANG_FORMAT:-clang-format}
"$ruff" check python tests bench docs tools
"$ruff" format --check python tests bench docs tools
mapfile -t files < <(git ls-files 'cpp/*.cpp' 'cpp/*.hpp')
"$clang_format" --dry-run --Werror "${files[@]}"
echo "lint: ruff and clang-format (${#files[@]} C++ files) clean"
