// Pairwise-comparison ratings: Bradley-Terry by maximum likelihood on
// deduplicated battle cells, and its bootstrap.
//
// An arena table of N battles between m models has few distinct
// (model a, model b, outcome) combinations: 1.6M battles of 130 models collapse
// to about 22k cells. Every likelihood term of a cell is the same, so a fit
// runs over the cells with their counts, and a bootstrap resample of the
// battles is a Multinomial(N, count / N) vector of new counts over the cells.
//
// The linear predictor of a cell is eta = r[a] - r[b] + x . beta (x: the
// cell's optional feature row, "style control"). The outcome models:
//  - half: the score s of a in [0, 1] (win 1, tie 0.5, loss 0) with
//    P(a wins) = sigmoid(eta); log-likelihood s eta - log(1 + e^eta);
//  - Rao-Kupper (1967): P(a) = sigmoid(eta - tau), P(b) = sigmoid(-eta - tau),
//    tie the rest, tau = exp(kappa) > 0 (theta = e^tau >= 1 in their notation);
//  - Davidson (1970): P(a), P(tie), P(b) proportional to e^(eta/2), nu, e^(-eta/2),
//    nu = exp(lambda).
// The parameter vector is (r[0..m), beta[0..k), tie parameter kappa or lambda).
// Without a prior the ratings are defined up to a shift; fits report them
// summing to zero. Maximisation is Newton's method with step halving.
#pragma once

#include <cstdint>

namespace precipice::arena {

enum class TieModel : int { half = 0, rao_kupper = 1, davidson = 2 };

// The cells of a battle table; all arrays have n_cells entries (features:
// n_cells x n_features, C-contiguous, or nullptr when n_features == 0).
struct Cells {
    std::int64_t n_cells = 0;
    std::int64_t n_models = 0;
    std::int64_t n_features = 0;
    const std::int32_t* a = nullptr;
    const std::int32_t* b = nullptr;
    const double* outcome = nullptr;             // score of a; with a ties model exactly 0, 0.5 (tie) or 1
    const double* weight = nullptr;              // the weight of each battle of the cell
    const std::int64_t* multiplicity = nullptr;  // battles in the cell
    const double* features = nullptr;
};

struct FitOptions {
    TieModel ties = TieModel::half;
    double ridge = 0.0;          // precision of a N(0, 1/ridge) prior on each rating; 0: none
    double feature_ridge = 0.0;  // the same on each feature coefficient (style control); 0: none
    double tol = 1e-10;          // converged when no parameter moves by more than tol (logit scale)
    int max_iter = 100;
    double diverged = 50;  // a |rating| beyond this (logit) means the MLE is infinite
};

// Number of parameters: models + features + (1 with a ties model).
std::int64_t parameter_count(const Cells& cells, TieModel ties) noexcept;

enum class FitCode : int { converged = 0, max_iter = 1, diverged = 2, singular = 3 };

struct FitStatus {
    FitCode code = FitCode::converged;
    int iterations = 0;
    double loglik = 0.0;
};

// Maximises the (penalised) log-likelihood with cell counts `counts` (the
// multiplicities, or a bootstrap's; nullptr: cells.multiplicity), starting
// from params (parameter_count values), which receive the estimate.
FitStatus fit(const Cells& cells, const double* counts, const FitOptions& options, double* params);

// At params: the observed information -d2 loglik (P x P, without the prior)
// and the sum over battles of the outer products of their score vectors (the
// sandwich's "meat"), both row-major, P = parameter_count.
void information(const Cells& cells, const FitOptions& options, const double* params, double* info, double* meat);

// Bootstrap replicates first .. first + count - 1: replicate r redraws the
// battles as Multinomial(total, multiplicity / total) over the cells from the
// Philox stream (seed, first + r) and fits from `start` (the full-data fit).
// out[r * P + j]: the estimates, NaN for a replicate whose fit did not
// converge (a model without battles, a separated resample); codes[r]: its FitCode.
void bootstrap(const Cells& cells, const FitOptions& options, const double* start, std::uint64_t seed,
               std::uint64_t first, std::int64_t count, int n_threads, double* out, std::int32_t* codes);

// Online Elo over the battles in order (FastChat's compute_elo): before battle
// i, e_a = 1 / (1 + base^((r_b - r_a) / scale)), e_b = 1 / (1 + base^((r_a - r_b) / scale));
// then r_a += k (s_i - e_a), r_b += k (1 - s_i - e_b). ratings: n_models values,
// the initial ratings in, the final ones out. Sequential by definition.
void online_elo(const std::int32_t* a, const std::int32_t* b, const double* score, std::int64_t n, double k,
                double scale, double base, double* ratings) noexcept;

}  // namespace precipice::arena
