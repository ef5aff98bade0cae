// Item response theory. Unidimensional binary and graded (ordinal) items:
// marginal maximum likelihood by EM over a normal quadrature grid (Bock &
// Aitkin 1981), with optional priors, and ability scoring (EAP, MAP, ML).
// Multidimensional binary items: joint posterior mode of abilities and items.
//
// Binary items use the slope-intercept form P = c + (1 - c) / (1 + exp(-(a theta + d)))
// and ability theta ~ N(0, 1). Responses are packed into bitsets twice, by
// subject (for the E-step) and by item (for the expected counts of the M-step),
// so a 395 x 28,659 matrix takes a few megabytes.
//
// Graded items (Samejima) with categories 0 .. K-1 use R mirt's slope-intercept
// form P(X >= k | theta) = 1 / (1 + exp(-(a theta + d_k))), d_1 > ... > d_{K-1}.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace precipice::irt {

enum class Model : int { rasch = 0, onepl = 1, twopl = 2, threepl = 3 };
enum class ScoreMethod : int { eap = 0, map = 1, ml = 2 };

// The sizes of grid normal_grid accepts: below 5 nodes no fit is meaningful;
// beyond 401 (0.03 SD between nodes) a finer grid changes no estimate and only
// the (subjects, n_quad) posteriors grow.
constexpr int kMinQuad = 5;
constexpr int kMaxQuad = 401;

// n equally spaced nodes on [-6, 6] with normalised N(0, 1) weights: R mirt's
// default grid, so fits agree with mirt at its printed precision. Throws
// std::invalid_argument for n_quad outside [kMinQuad, kMaxQuad].
struct Grid {
    std::vector<double> nodes;
    std::vector<double> log_weights;
};
Grid normal_grid(int n_quad);

// Each prior is optional; pairs are (mean, sd) or (alpha, beta).
struct Prior {
    std::optional<std::pair<double, double>> slope;      // log a ~ N(mean, sd)
    std::optional<std::pair<double, double>> intercept;  // d ~ N(mean, sd)
    std::optional<std::pair<double, double>> guess;      // c ~ Beta(alpha, beta)
};

// 0/1 responses with missing cells, from a row-major (subjects, items) array
// of 0, 1 and NaN, and an optional weight (pattern count) per subject.
class BinaryResponses {
  public:
    // Throws std::invalid_argument naming the first cell that is not 0, 1 or NaN,
    // or the first negative / non-finite weight.
    BinaryResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items, const double* weights);

    // Throws std::invalid_argument naming a subject or item without responses.
    void require_responses() const;

    std::int64_t subjects() const noexcept { return n_subjects_; }
    std::int64_t items() const noexcept { return n_items_; }
    bool has_missing() const noexcept { return has_missing_; }

    // Bit j of subject i's row / bit i of item j's column.
    const std::uint64_t* correct_of_subject(std::int64_t i) const { return &correct_s_[i * words_s_]; }
    const std::uint64_t* missing_of_subject(std::int64_t i) const { return &missing_s_[i * words_s_]; }
    const std::uint64_t* correct_of_item(std::int64_t j) const { return &correct_i_[j * words_i_]; }
    const std::uint64_t* missing_of_item(std::int64_t j) const { return &missing_i_[j * words_i_]; }
    std::int64_t words_per_subject() const noexcept { return words_s_; }
    std::int64_t words_per_item() const noexcept { return words_i_; }

    double weight(std::int64_t i) const { return weight_[i]; }
    // Weighted numbers of correct and of answered responses per item.
    double item_correct(std::int64_t j) const { return item_correct_[j]; }
    double item_answered(std::int64_t j) const { return item_answered_[j]; }
    // Unweighted numbers of subjects with a correct / a missing response.
    std::int64_t item_n_correct(std::int64_t j) const { return item_n_correct_[j]; }
    std::int64_t item_n_missing(std::int64_t j) const { return item_n_missing_[j]; }

  private:
    std::int64_t n_subjects_, n_items_, words_s_, words_i_;
    bool has_missing_ = false;
    std::vector<std::uint64_t> correct_s_, missing_s_, correct_i_, missing_i_;
    std::vector<double> weight_, item_correct_, item_answered_;
    std::vector<std::int64_t> item_n_correct_, item_n_missing_, subject_n_answered_;
};

// Why an item's parameters were frozen during a fit (BinaryFit::flagged).
enum class ItemFlag : std::int8_t {
    none = 0,
    // |a| passed FitOptions::slope_bound: the item (nearly) separates the
    // subjects, its slope has no finite estimate; held at +-slope_bound with the
    // best intercept for that slope.
    slope_bound = 1,
    // |d| passed 15 + |a| * (largest |node|): the curve is flat over the grid
    // (a near-constant item); held there.
    intercept_bound = 2,
    // Everybody answers the item alike (no intercept prior): held from the start
    // at the intercept bound, the curve flat at 0 or 1.
    constant = 3,
};

