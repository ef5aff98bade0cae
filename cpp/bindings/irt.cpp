// Bindings of item response theory fitting and scoring: array conversion and
// shape checks with the GIL held, then packing, EM and scoring without it.
// Registered as the submodule precipice._core.irt (see module.cpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/irt.hpp"

namespace py = pybind11;
namespace irt = precipice::irt;
using precipice::bindings::require_1d;
using precipice::bindings::to_array;

namespace {

using Array = precipice::bindings::Reals;
using PriorPair = std::optional<std::pair<double, double>>;

// Cheap guard before any (subjects, n_quad) buffer is allocated; the user
// message comes from precipice.irt, and the core checks again.
void require_quad(int n_quad) {
    if (n_quad < irt::kMinQuad || n_quad > irt::kMaxQuad)
        throw py::value_error("n_quad must lie in [" + std::to_string(irt::kMinQuad) + ", " +
                              std::to_string(irt::kMaxQuad) + "], got " + std::to_string(n_quad));
}

// The compact response store (binary or ordinal) built without the GIL, after
// the shape checks that need it.
template <class Responses>
Responses pack_as(const Array& responses, const std::optional<Array>& counts) {
    if (responses.ndim() != 2)
        throw py::value_error("responses must have shape (num_subjects, num_items), got a " +
                              std::to_string(responses.ndim()) + "-D array");
    const auto N = responses.shape(0), J = responses.shape(1);
    const double* weights = nullptr;
    if (counts) {
        if (counts->ndim() != 1 || counts->shape(0) != N)
            throw py::value_error("counts must have one entry per row of responses (" + std::to_string(N) + ")");
        weights = counts->data();
    }
    const double* values = responses.data();
    precipice::bindings::InterruptGuard interrupt;
    py::gil_scoped_release release;
    return Responses(values, N, J, weights);
}

irt::BinaryResponses pack(const Array& responses, const std::optional<Array>& counts) {
    return pack_as<irt::BinaryResponses>(responses, counts);
}

py::dict fit_binary(const Array& responses, const std::optional<Array>& counts, irt::Model model, int n_quad,
                    double tol, int max_iter, PriorPair slope, PriorPair intercept, PriorPair guess,
                    irt::Information information, int n_threads) {
    require_quad(n_quad);
    const auto data = pack(responses, counts);
    irt::FitOptions options;
    options.model = model;
    options.tol = tol;
    options.max_iter = max_iter;
    options.prior = irt::Prior{slope, intercept, guess};
    options.n_threads = n_threads;
    options.information = information;
    irt::BinaryFit fit;
    irt::Grid grid;
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        grid = irt::normal_grid(n_quad);
        fit = irt::fit_binary(data, grid, options);
    }
    const py::ssize_t N = data.subjects(), J = data.items(), Q = n_quad;
    py::dict out;
    out["a"] = to_array(std::move(fit.a), {J});
    out["d"] = to_array(std::move(fit.d), {J});
    out["c"] = to_array(std::move(fit.c), {J});
    out["loglik"] = fit.loglik;
    out["converged"] = fit.converged;
    out["n_iter"] = fit.n_iter;
    out["flagged"] = to_array(std::move(fit.flagged), {J});
    out["posterior"] = to_array(std::move(fit.posterior), {N, Q});
    out["expected_correct"] = to_array(std::move(fit.expected_correct), {J, Q});
    out["expected_answered"] = to_array(std::move(fit.expected_answered), {J, Q});
    out["item_hessian"] = to_array(std::move(fit.item_hessian), {J, py::ssize_t{3}, py::ssize_t{3}});
    out["prior_curvature"] = to_array(std::move(fit.prior_curvature), {J, py::ssize_t{3}});
    if (options.information != irt::Information::none)
        out["louis_blocks"] = to_array(std::move(fit.louis_blocks), {J, py::ssize_t{3}, py::ssize_t{3}});
    if (options.information == irt::Information::full) {
        const py::ssize_t width = (options.model == irt::Model::threepl ? 3 : 2) * J;
        out["score_deviations"] =
            to_array(std::move(fit.score_deviations), {static_cast<py::ssize_t>(fit.score_rows), width});
    }
    out["nodes"] = to_array(std::move(grid.nodes), {Q});
    out["log_weights"] = to_array(std::move(grid.log_weights), {Q});
    return out;
}

void require_items(const Array& v, py::ssize_t J, const char* name) {
    if (v.ndim() != 1 || v.shape(0) != J)
        throw py::value_error(std::string(name) + " must have one entry per item (" + std::to_string(J) + ")");
}

