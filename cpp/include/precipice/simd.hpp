// Runtime dispatch for the few kernels that gain from wider vectors.
//
// GCC function multi-versioning builds an AVX2 clone beside the baseline one
// and picks at load time; wheels stay portable (no -march). Only where the
// loader supports it (glibc ifunc); elsewhere the plain code runs. A clone may
// only be used where its result is identical to the baseline's (integer work,
// or floating point in a fixed order: FMA contraction is not enabled).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(PRECIPICE_NO_CLONES)
#define PRECIPICE_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PRECIPICE_TARGET_CLONES
#endif
