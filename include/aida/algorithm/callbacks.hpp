#pragma once
/// \file
/// Callbacks for `aida::train`: a progress line, metrics as CSV and JSON lines, early stops,
/// periodic checkpoints and a curriculum. A callback is any object with some of
/// `on_begin(train_state&)`, `on_step(train_state&)`, `on_evaluate(train_state&)`,
/// `on_end(train_state&)`; pass as many as you like to `train`.
///
/// In data-parallel training (`train` with a `Communicator`) every rank runs its callbacks;
/// the progress line, the metrics files and `checkpoint_every` act on rank 0 only
/// (`train_state::rank`). The metrics files are opened by their constructors: on the other
/// ranks give them a path that no one reads (`/dev/null`), so that they do not truncate rank
/// 0's file.

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>

#include <unistd.h>

#include "aida/algorithm/train.hpp"
#include "aida/core/error.hpp"

namespace aida::callbacks {

/// A one-line progress report with rate and ETA, redrawn in place, on a terminal only
/// (quiet when standard error is not a terminal, so logs stay clean); `always` forces it.
class progress_line {
 public:
  /// Draws on `out` when `fd` is a terminal, or whenever `always` is true.
  explicit progress_line(std::ostream& out, bool always = false, int fd = STDERR_FILENO)
      : out_(out), on_(always || ::isatty(fd) == 1) {}

  /// Redraws the line (every `every(n)` steps, and at the last).
  void on_step(train_state& s) {
    if (!on_ || s.rank != 0 || (s.step % every_ != 0 && s.step != s.steps)) return;
    const double rate = s.seconds > 0 ? static_cast<double>(s.step) / s.seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(s.steps - s.step) / rate : 0;
    std::ostringstream line;
    line << "\rstep " << s.step << '/' << s.steps << std::fixed << std::setprecision(1) << "  "
         << rate << " steps/s  ETA " << format_duration(eta) << "  H calls " << s.overseer.total()
         << "  loss " << std::setprecision(3) << s.model_loss;
    if (!std::isnan(s.accuracy)) line << "  held-out " << std::setprecision(1) << 100 * s.accuracy << '%';
    line << "   ";
    out_ << line.str() << std::flush;
    drew_ = true;
  }
  /// Ends the line, if one was drawn.
  void on_end(train_state&) {
    if (drew_) out_ << '\n' << std::flush;
  }

  /// Redraw every n steps (default 1).
  progress_line& every(std::size_t n) {
    every_ = n == 0 ? 1 : n;
    return *this;
  }

  /// `seconds` rounded to a whole second, as `42s`, `3m07s` or `1h05m`.
  static std::string format_duration(double seconds) {
    const auto s = static_cast<long>(seconds + 0.5);
    std::ostringstream o;
    if (s >= 3600) o << s / 3600 << 'h' << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << 'm';
    else if (s >= 60) o << s / 60 << 'm' << std::setw(2) << std::setfill('0') << s % 60 << 's';
    else o << s << 's';
    return o.str();
  }

 private:
  std::ostream& out_;
  bool on_;
  bool drew_ = false;
  std::size_t every_ = 1;
};

namespace detail {
/// A metrics file written by rank 0 only. Constructing it checks that `path` can be opened for
/// writing (throwing `aida::error` naming it) without truncating it, so that every rank may be
/// given the same path (on a shared file system, a rank other than 0 must not empty the file
/// rank 0 writes). Rank 0 truncates it and writes the header at `on_begin`, or at its first row.
class rank0_file {
 public:
  rank0_file(std::string path, std::string header) : path_(std::move(path)), header_(std::move(header)) {
    const std::ofstream probe(path_, std::ios::out | std::ios::app);
    if (!probe) throw error("aida: cannot open metrics file '" + path_ + "' for writing");
  }
  /// On rank 0: truncates the file and writes the header (once).
  void begin(const train_state& s) {
    if (s.rank == 0 && !started_) start();
  }
  /// The stream to write rank 0's rows to, started if it was not.
  std::ofstream& out() {
    if (!started_) start();
    return out_;
  }

 private:
  void start() {
    out_.open(path_, std::ios::out | std::ios::trunc);
    if (!out_) throw error("aida: cannot open metrics file '" + path_ + "' for writing");
    out_ << header_ << std::flush;
    started_ = true;
  }
  std::string path_, header_;
  std::ofstream out_;
  bool started_ = false;
};
inline std::string number(double x) {
  if (std::isnan(x)) return "null";
  std::ostringstream o;
  o << std::setprecision(9) << x;
  return o.str();
}
}  // namespace detail

/// Metrics at each evaluation as CSV rows (header written first); `label` goes in column 1
/// so several runs' files can be joined into one.
class csv_metrics {
 public:
  /// Writes to the file `path`; throws `aida::error` when it cannot be opened for writing.
  /// Rank 0 creates or truncates it and writes the header when training begins; other ranks
  /// never touch it (every rank may be given the same path).
  csv_metrics(const std::string& path, std::string label = "")
      : file_(path,
              "run,step,episodes,overseer_calls,h_answer,h_fan_out,h_fan_in,model_calls,adversary_calls,"
              "model_loss,adversary_loss,accuracy,threshold,difficulty,seconds\n"),
        label_(std::move(label)) {}
  /// On rank 0: truncates the file and writes the header.
  void on_begin(train_state& s) { file_.begin(s); }
  /// Writes a row of `s`'s metrics and flushes it (on rank 0 only, in data-parallel training).
  void on_evaluate(train_state& s) {
    if (s.rank != 0) return;
    using detail::number;
    file_.out() << label_ << ',' << s.step << ',' << s.episodes << ',' << s.overseer.total() << ','
         << s.overseer.answer << ',' << s.overseer.fan_out << ',' << s.overseer.fan_in << ','
         << s.model_calls << ',' << s.adversary_calls << ',' << number(s.model_loss) << ','
         << number(s.adversary_loss) << ',' << number(s.accuracy) << ',' << number(s.threshold) << ','
         << s.difficulty << ',' << number(s.seconds) << '\n'
         << std::flush;
  }

