#include "precipice/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace precipice {

namespace {

// ceil(quota / period) of the first cgroup CPU limit found (v2, then v1), or 0
// for none. The files are those of the process's own cgroup inside a container.
int cgroup_cpu_limit() noexcept {
    try {
        std::ifstream v2("/sys/fs/cgroup/cpu.max");
        std::string quota;
        double period = 0.0;
        if (v2 >> quota >> period) {
            if (quota == "max" || period <= 0.0) return 0;
            return static_cast<int>(std::ceil(std::stod(quota) / period));
        }
        std::ifstream v1_quota("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
            v1_period("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
        double q = 0.0;
        if (v1_quota >> q && v1_period >> period && q > 0.0 && period > 0.0)
            return static_cast<int>(std::ceil(q / period));
    } catch (...) {  // an unreadable or odd file is no limit
    }
    return 0;
}

}  // namespace

int usable_cpus() noexcept {
    int cpus = 0;
#if defined(__linux__)
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) == 0) cpus = CPU_COUNT(&mask);
#endif
    if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
    const int quota = cgroup_cpu_limit();
    if (quota > 0) cpus = std::min(cpus, quota);
    return std::max(cpus, 1);
}

int effective_threads() noexcept {
#ifdef PRECIPICE_HAVE_OPENMP
    const int max_threads = std::max(omp_get_max_threads(), 1);
    const char* env = std::getenv("OMP_NUM_THREADS");
    if (env != nullptr && *env != '\0') return max_threads;
    return std::min(max_threads, usable_cpus());
#else
    return 1;
#endif
}

}  // namespace precipice