py::tuple score_binary(const Array& responses, const Array& a, const Array& d, const Array& c, irt::ScoreMethod method,
                       int n_quad, int n_threads) {
    require_quad(n_quad);
    const auto data = pack(responses, std::nullopt);
    const py::ssize_t N = data.subjects(), J = data.items();
    require_items(a, J, "a");
    require_items(d, J, "d");
    require_items(c, J, "c");
    py::array_t<double> theta(N), se(N);
    double* t = theta.mutable_data();
    double* s = se.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const auto grid = irt::normal_grid(n_quad);
        irt::score_binary(data, a.data(), d.data(), c.data(), method, grid, n_threads, t, s);
    }
    return py::make_tuple(theta, se);
}

py::tuple posterior_binary(const Array& responses, const Array& a, const Array& d, const Array& c, int n_quad,
                           int n_threads) {
    require_quad(n_quad);
    const auto data = pack(responses, std::nullopt);
    const py::ssize_t N = data.subjects(), J = data.items(), Q = n_quad;
    require_items(a, J, "a");
    require_items(d, J, "d");
    require_items(c, J, "c");
    py::array_t<double> post({N, Q}), loglik(N);
    double* p = post.mutable_data();
    double* l = loglik.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const auto grid = irt::normal_grid(n_quad);
        irt::posterior_binary(data, a.data(), d.data(), c.data(), grid, n_threads, p, l);
    }
    return py::make_tuple(post, loglik);
}

irt::OrdinalResponses pack_ordinal(const Array& responses, const std::optional<Array>& counts) {
    return pack_as<irt::OrdinalResponses>(responses, counts);
}

py::dict fit_graded(const Array& responses, const std::optional<Array>& counts, int n_quad, double tol, int max_iter,
                    PriorPair slope, PriorPair intercept, int n_threads) {
    require_quad(n_quad);
    const auto data = pack_ordinal(responses, counts);
    irt::FitOptions options;
    options.tol = tol;
    options.max_iter = max_iter;
    options.prior = irt::Prior{slope, intercept, std::nullopt};
    options.n_threads = n_threads;
    irt::GradedFit fit;
    irt::Grid grid;
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        grid = irt::normal_grid(n_quad);
        fit = irt::fit_graded(data, grid, options);
    }
    const py::ssize_t N = data.subjects(), J = data.items(), Q = n_quad, K = fit.max_categories;
    py::dict out;
    out["a"] = to_array(std::move(fit.a), {J});
    out["d"] = to_array(std::move(fit.d), {J, K - 1});
    out["loglik"] = fit.loglik;
    out["converged"] = fit.converged;
    out["n_iter"] = fit.n_iter;
    out["posterior"] = to_array(std::move(fit.posterior), {N, Q});
    out["item_hessian"] = to_array(std::move(fit.item_hessian), {J, K, K});
    out["prior_curvature"] = to_array(std::move(fit.prior_curvature), {J, K});
    out["nodes"] = to_array(std::move(grid.nodes), {Q});
    out["log_weights"] = to_array(std::move(grid.log_weights), {Q});
    return out;
}

void require_intercepts(const Array& d, py::ssize_t J) {
    if (d.ndim() != 2 || d.shape(0) != J || d.shape(1) < 1)
        throw py::value_error("d must have shape (num_items, max_categories - 1) with one row per item (" +
                              std::to_string(J) + ")");
}

py::tuple score_graded(const Array& responses, const Array& a, const Array& d, irt::ScoreMethod method, int n_quad,
                       int n_threads) {
    require_quad(n_quad);
    const auto data = pack_ordinal(responses, std::nullopt);
    const py::ssize_t N = data.subjects(), J = data.items();
    require_items(a, J, "a");
    require_intercepts(d, J);
    const int K = static_cast<int>(d.shape(1)) + 1;
    py::array_t<double> theta(N), se(N);
    double* t = theta.mutable_data();
    double* s = se.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const auto grid = irt::normal_grid(n_quad);
        irt::score_graded(data, a.data(), d.data(), K, method, grid, n_threads, t, s);
    }
    return py::make_tuple(theta, se);
}

