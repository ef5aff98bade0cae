// The graded response model shared by the EM fit and the scoring (private to
// cpp/src/irt): the per-item layout, the category tables and the E-step.
#pragma once

#include <cstdint>
#include <vector>

#include "precipice/irt.hpp"

namespace precipice::irt::detail {

// Where each item's intercepts and categories sit in the flat per-item arrays.
struct GradedLayout {
    std::vector<int> K;                                   // categories per item
    std::vector<std::int64_t> threshold_at, category_at;  // offsets, with a final total
    int max_categories = 0;
    std::int64_t items() const { return static_cast<std::int64_t>(K.size()); }
};

GradedLayout graded_layout(std::vector<int> K);

// Whether a (a, d_1, .., d_{K-1}) vector lies in the parameter space.
bool graded_item_valid(int K, const double* x, bool positive_slope);

// (categories, nodes) log P_k(theta_q) for every item, rows at layout.category_at.
void graded_tables(const GradedLayout& layout, const double* a, const double* thresholds, const Grid& grid,
                   int n_threads, std::vector<double>& log_p);

// Posterior per subject (times its weight when `weighted`); returns the
// weighted marginal log-likelihood, fills subject_ll (unweighted) when not null.
double graded_estep(const OrdinalResponses& data, const GradedLayout& layout, const std::vector<double>& log_p,
                    const Grid& grid, bool weighted, int n_threads, double* post, double* subject_ll,
                    std::int32_t* spans);

// The layout and flat intercepts of given graded parameters (d padded with NaN),
// checked against the responses.
GradedLayout graded_params_from(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                                std::vector<double>& thresholds);

}  // namespace precipice::irt::detail
