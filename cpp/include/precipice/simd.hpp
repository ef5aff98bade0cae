// The one SIMD dispatcher: which vector width this CPU runs, found once.
//
// Kernels that gain from wider vectors are compiled per function for AVX2 or
// AVX-512F (PRECIPICE_TARGET_AVX2 / _AVX512) beside a baseline (SSE2 on x86-64)
// and picked at run time by simd_level(), so the portable x86-64 build (no
// -march, as wheels are) still uses them on CPUs that have them. GCC and Clang
// on x86-64 only (not clang-cl, which may lack the CPU-detection runtime);
// elsewhere (MSVC, ARM) the baseline runs. A wide version may only be used
// where its result is identical to the baseline's (integer work, or floating
// point in a fixed order: CMakeLists.txt builds with -ffp-contract=off, since
// AVX-512F brings FMA and GCC would otherwise fuse multiply-adds there).
//
// PRECIPICE_SIMD=sse2|avx2 caps the width, so that tests (and anyone curious)
// can run the narrower kernels on a wide machine and see the same results.
#pragma once

#include <cstdlib>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#define PRECIPICE_SIMD_SSE2 1
#include <emmintrin.h>
#endif

#if defined(PRECIPICE_SIMD_SSE2) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(_MSC_VER) && !defined(PRECIPICE_NO_CLONES)
#define PRECIPICE_SIMD_DISPATCH 1
#define PRECIPICE_TARGET_AVX2 __attribute__((target("avx2")))
#define PRECIPICE_TARGET_AVX512 __attribute__((target("avx512f")))
#include <immintrin.h>
#endif

// A kernel's body, written once and inlined into its baseline and AVX2 builds.
#if defined(__GNUC__) || defined(__clang__)
#define PRECIPICE_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PRECIPICE_ALWAYS_INLINE
#endif

namespace precipice {

enum class SimdLevel { base, avx2, avx512 };

// The widest kernels this CPU runs (the OS saving their registers), under the
// PRECIPICE_SIMD cap; base where nothing is dispatched.
inline SimdLevel simd_level() noexcept {
#if defined(PRECIPICE_SIMD_DISPATCH)
    static const SimdLevel level = [] {
        __builtin_cpu_init();
        SimdLevel cpu = SimdLevel::base;
        if (__builtin_cpu_supports("avx512f"))
            cpu = SimdLevel::avx512;
        else if (__builtin_cpu_supports("avx2"))
            cpu = SimdLevel::avx2;
        const char* cap = std::getenv("PRECIPICE_SIMD");
        if (cap != nullptr && std::strcmp(cap, "sse2") == 0) return SimdLevel::base;
        if (cap != nullptr && std::strcmp(cap, "avx2") == 0 && cpu == SimdLevel::avx512) return SimdLevel::avx2;
        return cpu;
    }();
    return level;
#else
    return SimdLevel::base;
#endif
}

// The width simd_level() picks, by name: "avx512", "avx2", "sse2" or "scalar".
inline const char* simd_name() noexcept {
    switch (simd_level()) {
        case SimdLevel::avx512:
            return "avx512";
        case SimdLevel::avx2:
            return "avx2";
        case SimdLevel::base:
            break;
    }
#if defined(PRECIPICE_SIMD_SSE2)
    return "sse2";
#else
    return "scalar";
#endif
}

}  // namespace precipice
