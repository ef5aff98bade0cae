// The Python side of precipice::Interrupt: a binding that runs a kernel without
// the GIL declares one InterruptGuard just before its py::gil_scoped_release,
//
//     precipice::bindings::InterruptGuard interrupt;
//     py::gil_scoped_release release;
//
// and the kernel then stops within a poll interval of Ctrl-C, raising
// KeyboardInterrupt (or whatever the signal handler raised), and reports its
// progress to the callback of precipice._progress.reporting().
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>

#include "precipice/interrupt.hpp"

namespace precipice::bindings {

// This thread's progress callback (a strong reference, or null), set by
// _core._set_progress; callbacks belong to the Python thread that set them.
inline thread_local PyObject* progress_callback = nullptr;

// Construct and destroy with the GIL held. Declared before the GIL is released,
// it is destroyed after the GIL is taken back, which is when the Python error a
// poll kept is restored for the exception translator of precipice::interrupted.
class InterruptGuard final : public Interrupt {
  public:
    InterruptGuard() : callback_(progress_callback), scope_(*this) { Py_XINCREF(callback_); }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    ~InterruptGuard() override {
        if (error_) error_->restore();
        Py_XDECREF(callback_);
    }

  protected:
    // The GIL is taken for the length of the poll only: signal handlers run
    // (SIGINT's raises KeyboardInterrupt), then the progress callback. An error
    // from either is kept and stops the kernel.
    bool poll(std::int64_t done, std::int64_t total) noexcept override {
        try {
            pybind11::gil_scoped_acquire gil;
            if (PyErr_CheckSignals() != 0) {
                error_.emplace();
                return false;
            }
            if (callback_ != nullptr && total > 0) {
                PyObject* result =
                    PyObject_CallFunction(callback_, "LL", static_cast<long long>(done), static_cast<long long>(total));
                if (result == nullptr) {
                    error_.emplace();
                    return false;
                }
                Py_DECREF(result);
            }
        } catch (...) {
            // Nothing to report through (taking the GIL or keeping the error
            // failed): the kernel carries on, as without a guard.
        }
        return true;
    }

  private:
    PyObject* callback_;
    std::optional<pybind11::error_already_set> error_;
    InterruptScope scope_;
};

}  // namespace precipice::bindings