py::tuple posterior_graded(const Array& responses, const Array& a, const Array& d, int n_quad, int n_threads) {
    require_quad(n_quad);
    const auto data = pack_ordinal(responses, std::nullopt);
    const py::ssize_t N = data.subjects(), J = data.items(), Q = n_quad;
    require_items(a, J, "a");
    require_intercepts(d, J);
    const int K = static_cast<int>(d.shape(1)) + 1;
    py::array_t<double> post({N, Q}), loglik(N);
    double* p = post.mutable_data();
    double* l = loglik.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        const auto grid = irt::normal_grid(n_quad);
        irt::posterior_graded(data, a.data(), d.data(), K, grid, n_threads, p, l);
    }
    return py::make_tuple(post, loglik);
}

py::dict fit_joint(const Array& responses, const std::optional<Array>& counts, const Array& theta_start, int dims,
                   double tol, int max_iter, PriorPair slope, PriorPair intercept, bool normal_slope_prior,
                   int n_threads) {
    const auto data = pack(responses, counts);
    const py::ssize_t N = data.subjects(), J = data.items(), D = dims;
    if (theta_start.ndim() != 2 || theta_start.shape(0) != N || theta_start.shape(1) != D)
        throw py::value_error("theta_start must have shape (num_subjects, dims)");
    irt::JointOptions options;
    options.dims = dims;
    options.tol = tol;
    options.max_iter = max_iter;
    options.prior = irt::Prior{slope, intercept, std::nullopt};
    options.normal_slope_prior = normal_slope_prior;
    options.n_threads = n_threads;
    irt::JointFit fit;
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        fit = irt::fit_joint(data, theta_start.data(), options);
    }
    py::dict out;
    out["a"] = to_array(std::move(fit.a), {J, D});
    out["d"] = to_array(std::move(fit.d), {J});
    out["theta"] = to_array(std::move(fit.theta), {N, D});
    out["loglik"] = fit.loglik;
    out["converged"] = fit.converged;
    out["n_iter"] = fit.n_iter;
    return out;
}

py::array_t<double> graded_node_scores(const Array& a, const Array& d, int n_quad) {
    require_quad(n_quad);
    require_1d(a, "a");
    require_intercepts(d, a.shape(0));
    const py::ssize_t J = a.shape(0), K = d.shape(1) + 1, Q = n_quad;
    py::array_t<double> scores({J, K, Q, K});
    const auto g = irt::normal_grid(n_quad);
    irt::graded_node_scores(a.data(), d.data(), J, static_cast<int>(K), g, scores.mutable_data());
    return scores;
}

py::array_t<double> score_joint(const Array& responses, const Array& a, const Array& d, int n_threads) {
    const auto data = pack(responses, std::nullopt);
    const py::ssize_t N = data.subjects(), J = data.items();
    if (a.ndim() != 2 || a.shape(0) != J || a.shape(1) < 1)
        throw py::value_error("a must have shape (num_items, dims) with one row per item (" + std::to_string(J) + ")");
    require_items(d, J, "d");
    const py::ssize_t D = a.shape(1);
    py::array_t<double> theta({N, D});
    double* t = theta.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        irt::score_joint(data, a.data(), d.data(), static_cast<int>(D), n_threads, t);
    }
    return theta;
}

py::tuple grid(int n_quad) {
    require_quad(n_quad);
    auto g = irt::normal_grid(n_quad);
    const py::ssize_t Q = n_quad;
    return py::make_tuple(to_array(std::move(g.nodes), {Q}), to_array(std::move(g.log_weights), {Q}));
}

py::tuple s_x2(const Array& probability, int n_quad, const precipice::bindings::Ints& scores, const Array& group_size,
               const Array& right, double mincell, int n_threads) {
    require_quad(n_quad);
    if (probability.ndim() != 2 || probability.shape(0) != n_quad)
        throw py::value_error("probability: need (n_quad, items)");
    const auto J = probability.shape(1);
    const auto G = scores.ndim() == 1 ? scores.shape(0) : -1;
    if (G < 0 || group_size.ndim() != 1 || group_size.shape(0) != G)
        throw py::value_error("scores, group_size: need one subject count per summed score");
    if (right.ndim() != 2 || right.shape(0) != G || right.shape(1) != J)
        throw py::value_error("right: need (summed scores, items)");
    if (!(mincell >= 0.0)) throw py::value_error("mincell must be non-negative");
    const auto g = irt::normal_grid(n_quad);
    py::array_t<double> statistic(J);
    py::array_t<std::int64_t> groups(J);
    double* stat_ptr = statistic.mutable_data();
    std::int64_t* groups_ptr = groups.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        irt::s_x2(probability.data(), g, J, G, scores.data(), group_size.data(), right.data(), mincell, n_threads,
                  stat_ptr, groups_ptr);
    }
    return py::make_tuple(statistic, groups);
}

}  // namespace

