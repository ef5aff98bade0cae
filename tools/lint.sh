#!/usr/bin/env bash
# Checks that the C++ follows .clang-format (clang-format --dry-run --Werror);
# fix with `clang-format -i FILE`. CLANG_FORMAT picks the binary (pip's
# clang-format package by default, the version CI pins).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
# The IRT files are being rewritten (issue #13); they join the check once formatted.
excluded='^cpp/(src|bindings)/irt\.cpp$|^cpp/include/precipice/irt\.hpp$'
mapfile -t files < <(git ls-files 'cpp/*.cpp' 'cpp/*.hpp' | grep -Ev "$excluded")
"$clang_format" --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
