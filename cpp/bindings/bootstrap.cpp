// Bindings of the stratified bootstrap: array conversion and shape checks with
// the GIL held, then the kernels with the GIL released. No statistics here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "arrays.hpp"
#include "interrupt.hpp"
#include "precipice/bootstrap.hpp"
#include "precipice/hierarchical.hpp"
#include "precipice/quantiles.hpp"

namespace py = pybind11;
namespace bs = precipice::bootstrap;
using precipice::bindings::require_count;
using precipice::bindings::require_ndim;

namespace {

using Scores = precipice::bindings::Reals;
using MetricTuple = std::tuple<bs::MetricKind, double, std::vector<double>>;
using Pair = std::pair<std::uint32_t, std::uint32_t>;

std::vector<bs::Metric> to_metrics(const std::vector<MetricTuple>& specs) {
    std::vector<bs::Metric> metrics;
    for (const auto& [kind, param, taus] : specs) {
        bs::Metric m;
        m.kind = kind;
        m.param = param;
        m.taus = taus;
        metrics.push_back(std::move(m));
    }
    if (metrics.empty()) throw py::value_error("metrics: at least one metric is required");
    return metrics;
}

// scores (runs, tasks, frames) -> one Strata per frame. Runs without the GIL.
std::vector<bs::Strata> frames_of(const Scores& scores) {
    require_ndim(scores, 3, "scores");
    const auto runs = scores.shape(0), tasks = scores.shape(1), frames = scores.shape(2);
    if (runs == 0 || tasks == 0 || frames == 0) throw py::value_error("scores: empty array");
    const double* data = scores.data();
    std::vector<bs::Strata> out;
    py::gil_scoped_release release;
    out.reserve(static_cast<std::size_t>(frames));
    for (py::ssize_t f = 0; f < frames; ++f) out.emplace_back(data, runs, tasks, frames, f);
    return out;
}

py::array_t<double> replicates(const Scores& scores, const std::vector<MetricTuple>& specs, std::uint64_t seed,
                               std::uint64_t first, std::int64_t count, bool task_bootstrap, int n_threads) {
    require_count(count);
    const auto metrics = to_metrics(specs);
    const auto frames = frames_of(scores);
    const auto n_out = static_cast<py::ssize_t>(bs::total_outputs(metrics));
    const auto n_frames = static_cast<py::ssize_t>(frames.size());
    const auto n = static_cast<py::ssize_t>(count);
    const auto item = static_cast<py::ssize_t>(sizeof(double));
    // A (count, frames, outputs) view of memory laid out (frames, outputs, count).
    py::array_t<double> out({n, n_frames, n_out}, {item, n_out * n * item, n * item});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::replicates(frames, metrics, seed, first, count, task_bootstrap, n_threads, ptr);
    }
    return out;
}

py::array_t<double> point(const Scores& scores, const std::vector<MetricTuple>& specs) {
    const auto metrics = to_metrics(specs);
    const auto frames = frames_of(scores);
    py::array_t<double> out(
        {static_cast<py::ssize_t>(frames.size()), static_cast<py::ssize_t>(bs::total_outputs(metrics))});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::point_estimates(frames, metrics, ptr);
    }
    return out;
}

py::array_t<double> jackknife(const Scores& scores, const std::vector<MetricTuple>& specs) {
    const auto metrics = to_metrics(specs);
    const auto frames = frames_of(scores);
    const auto runs = static_cast<std::uint32_t>(scores.shape(0));
    py::array_t<double> out({static_cast<py::ssize_t>(runs), static_cast<py::ssize_t>(frames.size()),
                             static_cast<py::ssize_t>(bs::total_outputs(metrics))});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::jackknife(frames, metrics, runs, ptr);
    }
    return out;
}

py::array_t<double> resample(const Scores& scores, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                             bool task_bootstrap, int n_threads) {
    require_count(count);
    const auto frames = frames_of(scores);
    const auto runs = static_cast<std::uint32_t>(scores.shape(0));
    py::array_t<double> out({static_cast<py::ssize_t>(count), scores.shape(0), scores.shape(1), scores.shape(2)});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::resample_data(frames, seed, first, count, task_bootstrap, runs, n_threads, ptr);
    }
    return out;
}