void register_irt(py::module_& m) {
    py::enum_<irt::Model>(m, "Model", "The binary IRT models.")
        .value("rasch", irt::Model::rasch)
        .value("onepl", irt::Model::onepl)
        .value("twopl", irt::Model::twopl)
        .value("threepl", irt::Model::threepl);
    py::enum_<irt::ScoreMethod>(m, "ScoreMethod", "How abilities are scored.")
        .value("eap", irt::ScoreMethod::eap)
        .value("map", irt::ScoreMethod::map)
        .value("ml", irt::ScoreMethod::ml);
    py::enum_<irt::Information>(m, "Information", "What a binary fit adds for the observed information.")
        .value("none", irt::Information::none)
        .value("item_blocks", irt::Information::item_blocks)
        .value("full", irt::Information::full);
    py::enum_<irt::ItemFlag>(m, "ItemFlag", "Why a fit froze an item (the codes of a binary fit's flagged).")
        .value("none", irt::ItemFlag::none)
        .value("slope_bound", irt::ItemFlag::slope_bound)
        .value("intercept_bound", irt::ItemFlag::intercept_bound)
        .value("constant", irt::ItemFlag::constant);
    m.attr("MIN_QUAD") = irt::kMinQuad;
    m.attr("MAX_QUAD") = irt::kMaxQuad;
    m.attr("SLOPE_BOUND") = irt::FitOptions{}.slope_bound;
    m.def("fit_binary", &fit_binary, py::arg("responses"), py::arg("counts"), py::arg("model"), py::arg("n_quad"),
          py::arg("tol"), py::arg("max_iter"), py::arg("slope_prior"), py::arg("intercept_prior"),
          py::arg("guess_prior"), py::arg("information"), py::arg("n_threads"),
          "EM fit of a binary IRT model; a dict of estimates and by-products (information: item_blocks adds "
          "Louis's item blocks, full also the score deviations of the full information).");
    m.def("score_binary", &score_binary, py::arg("responses"), py::arg("a"), py::arg("d"), py::arg("c"),
          py::arg("method"), py::arg("n_quad"), py::arg("n_threads"), "(theta, se) per subject.");
    m.def("posterior_binary", &posterior_binary, py::arg("responses"), py::arg("a"), py::arg("d"), py::arg("c"),
          py::arg("n_quad"), py::arg("n_threads"), "(posterior (subjects, nodes), log-likelihood per subject).");
    m.def("fit_graded", &fit_graded, py::arg("responses"), py::arg("counts"), py::arg("n_quad"), py::arg("tol"),
          py::arg("max_iter"), py::arg("slope_prior"), py::arg("intercept_prior"), py::arg("n_threads"),
          "EM fit of the graded response model; a dict of estimates and by-products.");
    m.def("score_graded", &score_graded, py::arg("responses"), py::arg("a"), py::arg("d"), py::arg("method"),
          py::arg("n_quad"), py::arg("n_threads"), "(theta, se) per subject for graded items.");
    m.def("posterior_graded", &posterior_graded, py::arg("responses"), py::arg("a"), py::arg("d"), py::arg("n_quad"),
          py::arg("n_threads"), "(posterior (subjects, nodes), log-likelihood per subject).");
    m.def("graded_node_scores", &graded_node_scores, py::arg("a"), py::arg("d"), py::arg("n_quad"),
          "(items, max_categories, n_quad, max_categories) gradients of log P(X = k | node) in (a, d_1, ..).");
    m.def("fit_joint", &fit_joint, py::arg("responses"), py::arg("counts"), py::arg("theta_start"), py::arg("dims"),
          py::arg("tol"), py::arg("max_iter"), py::arg("slope_prior"), py::arg("intercept_prior"),
          py::arg("normal_slope_prior"), py::arg("n_threads"),
          "Joint posterior mode of a multidimensional 2PL; a dict with a, d, theta, loglik.");
    m.def("score_joint", &score_joint, py::arg("responses"), py::arg("a"), py::arg("d"), py::arg("n_threads"),
          "Posterior modes (subjects, dims) of the abilities given the items.");
    m.def("grid", &grid, py::arg("n_quad"), "(nodes, log_weights) of the normal quadrature grid.");
    m.def("s_x2", &s_x2, py::arg("probability"), py::arg("n_quad"), py::arg("scores"), py::arg("group_size"),
          py::arg("right"), py::arg("mincell"), py::arg("n_threads"),
          "(statistic, groups) of the S-X2 item fit, per item.");
}
