// The response stores of precipice/irt.hpp: binary responses packed into
// bitsets by subject and by item, ordinal responses as small integers.

#include "responses.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "numerics.hpp"
#include "precipice/irt.hpp"

namespace precipice::irt {

using namespace detail;  // the shared pieces declared in cpp/src/irt/*.hpp

namespace {

// The frequency of each response row (1 without a counts table), checked.
std::vector<double> subject_weights(const double* weights, std::int64_t n_subjects) {
    std::vector<double> out(static_cast<std::size_t>(n_subjects), 1.0);
    if (weights)
        for (std::int64_t i = 0; i < n_subjects; ++i) {
            if (!(std::isfinite(weights[i]) && weights[i] >= 0))
                throw std::invalid_argument("counts[" + std::to_string(i) + "] must be a non-negative number, got " +
                                            std::to_string(weights[i]));
            out[static_cast<std::size_t>(i)] = weights[i];
        }
    return out;
}

}  // namespace

BinaryResponses::BinaryResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items,
                                 const double* weights)
    : n_subjects_(n_subjects), n_items_(n_items), words_s_((n_items + 63) / 64), words_i_((n_subjects + 63) / 64) {
    if (n_subjects < 1 || n_items < 1) throw std::invalid_argument("responses: empty array");
    const auto N = static_cast<std::size_t>(n_subjects), J = static_cast<std::size_t>(n_items);
    correct_s_.assign(N * static_cast<std::size_t>(words_s_), 0);
    missing_s_.assign(N * static_cast<std::size_t>(words_s_), 0);
    correct_i_.assign(J * static_cast<std::size_t>(words_i_), 0);
    missing_i_.assign(J * static_cast<std::size_t>(words_i_), 0);
    weight_ = subject_weights(weights, n_subjects);
    item_correct_.assign(J, 0.0);
    item_answered_.assign(J, 0.0);
    item_n_correct_.assign(J, 0);
    item_n_missing_.assign(J, 0);
    subject_n_answered_.assign(N, 0);
    for (std::int64_t i = 0; i < n_subjects; ++i) {
        const double* row = values + i * n_items;
        for (std::int64_t j = 0; j < n_items; ++j) {
            const double v = row[j];
            const std::uint64_t bit_j = std::uint64_t{1} << (j % 64), bit_i = std::uint64_t{1} << (i % 64);
            if (v == 1.0) {
                correct_s_[i * words_s_ + j / 64] |= bit_j;
                correct_i_[j * words_i_ + i / 64] |= bit_i;
                item_correct_[j] += weight_[i];
                item_answered_[j] += weight_[i];
                ++item_n_correct_[j];
                ++subject_n_answered_[i];
            } else if (v == 0.0) {
                item_answered_[j] += weight_[i];
                ++subject_n_answered_[i];
            } else if (std::isnan(v)) {
                missing_s_[i * words_s_ + j / 64] |= bit_j;
                missing_i_[j * words_i_ + i / 64] |= bit_i;
                ++item_n_missing_[j];
                has_missing_ = true;
            } else {
                throw std::invalid_argument("responses[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                            std::to_string(v) + "; binary items take 0, 1 or NaN (missing)");
            }
        }
    }
}

void BinaryResponses::require_responses() const {
    for (std::int64_t i = 0; i < n_subjects_; ++i)
        if (subject_n_answered_[i] == 0)
            throw std::invalid_argument("responses: row " + std::to_string(i) + " has no responses (all NaN)");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (item_n_missing_[j] == n_subjects_)
            throw std::invalid_argument("responses: item " + std::to_string(j) + " has no responses (all NaN)");
    double total = 0.0;
    for (double w : weight_) total += w;
    if (!(total > 0)) throw std::invalid_argument("counts: all counts are zero");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (!(item_answered_[j] > 0))
            throw std::invalid_argument("responses: item " + std::to_string(j) +
                                        " has no responses from rows with a positive count");
}

OrdinalResponses::OrdinalResponses(const double* values, std::int64_t n_subjects, std::int64_t n_items,
                                   const double* weights)
    : n_subjects_(n_subjects), n_items_(n_items) {
    if (n_subjects < 1 || n_items < 1) throw std::invalid_argument("responses: empty array");
    const auto N = static_cast<std::size_t>(n_subjects), J = static_cast<std::size_t>(n_items);
    by_subject_.resize(N * J);
    by_item_.resize(N * J);
    weight_ = subject_weights(weights, n_subjects);
    categories_.assign(J, 1);
    subject_n_answered_.assign(N, 0);
    item_n_answered_.assign(J, 0);
    for (std::int64_t i = 0; i < n_subjects; ++i) {
        const double* row = values + i * n_items;
        for (std::int64_t j = 0; j < n_items; ++j) {
            const double v = row[j];
            std::int16_t k = -1;
            if (!std::isnan(v)) {
                if (!(v >= 0 && v < kMaxCategories && v == std::floor(v)))
                    throw std::invalid_argument("responses[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                                std::to_string(v) +
                                                "; graded items take whole-number categories 0, 1, "
                                                ".. (below " +
                                                std::to_string(kMaxCategories) + ") or NaN (missing)");
                k = static_cast<std::int16_t>(v);
                categories_[j] = std::max(categories_[j], k + 1);
                ++subject_n_answered_[i];
                ++item_n_answered_[j];
            }
            by_subject_[i * n_items + j] = k;
            by_item_[j * n_subjects + i] = k;
        }
    }
    count_offset_.assign(J + 1, 0);
    for (std::size_t j = 0; j < J; ++j) count_offset_[j + 1] = count_offset_[j] + categories_[j];
    counts_.assign(static_cast<std::size_t>(count_offset_[J]), 0.0);
    for (std::int64_t j = 0; j < n_items; ++j)
        for (std::int64_t i = 0; i < n_subjects; ++i) {
            const int k = by_item_[j * n_subjects + i];
            if (k >= 0) counts_[count_offset_[j] + k] += weight_[i];
        }
}

void OrdinalResponses::require_responses() const {
    for (std::int64_t i = 0; i < n_subjects_; ++i)
        if (subject_n_answered_[i] == 0)
            throw std::invalid_argument("responses: row " + std::to_string(i) + " has no responses (all NaN)");
    for (std::int64_t j = 0; j < n_items_; ++j)
        if (item_n_answered_[j] == 0)
            throw std::invalid_argument("responses: item " + std::to_string(j) + " has no responses (all NaN)");
    double total = 0.0;
    for (double w : weight_) total += w;
    if (!(total > 0)) throw std::invalid_argument("counts: all counts are zero");
    for (std::int64_t j = 0; j < n_items_; ++j) {
        if (categories_[j] < 2)
            throw std::invalid_argument("responses: item " + std::to_string(j) +
                                        " has a single category (every response is 0), so it has no intercepts to "
                                        "estimate; drop the item");
        for (int k = 0; k < categories_[j]; ++k)
            if (!(category_count(j, k) > 0))
                throw std::invalid_argument(
                    "responses: item " + std::to_string(j) + " has no responses in category " + std::to_string(k) +
                    " (its categories run to " + std::to_string(categories_[j] - 1) +
                    "), so the intercepts around it have no finite estimate; recode the item's categories as "
                    "0, 1, 2, .. without gaps or merge the empty category with a neighbour");
    }
}

}  // namespace precipice::irt