 private:
  detail::rank0_file file_;
  std::string label_;
};

/// Metrics at each evaluation as JSON lines, one object per line.
class json_lines_metrics {
 public:
  /// Writes to the file `path`; throws `aida::error` when it cannot be opened for writing.
  /// Rank 0 creates or truncates it when training begins; other ranks never touch it.
  /// `label` is each object's `run`.
  explicit json_lines_metrics(const std::string& path, std::string label = "") : file_(path, ""), label_(std::move(label)) {}
  /// On rank 0: truncates the file.
  void on_begin(train_state& s) { file_.begin(s); }
  /// Writes a line of `s`'s metrics and flushes it (on rank 0 only, in data-parallel training).
  void on_evaluate(train_state& s) {
    if (s.rank != 0) return;
    using detail::number;
    file_.out() << "{\"run\":\"" << escape(label_) << "\",\"step\":" << s.step << ",\"episodes\":" << s.episodes
         << ",\"overseer_calls\":" << s.overseer.total() << ",\"h_answer\":" << s.overseer.answer
         << ",\"h_fan_out\":" << s.overseer.fan_out << ",\"h_fan_in\":" << s.overseer.fan_in
         << ",\"model_calls\":" << s.model_calls << ",\"adversary_calls\":" << s.adversary_calls
         << ",\"model_loss\":" << number(s.model_loss) << ",\"adversary_loss\":" << number(s.adversary_loss)
         << ",\"accuracy\":" << number(s.accuracy) << ",\"threshold\":" << number(s.threshold)
         << ",\"difficulty\":" << s.difficulty << ",\"seconds\":" << number(s.seconds) << "}\n"
         << std::flush;
  }

 private:
  static std::string escape(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') o += '\\', o += static_cast<char>(c);
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        o += buf;
      } else o += static_cast<char>(c);
    }
    return o;
  }
  detail::rank0_file file_;
  std::string label_;
};

/// Stops once held-out accuracy reaches `target`.
struct stop_at_accuracy {
  double target = 1.0;  ///< the accuracy at which training stops
  /// Requests the stop when the accuracy (if evaluated) is at least `target`.
  void on_evaluate(train_state& s) const {
    if (!std::isnan(s.accuracy) && s.accuracy >= target)
      s.request_stop("held-out accuracy reached " + std::to_string(target));
  }
};

/// Stops once the cumulative overseer calls reach `budget`.
struct stop_at_overseer_calls {
  std::size_t budget = 0;  ///< the number of overseer calls at which training stops
  /// Requests the stop when the overseer calls so far reach `budget`.
  void on_step(train_state& s) const {
    if (s.overseer.total() >= budget) s.request_stop("overseer-call budget " + std::to_string(budget) + " spent");
  }
};

/// Calls `save(state)` every `every` steps and at the end, e.g. to write a checkpoint.
struct checkpoint_every {
  std::size_t every = 1000;  ///< steps between saves; 0: only at the end
  std::function<void(const train_state&)> save;  ///< the save; none: the callback does nothing
  /// Saves when the step is a multiple of `every` (on rank 0 only, in data-parallel training).
  void on_step(train_state& s) const {
    if (s.rank == 0 && every != 0 && s.step % every == 0 && save) save(s);
  }
  /// Saves, unless the last step already did.
  void on_end(train_state& s) const {
    if (s.rank == 0 && save && (every == 0 || s.step % every != 0)) save(s);
  }
};

/// Raises the training difficulty when held-out accuracy passes `threshold`: calls
/// `raise(new_difficulty)` up to `max_difficulty` (for example to replace the question source
/// by the task's generator at the new difficulty; the tasks' generators have a fixed one).
struct curriculum {
  double threshold = 0.9;          ///< the held-out accuracy that raises the difficulty
  std::size_t start = 1;           ///< the difficulty at the start of training
  std::size_t max_difficulty = 1;  ///< the highest difficulty
  std::function<void(std::size_t)> raise;  ///< called with each new difficulty (may be empty)

  /// Sets the difficulty to `start`.
  void on_begin(train_state& s) const { s.difficulty = start; }
  /// Raises the difficulty by one when the accuracy reaches `threshold`, below `max_difficulty`.
  void on_evaluate(train_state& s) const {
    if (!std::isnan(s.accuracy) && s.accuracy >= threshold && s.difficulty < max_difficulty) {
      ++s.difficulty;
      if (raise) raise(s.difficulty);
    }
  }
};

}  // namespace aida::callbacks