py::tuple resample_rows(const Scores& scores, std::uint64_t seed, std::uint64_t first, std::int64_t count,
                        bool task_bootstrap, int n_threads) {
    require_count(count);
    const auto frames = frames_of(scores);
    const auto runs = static_cast<std::uint32_t>(scores.shape(0));
    py::array_t<std::int64_t> rows(
        {static_cast<py::ssize_t>(count), scores.shape(0), scores.shape(1), scores.shape(2)});
    py::array_t<std::int64_t> tasks({static_cast<py::ssize_t>(count), scores.shape(1), scores.shape(2)});
    std::int64_t* rows_ptr = rows.mutable_data();
    std::int64_t* tasks_ptr = tasks.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::resample_rows(frames, seed, first, count, task_bootstrap, runs, n_threads, rows_ptr, tasks_ptr);
    }
    return py::make_tuple(rows, tasks);
}

std::vector<bs::Strata> algorithms_of(const std::vector<Scores>& scores) {
    std::vector<bs::Strata> out;
    for (std::size_t a = 0; a < scores.size(); ++a) {
        require_ndim(scores[a], 2, "scores");
        if (scores[a].shape(0) == 0 || scores[a].shape(1) == 0)
            throw py::value_error("scores: empty array for algorithm " + std::to_string(a));
        out.emplace_back(scores[a].data(), scores[a].shape(0), scores[a].shape(1), 1, 0);
    }
    return out;
}

py::array_t<double> improvement_replicates(const std::vector<Scores>& scores, const std::vector<Pair>& pairs,
                                           std::uint64_t seed, std::uint64_t first, std::int64_t count, int n_threads) {
    require_count(count);
    const auto algorithms = algorithms_of(scores);
    py::array_t<double> out({static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(pairs.size())});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::improvement_replicates(algorithms, pairs, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<double> improvement_point(const std::vector<Scores>& scores, const std::vector<Pair>& pairs) {
    const auto algorithms = algorithms_of(scores);
    py::array_t<double> out(static_cast<py::ssize_t>(pairs.size()));
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::improvement_point(algorithms, pairs, ptr);
    }
    return out;
}

py::array_t<std::int64_t> profile_histograms(const Scores& scores, const MetricTuple& spec, std::uint32_t denominator,
                                             std::uint64_t seed, std::uint64_t first, std::int64_t count,
                                             bool task_bootstrap, int n_threads) {
    require_count(count);
    const auto metric = to_metrics({spec})[0];
    if (!metric.is_profile()) throw py::value_error("metric: not a profile");
    const auto frames = frames_of(scores);
    py::array_t<std::int64_t> out({static_cast<py::ssize_t>(frames.size()),
                                   static_cast<py::ssize_t>(metric.taus.size()),
                                   static_cast<py::ssize_t>(denominator) + 1});
    std::int64_t* ptr = out.mutable_data();
    std::fill(ptr, ptr + out.size(), std::int64_t{0});
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::profile_histograms(frames, metric, denominator, seed, first, count, task_bootstrap, n_threads, ptr);
    }
    return out;
}

// values (n,), weights (n,) or empty for none, children one offsets array per
// stage, resample one flag per stage -> the design. Copies, with the GIL held.
bs::Hierarchy hierarchy_of(const Scores& values, const Scores& weights,
                           const std::vector<precipice::bindings::Ints>& children, const std::vector<bool>& resample) {
    precipice::bindings::require_1d(values, "values");
    precipice::bindings::require_1d(weights, "weights");
    if (weights.shape(0) != 0) precipice::bindings::require_same_length(values, "values", weights, "weights");
    std::vector<std::vector<std::int64_t>> offsets;
    for (const auto& c : children) {
        precipice::bindings::require_1d(c, "children");
        offsets.emplace_back(c.data(), c.data() + c.shape(0));
    }
    return bs::Hierarchy(values.data(), weights.shape(0) != 0 ? weights.data() : nullptr, values.shape(0),
                         std::move(offsets), resample);
}

py::array_t<double> hierarchical_replicates(const Scores& values, const Scores& weights,
                                            const std::vector<precipice::bindings::Ints>& children,
                                            const std::vector<bool>& resample, const std::vector<MetricTuple>& specs,
                                            std::uint64_t seed, std::uint64_t first, std::int64_t count,
                                            int n_threads) {
    require_count(count);
    const auto metrics = to_metrics(specs);
    const auto hierarchy = hierarchy_of(values, weights, children, resample);
    const auto n_out = static_cast<py::ssize_t>(metrics.size());
    const auto n = static_cast<py::ssize_t>(count);
    const auto item = static_cast<py::ssize_t>(sizeof(double));
    // A (count, outputs) view of memory laid out (outputs, count).
    py::array_t<double> out({n, n_out}, {item, n * item});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::hierarchical_replicates(hierarchy, metrics, seed, first, count, n_threads, ptr);
    }
    return out;
}