// What fit_binary adds for the observed information (see BinaryFit).
enum class Information : int { none = 0, item_blocks = 1, full = 2 };

struct FitOptions {
    Model model = Model::twopl;
    double tol = 1e-4;  // converged when every parameter moves less than this
    int max_iter = 500;
    Prior prior;
    int n_threads = 1;
    // Slopes beyond +-slope_bound freeze the item there (ItemFlag::slope_bound).
    double slope_bound = 10.0;
    Information information = Information::none;
};

struct BinaryFit {
    std::vector<double> a, d, c;  // per item
    double loglik = 0.0;          // marginal log-likelihood at the estimates (no prior)
    // Every parameter of the items not flagged moved less than tol in the last map.
    bool converged = false;
    int n_iter = 0;
    std::vector<std::int8_t> flagged;  // per item, an ItemFlag; flagged items are frozen
    std::vector<double> posterior;     // (subjects, nodes), each row sums to 1
    // (items, nodes) expected numbers correct and answered at each node.
    std::vector<double> expected_correct, expected_answered;
    // (items, 3, 3) Hessian of each item's expected complete-data log-likelihood
    // in (a, d, logit c), without priors: the item blocks of the observed
    // information before the between-subject posterior variance is added.
    std::vector<double> item_hessian;
    // (items, 3) diagonal of the log-prior's Hessian in (a, d, logit c) at each
    // item's estimates (zero without priors; the slope prior's at a_j whatever
    // the model, so the 1PL's common slope reads item 0's).
    std::vector<double> prior_curvature;
    // Louis's correction, sum_i w_i Cov_post(score_i), which added to
    // item_hessian gives the Hessian of the marginal log-likelihood (Louis
    // 1982). With FitOptions::information: its item blocks (items, 3, 3) in
    // (a, d, logit c); with Information::full also rows (score_rows, K items),
    // K = 3 for the 3PL and 2 otherwise, item-major, whose cross-product
    // F'F is the whole correction (one row per subject and node with mass).
    std::vector<double> louis_blocks;
    std::vector<double> score_deviations;
    std::int64_t score_rows = 0;
};

// Items that everybody answers the same way have no finite ML intercept: without
// an intercept prior they are frozen (ItemFlag::constant). Throws
// std::invalid_argument for fits whose slopes the data cannot identify (fewer
// than 3 subjects, one share right for all, every item separating them).
BinaryFit fit_binary(const BinaryResponses& data, const Grid& grid, const FitOptions& options);

// theta and se per subject; ML gives +-inf (se inf) when the likelihood has no
// finite maximum (all correct, all wrong) and NaN for subjects with no responses.
void score_binary(const BinaryResponses& data, const double* a, const double* d, const double* c, ScoreMethod method,
                  const Grid& grid, int n_threads, double* theta, double* se);

// Posterior (subjects, nodes) and marginal log-likelihood per subject (unweighted)
// at given item parameters.
void posterior_binary(const BinaryResponses& data, const double* a, const double* d, const double* c, const Grid& grid,
                      int n_threads, double* posterior, double* loglik);

// ---------------------------------------------------------------------------
// Graded response model.

// Categories 0 .. K_j - 1 per item with missing cells, from a row-major
// (subjects, items) array of whole numbers and NaN, and optional weights.
// K_j is one more than the highest category seen in item j.
class OrdinalResponses {
  public:
    static constexpr int kMaxCategories = 256;

    // Throws std::invalid_argument naming the first cell that is not a whole
    // number in [0, kMaxCategories) or NaN, or the first negative / non-finite weight.
    OrdinalResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items, const double* weights);

    // Throws std::invalid_argument naming a subject or item without responses,
    // an item with a single category, or an item's category (below its highest)
    // that no row with a positive weight uses.
    void require_responses() const;

    std::int64_t subjects() const noexcept { return n_subjects_; }
    std::int64_t items() const noexcept { return n_items_; }
    int categories(std::int64_t j) const { return categories_[j]; }
    // Category per item of subject i / per subject of item j; -1 when missing.
    const std::int16_t* subject_row(std::int64_t i) const { return &by_subject_[i * n_items_]; }
    const std::int16_t* item_column(std::int64_t j) const { return &by_item_[j * n_subjects_]; }
    double weight(std::int64_t i) const { return weight_[i]; }
    // Weighted number of responses in category k of item j.
    double category_count(std::int64_t j, int k) const { return counts_[count_offset_[j] + k]; }

  private:
    std::int64_t n_subjects_, n_items_;
    std::vector<std::int16_t> by_subject_, by_item_;
    std::vector<int> categories_;
    std::vector<std::int64_t> count_offset_, subject_n_answered_, item_n_answered_;
    std::vector<double> weight_, counts_;
};

