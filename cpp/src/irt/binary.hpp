// The binary item model shared by the EM fit, the scoring and the joint fit
// (private to cpp/src/irt): item evaluation and priors, the parameter tables,
// the E-step, and the checks of options and data.
#pragma once

#include <cstdint>
#include <vector>

#include "precipice/irt.hpp"
#include "precipice/simd.hpp"

namespace precipice::irt::detail {

inline bool has_guess(Model m) { return m == Model::threepl; }

// ---------------------------------------------------------------------------
// Per-node derivatives of an item's expected complete-data log-likelihood
//   f = sum_q r_q log P_q + (n_q - r_q) log(1 - P_q)
// in (a, d, g = logit c). Written in forms that stay finite when P or 1 - P
// underflows: the 1/P and 1/(1 - P) factors are cancelled analytically.
struct ItemEval {
    double f = 0.0;
    double g[3] = {0, 0, 0};
    double h[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
};

// Nodes [begin, end) of the grid: outside it no subject has posterior mass.
struct NodeRange {
    std::size_t begin, end;
};

// Baseline or AVX2 build by simd_level() (PRECIPICE_SIMD caps it); the same bits either way.
void eval_item(bool guess, double a, double d, double gam, const double* r, const double* n, const Grid& grid,
               NodeRange range, bool derivatives, ItemEval& e);

// Log prior density terms (up to constants) and their derivatives.
void add_slope_prior(const Prior& prior, double a, ItemEval& e);

void add_intercept_prior(const Prior& prior, double d, ItemEval& e);

void add_guess_prior(const Prior& prior, double gam, ItemEval& e);

// ---------------------------------------------------------------------------
// M-step.
inline constexpr int kMaxNewton = 25;

// ---------------------------------------------------------------------------
struct Params {
    std::vector<double> a, d, g;  // g = logit c; unused unless the model has guessing
};

struct Tables {
    std::vector<double> log_wrong;  // (items, nodes) log(1 - P)
    std::vector<double> log_odds;   // (items, nodes) log P - log(1 - P), 3PL only
    std::vector<double> base;       // (nodes) sum over items of log(1 - P)
};

void compute_tables(Model model, const Params& p, const Grid& grid, int n_threads, Tables& t);

// One subject's posterior from its log joint density ll over the nodes, scaled
// to sum to `scale`, with negligible mass set to zero; span (when not null)
// receives the first and one past the last node with mass. Returns the
// marginal log-likelihood log sum_q exp(ll_q).
double normalise_posterior(const double* ll, std::int64_t Q, double scale, double* out, std::int32_t* span);

// Posterior over nodes per subject, times the subject's weight when `weighted`.
// Returns the weighted marginal log-likelihood; fills subject_ll (unweighted)
// when it is not null.
double estep(const BinaryResponses& data, Model model, const Params& p, const Tables& t, const Grid& grid,
             bool weighted, int n_threads, double* post, double* subject_ll, std::int32_t* spans = nullptr);

void check_estimable(const BinaryResponses& data, const Prior& prior);

Params start_values(const BinaryResponses& data, Model model);

void validate_options(const FitOptions& o, std::int64_t Q);

Params params_from(const BinaryResponses& data, const double* a, const double* d, const double* c, Model& model);

}  // namespace precipice::irt::detail