py::array_t<double> hierarchical_point(const Scores& values, const Scores& weights,
                                       const std::vector<precipice::bindings::Ints>& children,
                                       const std::vector<bool>& resample, const std::vector<MetricTuple>& specs) {
    const auto metrics = to_metrics(specs);
    const auto hierarchy = hierarchy_of(values, weights, children, resample);
    py::array_t<double> out(static_cast<py::ssize_t>(metrics.size()));
    double* ptr = out.mutable_data();
    {
        py::gil_scoped_release release;
        bs::hierarchical_point(hierarchy, metrics, ptr);
    }
    return out;
}

py::array_t<double> hierarchical_jackknife(const Scores& values, const Scores& weights,
                                           const std::vector<precipice::bindings::Ints>& children,
                                           const std::vector<bool>& resample, const std::vector<MetricTuple>& specs,
                                           std::size_t level, int n_threads) {
    const auto metrics = to_metrics(specs);
    const auto hierarchy = hierarchy_of(values, weights, children, resample);
    if (level >= hierarchy.num_stages()) throw py::value_error("level: beyond the design");
    py::array_t<double> out(
        {static_cast<py::ssize_t>(hierarchy.children[level].back()), static_cast<py::ssize_t>(metrics.size())});
    double* ptr = out.mutable_data();
    {
        precipice::bindings::InterruptGuard interrupt;
        py::gil_scoped_release release;
        bs::hierarchical_jackknife(hierarchy, metrics, level, n_threads, ptr);
    }
    return out;
}

}  // namespace

void register_bootstrap(py::module_& m) {
    py::enum_<bs::MetricKind>(m, "MetricKind", "The native metrics; a metric is (kind, param, taus).")
        .value("mean", bs::MetricKind::mean, "mean over tasks of the per-task means")
        .value("median", bs::MetricKind::median, "median over tasks of the per-task means")
        .value("trimmed_mean", bs::MetricKind::trimmed_mean, "pooled, int(param * N) cut from each end")
        .value("optimality_gap", bs::MetricKind::optimality_gap, "param - pooled mean of min(x, param)")
        .value("profile_runs", bs::MetricKind::profile_runs, "fraction of pooled scores > tau, per tau")
        .value("profile_task_means", bs::MetricKind::profile_task_means, "fraction of task means > tau, per tau");
    m.def("stratified_replicates", &replicates, py::arg("scores"), py::arg("metrics"), py::arg("seed"),
          py::arg("first"), py::arg("count"), py::arg("task_bootstrap"), py::arg("n_threads"),
          "(count, frames, outputs) replicate statistics of (runs, tasks, frames) scores, each statistic's "
          "replicates contiguous in memory.");
    m.def("stratified_point", &point, py::arg("scores"), py::arg("metrics"));
    m.def("stratified_jackknife", &jackknife, py::arg("scores"), py::arg("metrics"));
    m.def("stratified_resample", &resample, py::arg("scores"), py::arg("seed"), py::arg("first"), py::arg("count"),
          py::arg("task_bootstrap"), py::arg("n_threads"));
    m.def("stratified_resample_rows", &resample_rows, py::arg("scores"), py::arg("seed"), py::arg("first"),
          py::arg("count"), py::arg("task_bootstrap"), py::arg("n_threads"),
          "(rows, tasks): the input run and task behind every cell of stratified_resample.");
    m.def("improvement_replicates", &improvement_replicates, py::arg("scores"), py::arg("pairs"), py::arg("seed"),
          py::arg("first"), py::arg("count"), py::arg("n_threads"));
    m.def("improvement_point", &improvement_point, py::arg("scores"), py::arg("pairs"));
    m.def("profile_histograms", &profile_histograms, py::arg("scores"), py::arg("metric"), py::arg("denominator"),
          py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("task_bootstrap"), py::arg("n_threads"),
          "(frames, taus, denominator + 1): how many replicates give each fraction k / denominator.");
    m.def("hierarchical_replicates", &hierarchical_replicates, py::arg("values"), py::arg("weights"),
          py::arg("children"), py::arg("resample"), py::arg("metrics"), py::arg("seed"), py::arg("first"),
          py::arg("count"), py::arg("n_threads"),
          "(count, outputs) nested-bootstrap replicate statistics of leaves in tree order, each statistic's "
          "replicates contiguous in memory.");
    m.def("hierarchical_point", &hierarchical_point, py::arg("values"), py::arg("weights"), py::arg("children"),
          py::arg("resample"), py::arg("metrics"));
    m.def("hierarchical_jackknife", &hierarchical_jackknife, py::arg("values"), py::arg("weights"), py::arg("children"),
          py::arg("resample"), py::arg("metrics"), py::arg("level"), py::arg("n_threads"),
          "(nodes of level, outputs): the statistics with each node of the level left out, with its subtree.");
}
