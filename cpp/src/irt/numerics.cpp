// The numerics of cpp/src/irt/numerics.hpp that are not templates, and the quadrature grid.

#include "numerics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "precipice/irt.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace detail {

bool solve_spd(int k, const double* M, const double* b, double* x) {
    double lambda = 0.0, scale = 0.0;
    for (int i = 0; i < k; ++i) scale = std::max(scale, std::abs(M[i * k + i]));
    if (!(scale > 0) || !std::isfinite(scale)) scale = 1.0;
    Scratch mem(static_cast<std::size_t>(k * k + k));
    double* L = mem.data();
    double* y = L + k * k;
    for (int attempt = 0; attempt < 40; ++attempt) {
        bool ok = true;
        for (int i = 0; i < k && ok; ++i) {
            for (int j = 0; j <= i; ++j) {
                double s = M[i * k + j] + (i == j ? lambda : 0.0);
                for (int m = 0; m < j; ++m) s -= L[i * k + m] * L[j * k + m];
                if (i == j) {
                    if (!(s > 1e-12 * scale)) {
                        ok = false;
                        break;
                    }
                    L[i * k + i] = std::sqrt(s);
                } else {
                    L[i * k + j] = s / L[j * k + j];
                }
            }
        }
        if (ok) {
            for (int i = 0; i < k; ++i) {
                double s = b[i];
                for (int m = 0; m < i; ++m) s -= L[i * k + m] * y[m];
                y[i] = s / L[i * k + i];
            }
            for (int i = k - 1; i >= 0; --i) {
                double s = y[i];
                for (int m = i + 1; m < k; ++m) s -= L[m * k + i] * x[m];
                x[i] = s / L[i * k + i];
            }
            return true;
        }
        lambda = lambda == 0.0 ? 1e-6 * scale : lambda * 10.0;
    }
    return false;
}

}  // namespace detail

// ---------------------------------------------------------------------------
Grid normal_grid(int n_quad) {
    if (n_quad < kMinQuad || n_quad > kMaxQuad) throw std::invalid_argument("n_quad outside [kMinQuad, kMaxQuad]");
    Grid g;
    g.nodes.resize(static_cast<std::size_t>(n_quad));
    g.log_weights.resize(static_cast<std::size_t>(n_quad));
    double total = 0.0;
    for (int q = 0; q < n_quad; ++q) {
        g.nodes[q] = -6.0 + 12.0 * q / (n_quad - 1);
        total += std::exp(-0.5 * g.nodes[q] * g.nodes[q]);
    }
    for (int q = 0; q < n_quad; ++q) g.log_weights[q] = -0.5 * g.nodes[q] * g.nodes[q] - std::log(total);
    return g;
}

}  // namespace precipice::irt