struct GradedFit {
    std::vector<double> a;  // per item
    // (items, max_categories - 1) intercepts d_1 > d_2 > ...; NaN past an item's K_j - 1.
    std::vector<double> d;
    int max_categories = 0;
    double loglik = 0.0;  // marginal log-likelihood at the estimates (no prior)
    bool converged = false;
    int n_iter = 0;
    std::vector<double> posterior;  // (subjects, nodes), each row sums to 1
    // (items, max_categories, max_categories) Hessian of each item's expected
    // complete-data log-likelihood in (a, d_1, .., d_{K_j - 1}), without priors,
    // zero past the item's own parameters.
    std::vector<double> item_hessian;
    // (items, max_categories) diagonal of the log-prior's Hessian in
    // (a, d_1, .., d_{K_j - 1}) at each item's estimates, zero past them.
    std::vector<double> prior_curvature;
};

// Slope and intercept priors apply (the intercept prior to every d_k); a
// guessing prior is rejected. options.model is ignored.
GradedFit fit_graded(const OrdinalResponses& data, const Grid& grid, const FitOptions& options);

// Item parameters as GradedFit holds them: a (items), d (items, max_categories - 1)
// with NaN past each item's last intercept. Throws std::invalid_argument for
// unordered intercepts or a response above an item's highest category.
void posterior_graded(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                      const Grid& grid, int n_threads, double* posterior, double* loglik);
// (items, max_categories, nodes, max_categories) gradient of log P(X = k | theta_q)
// in (a, d_1, .., d_{K_j - 1}) for each item j, category k and node q (the gap
// terms included), zero past an item's categories and parameters: the node
// scores of Louis's formula for graded items. a (items), d as posterior_graded takes them.
void graded_node_scores(const double* a, const double* d, std::int64_t n_items, int max_categories, const Grid& grid,
                        double* scores);
void score_graded(const OrdinalResponses& data, const double* a, const double* d, int max_categories,
                  ScoreMethod method, const Grid& grid, int n_threads, double* theta, double* se);

// ---------------------------------------------------------------------------
// Joint posterior mode of a multidimensional 2PL: P(y_ij = 1) = sigmoid(a_j . theta_i + d_j),
// theta_i ~ N(0, I_dims), with the item priors of `prior`. Abilities and items
// are updated in turn by one damped Newton step per subject (in parallel, items
// fixed) and one per item (in parallel, abilities fixed), accelerated by
// SQUAREM; converged when one sweep moves every parameter less than tol. The
// rotation of theta is not identified for dims > 1 (nor the sign for dims = 1
// without a lognormal slope prior): estimates are one mode among rotations.

struct JointOptions {
    int dims = 1;
    double tol = 1e-4;
    int max_iter = 500;
    Prior prior;  // guess must be empty
    // When true prior.slope = (mean, sd) is a normal prior on every slope
    // component; otherwise (dims = 1 only) the lognormal prior on a.
    bool normal_slope_prior = false;
    int n_threads = 1;
};

struct JointFit {
    std::vector<double> a;      // (items, dims)
    std::vector<double> d;      // (items)
    std::vector<double> theta;  // (subjects, dims)
    double loglik = 0.0;        // sum_ij w_i log P(y_ij | theta_i, a_j, d_j) at the estimates (no priors)
    bool converged = false;
    int n_iter = 0;  // sweeps
};

// theta_start: (subjects, dims) starting abilities (all zero is a saddle point).
// Throws std::invalid_argument as fit_binary does for unanswered rows and items
// and for constant items without an intercept prior.
JointFit fit_joint(const BinaryResponses& data, const double* theta_start, const JointOptions& options);

// Posterior modes (subjects, dims) of the abilities given items a (items, dims) and d.
void score_joint(const BinaryResponses& data, const double* a, const double* d, int dims, int n_threads, double* theta);

// S-X2 item fit (Orlando & Thissen, 2000) of binary items: per item, the
// subjects are grouped by summed score (1 .. items - 1), and the share of each
// group answering the item right is set against the model's, which integrates
// the item's curve against the summed-score distribution of the other items
// (Lord-Wingersky over the grid). Sparse cells are grouped as R mirt does: score
// groups without subjects are left out, a group of one subject joins the next,
// then a group with an expected count (right or wrong) below mincell joins a
// neighbour (at an end its only one, else the one with fewer subjects, the
// lower on a tie), lowest such group first, until none is left or one group is.
// probability: (grid nodes, items) P(right) at the grid's nodes; scores:
// (n_scores,) the summed scores that subjects have, increasing; group_size:
// (n_scores,) the subjects with each; right: (n_scores, items) those of them
// answering each item right (both weighted). Only scores subjects have are
// passed: the table stays as small as the data.
// statistic: (items,) the sum of (O - E)^2 / E over the groups' cells, NaN with
// fewer than two groups; groups: (items,) the groups left.
void s_x2(const double* probability, const Grid& grid, std::int64_t n_items, std::int64_t n_scores,
          const std::int64_t* scores, const double* group_size, const double* right, double mincell, int n_threads,
          double* statistic, std::int64_t* groups);

// P(X > x) for X chi-square with df > 0 degrees of freedom (the regularized
// upper incomplete gamma function Q(df / 2, x / 2)).
double chi_square_survival(double x, double df);

}  // namespace precipice::irt
