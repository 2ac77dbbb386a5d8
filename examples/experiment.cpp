// The experiment of aida: train the reference model by IDA against an algorithmic overseer
// that can only decompose, and compare how many overseer calls each method needs to reach a
// test accuracy.
//
// A method is a cell of a grid (spec §2–§6; `--methods`):
//   recursion policy   uniform (plain IDA) | argmin (the post's Gumbel arg-min) | threshold (§5)
//   overseer           H | H′ (§4: defers to ML where the adversary is confident)
//   question source    plain | adversarial (§6: the candidate the adversary expects ML to fail)
//   distillation       0 | N episodes a step (§3: ML's own tree, no overseer calls)
// written `policy:overseer:source:distill` (e.g. `argmin:Hp:adv:1`), or by name:
//   post          argmin:Hp:adv:N  the whole method of the post (N = --distill)
//   plain         uniform:H:plain:0  plain IDA
//   post-argmin, post-hprime, post-source, post-distill
//                 post with one part removed (uniform choice, H, plain source, no distillation);
//                 `ablations` is all four
//   full          the full HCH tree: recurse on both subquestions, H everywhere
//   supervised    a reference trained on ground-truth LABELS (it uses no overseer; its
//                 x-axis is labels used, not overseer calls). Meant as an upper bound, it is
//                 not one in calls: on assignments-1 it needed more labels than post needed
//                 calls (docs/results/assignments-1-grid)
//
// Three disjoint question sets: training questions (never one of the held-out ones), a
// validation set that stops the runs, and a test set that is only reported.
//
// Writes <out>/curves.csv (validation and test accuracy against overseer calls, every run),
// <out>/runs.csv (each run's counts), <out>/answers.csv (each test question's mark at each run's
// stop), <out>/summary.csv and <out>/table.md (calls to each level, the ratio to plain with a
// bootstrap interval, each method's runs that reached the higher level with Fisher's exact test
// against plain's), <out>/accuracy.svg (test accuracy against calls) and <out>/calls.svg (calls
// to 95% test accuracy per method, with bootstrap intervals), and prints the table. The files are
// re-written each time a run ends, with the runs ended so far, and runs go seed by seed: an
// experiment stopped part-way keeps the runs it finished, in pairs.
//
// Built with the mpi component (aida/ext/mpi.hpp), it trains data-parallel when started by
// mpirun: `mpirun -np N experiment ...` runs one run at a time over N ranks (each rank builds
// its share of a step's episodes; docs/scaling.md); rank 0 prints and writes the outputs.

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <exception>
#include <cmath>
#include <cstdint>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <CLI/CLI.hpp>

#include "aida/aida.hpp"
#include "aida/algorithm/callbacks.hpp"
#include "aida/algorithm/train.hpp"
#include "aida/io/svg_plot.hpp"
#include "aida/nn/nn.hpp"
#include "aida/nn/transformer.hpp"
#include "aida/overseers/faulty.hpp"
#include "aida/tasks/tasks.hpp"
#ifdef AIDA_EXPERIMENT_MPI
#include "aida/ext/mpi.hpp"
#endif

namespace {

#ifdef AIDA_EXPERIMENT_MPI
/// The ranks when started by mpirun with more than one process; null otherwise.
aida::mpi::communicator* g_world = nullptr;

/// True when this process was started by Open MPI's mpirun (or another PMIx launcher).
bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}
#endif

/// The sum of `n` over the ranks (n itself alone).
std::size_t summed_over_ranks(std::size_t n) {
#ifdef AIDA_EXPERIMENT_MPI
  if (g_world) {
    double x[1] = {static_cast<double>(n)};
    g_world->all_reduce_sum(std::span<double>(x));
    return static_cast<std::size_t>(x[0]);
  }
#endif
  return n;
}

std::size_t default_jobs() {
  const auto n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

/// One cell of the grid: what a run's training uses.
struct method_spec {
  std::string name;                // as the user wrote it (a preset's name, or the cell)
  std::string policy;              // uniform | argmin | threshold | full | supervised
  bool hprime = false;             // H′ (spec §4) instead of H
  bool adversarial_source = false; // spec §6's question source
  std::size_t distill = 0;         // distillation episodes a step (spec §3)

  /// The cell, written as `--methods` takes it.
  [[nodiscard]] std::string cell() const {
    if (policy == "supervised") return "supervised";
    return policy + ":" + (hprime ? "Hp" : "H") + ":" + (adversarial_source ? "adv" : "plain") + ":" +
           std::to_string(distill);
  }
};

struct settings {
  std::string task = "sum";
  std::vector<std::string> method_names{"post", "plain", "supervised"};
  std::vector<method_spec> methods;  // method_names, expanded (after parsing)
  std::uint64_t seed = 1;
  std::size_t seeds = 2;
  std::size_t budget = 30000;    // overseer calls (labels for the supervised baseline) per run
  std::size_t max_steps = 4000;  // training steps per run
  int difficulty = -1;           // -1: the task's experiment default
  std::size_t parts = 2;         // sum: split a list into up to this many parts (k-ary splits)
  std::size_t recurse = 1;       // argmin / uniform: recurse on this many subquestions per round
  std::size_t validation = 200;  // questions that stop the runs
  std::size_t test = 500;        // questions that are only reported
  std::size_t eval_every = 25;
  std::string model;              // gru | transformer; empty: the task's default (model_for)
  std::size_t hidden = 96;        // GRU width
  std::size_t width = 64;         // Transformer: d_model, heads, layers (each side), feed-forward
  std::size_t heads = 4;
  std::size_t layers = 2;
  std::size_t ff = 256;
  double lr = 0;                  // ML's Adam step size; 0: the model's default
  std::size_t batch = 32;         // ML's batch drawn from the replay memory
  std::size_t replay = 4000;  // ML's replay memory (targets); 0: train on each step's targets once
  std::size_t updates = 8;    // ML updates per step from the replay memory
  std::size_t episodes = 8;   // amplification episodes per step
  double stop_accuracy = 0.97;  // on the validation set
  double level_low = 0.90, level_high = 0.95;  // the table's "calls to X%" (test accuracy)
  double c = -0.03;           // H′ consults H where Adv predicts ML's log-likelihood below c (nats)
  std::size_t warmup = 100;   // steps with H′ consulting H everywhere (c = +inf)
  std::optional<double> c_end;  // if set, c moves linearly from c to c_end over c_steps steps
  std::size_t c_steps = 500;
  double alpha = -0.3;        // the threshold policy's α ...
  std::optional<double> alpha_end;  // ... moving linearly to alpha_end over alpha_steps steps
  std::size_t alpha_steps = 500;
  double tau = 0.3;           // the Gumbel arg-min's temperature
  std::size_t distill = 1;    // distillation episodes a step of `post`
  std::size_t candidates = 4;       // k of the adversarial question source
  double source_temperature = 0.3;  // its Gumbel temperature
  std::size_t jobs = default_jobs();  // runs in parallel
  bool jobs_given = false;  // --jobs was on the command line (mpirun runs one run at a time)
  std::size_t threads = 1;  // threads collecting the episodes of each run's steps
  std::string out = "experiment-out";
  std::string from;  // a curves.csv to report on instead of training
  bool verbose = false;  // print every evaluation as it happens
  bool curriculum = false;   // train on questions of every difficulty up to the held-out one
  bool distill_adversary = true;  // the adversary trains on the distillation episodes' targets
  std::size_t distill_from = 0;   // the first step (from 0) that runs distillation episodes
  aida::deferrable_kinds defer;   // which of H′'s decisions may be left to ML (all three)
  std::size_t labels = 8;    // supervised: fresh labels a step
  double overseer_error = 0;  // each of H's answers and splits is wrong with this probability
};

std::vector<std::string> split_list(const std::string& s, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

/// The greatest whole number a flag can be given (a seed may be any 64-bit number).
constexpr std::uint64_t any_count = std::numeric_limits<std::uint64_t>::max();
/// The most questions, targets, episodes or candidates a flag may ask for: the held-out sets
/// must be found in 1,000,000 draws (aida::tasks::disjoint_question_sets), and the replay memory
/// reserves its capacity up front.
constexpr std::uint64_t many = 1'000'000;

/// `v` as a whole number in [lo, hi]: decimal digits only (no sign, space or base prefix) and
/// no wrap-around (std::stoull reads " -5" as 2^64 - 5); nullopt otherwise.
std::optional<std::uint64_t> whole_number(std::string_view v, std::uint64_t lo = 0, std::uint64_t hi = any_count) {
  std::uint64_t n = 0;
  const char* end = v.data() + v.size();
  const auto [stop, ec] = std::from_chars(v.data(), end, n);
  if (v.empty() || ec != std::errc{} || stop != end || n < lo || n > hi) return std::nullopt;
  return n;
}

/// "a whole number from 1 to 1000000", as an error message says what a flag takes.
std::string whole_text(std::uint64_t lo, std::uint64_t hi) {
  return "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
}

/// The numbers a real flag takes: from `lo` to `hi` (infinite: no bound), each end included or
/// not; never NaN or infinite.
struct real_range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;

  [[nodiscard]] bool contains(double x) const {
    return std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
  }
  /// "a number in (0, 1]", "a number > 0", "a finite number".
  [[nodiscard]] std::string text() const {
    auto num = [](double x) {
      std::ostringstream o;
      o << x;
      return o.str();
    };
    const bool below = std::isfinite(lo), above = std::isfinite(hi);
    if (below && above)
      return "a number in " + std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
    if (below) return "a number " + std::string(lo_open ? "> " : ">= ") + num(lo);
    if (above) return "a number " + std::string(hi_open ? "< " : "<= ") + num(hi);
    return "a finite number";
  }
};

/// `v` as a number of `range`: the whole of `v` is a decimal number (no space or hexadecimal),
/// finite; nullopt otherwise.
std::optional<double> real_number(std::string_view v, const real_range& range = {}) {
  double x = 0;
  const char* end = v.data() + v.size();
  const auto [stop, ec] = std::from_chars(v.data(), end, x);
  if (v.empty() || ec != std::errc{} || stop != end || !range.contains(x)) return std::nullopt;
  return x;
}

/// The kinds of a comma-separated list of answer, fan_out and fan_in (each at most once), or
/// `none`; nullopt for anything else.
std::optional<aida::deferrable_kinds> deferrable_kinds_of(const std::string& v) {
  aida::deferrable_kinds k{.answer = false, .fan_out = false, .fan_in = false};
  if (v == "none") return k;
  const auto names = split_list(v);
  if (names.empty()) return std::nullopt;
  for (const auto& name : names) {
    bool* flag = name == "answer" ? &k.answer : name == "fan_out" ? &k.fan_out : name == "fan_in" ? &k.fan_in : nullptr;
    if (flag == nullptr || *flag) return std::nullopt;  // unknown, or named twice
    *flag = true;
  }
  return k;
}

/// `deferrable_kinds_of`'s form of `k`.
std::string kinds_text(const aida::deferrable_kinds& k) {
  std::string out;
  for (const auto& [on, name] : {std::pair{k.answer, "answer"}, std::pair{k.fan_out, "fan_out"}, std::pair{k.fan_in, "fan_in"}})
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? "none" : out;
}

/// The accuracies A,B of --levels, 0 < A < B <= 1; nullopt otherwise.
std::optional<std::pair<double, double>> accuracy_levels(const std::string& v) {
  const auto comma = v.find(',');
  if (comma == std::string::npos) return std::nullopt;
  const real_range accuracy{0, 1, true, false};
  const auto a = real_number(std::string_view(v).substr(0, comma), accuracy);
  const auto b = real_number(std::string_view(v).substr(comma + 1), accuracy);
  if (!a || !b || !(*a < *b)) return std::nullopt;
  return std::pair{*a, *b};
}

/// The cells a method name stands for (`ablations` is four).
std::vector<method_spec> expand_method(const std::string& name, std::size_t distill) {
  const method_spec post{"post", "argmin", true, true, distill};
  auto without = [&](const std::string& n, auto change) {
    method_spec m = post;
    m.name = n;
    change(m);
    return m;
  };
  const auto uniform_choice = [](method_spec& m) { m.policy = "uniform"; };
  const auto plain_h = [](method_spec& m) { m.hprime = false; };
  const auto plain_source = [](method_spec& m) { m.adversarial_source = false; };
  const auto no_distill = [](method_spec& m) { m.distill = 0; };
  if (name == "all") {
    std::vector<method_spec> all;
    for (const char* n : {"post", "plain", "ablations", "full", "supervised"})
      for (auto& m : expand_method(n, distill)) all.push_back(std::move(m));
    return all;
  }
  if (name == "post") return {post};
  if (name == "plain" || name == "uniform") return {{name, "uniform", false, false, 0}};
  if (name == "post-argmin") return {without(name, uniform_choice)};
  if (name == "post-hprime") return {without(name, plain_h)};
  if (name == "post-source") return {without(name, plain_source)};
  if (name == "post-distill") return {without(name, no_distill)};
  if (name == "ablations")
    return {without("post-argmin", uniform_choice), without("post-hprime", plain_h),
            without("post-source", plain_source), without("post-distill", no_distill)};
  if (name == "full") return {{name, "full", false, false, 0}};
  if (name == "supervised") return {{name, "supervised", false, false, 0}};
  if (name == "adversarial") return {{name, "argmin", true, false, 0}};
  if (name == "threshold") return {{name, "threshold", true, false, 0}};
  const auto parts = split_list(name, ':');
  if (parts.size() != 4 || std::count(name.begin(), name.end(), ':') != 3)
    throw aida::invalid_options("--methods: no method is called '" + name +
                                "' (a name, or a cell POLICY:OVERSEER:SOURCE:DISTILL such as argmin:Hp:adv:1; see --help)");
  const std::string where = "--methods: in '" + name + "', ";
  method_spec m{name, parts[0], false, false, 0};
  if (m.policy != "uniform" && m.policy != "argmin" && m.policy != "threshold")
    throw aida::invalid_options(where + "the policy is uniform, argmin or threshold, not '" + parts[0] + "'");
  if (parts[1] != "H" && parts[1] != "Hp")
    throw aida::invalid_options(where + "the overseer is H or Hp, not '" + parts[1] + "'");
  m.hprime = parts[1] == "Hp";
  if (parts[2] != "plain" && parts[2] != "adv")
    throw aida::invalid_options(where + "the question source is plain or adv, not '" + parts[2] + "'");
  m.adversarial_source = parts[2] == "adv";
  const auto episodes = whole_number(parts[3], 0, many);
  if (!episodes)
    throw aida::invalid_options(where + "the distillation episodes take " + whole_text(0, many) + ", not '" + parts[3] + "'");
  m.distill = static_cast<std::size_t>(*episodes);
  return {m};
}

/// The model a run uses: --model, or the task's default.
std::string model_for(const settings& cfg) {
  if (!cfg.model.empty()) return cfg.model;
  return cfg.task == "sum" ? "gru" : "transformer";
}

// The flags. Every value is checked by a CLI11 validator before it is converted, so that a value
// out of range is an error naming the flag, before anything runs; CLI11 writes the flag's name
// in front of the validator's message. A flag given twice keeps its last value.

/// A validator: `ok(v)` says whether `v` is a value of the flag; the message says what it takes.
/// `shown` is what --help shows after the flag's value name.
CLI::Validator takes(std::function<bool(const std::string&)> ok, const std::string& what, const std::string& shown) {
  return CLI::Validator(
      [ok = std::move(ok), what](std::string& v) { return ok(v) ? std::string() : "takes " + what + ", not '" + v + "'"; },
      shown);
}

CLI::Validator whole_in(std::uint64_t lo, std::uint64_t hi) {
  const std::string shown = hi == any_count ? ">=" + std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
  return takes([=](const std::string& v) { return whole_number(v, lo, hi).has_value(); }, whole_text(lo, hi), shown);
}

CLI::Validator real_in(const real_range& range) {
  std::string shown = range.text();
  shown = shown == "a finite number" ? "" : shown.substr(std::string("a number ").size());
  return takes([=](const std::string& v) { return real_number(v, range).has_value(); }, range.text(), shown);
}

template <std::size_t N>
CLI::Validator one_of(const std::array<std::string_view, N>& names) {
  std::string what, shown;
  for (std::size_t i = 0; i < N; ++i) {
    what += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i]);
    shown += std::string(i == 0 ? "" : "|") + std::string(names[i]);
  }
  return takes([names](const std::string& v) { return std::find(names.begin(), names.end(), v) != names.end(); }, what,
               shown);
}

/// Adds the flags to a CLI11 app; each writes its value into a field of `settings` when parsed.
class flags {
 public:
  explicit flags(CLI::App& app) : app_(app) {}
  void group(const std::string& name) { group_ = name; }

  /// A whole number in [lo, hi].
  template <class T>
  CLI::Option* count(const std::string& name, T& target, std::uint64_t lo, std::uint64_t hi, const std::string& value,
                     const std::string& help) {
    return add(name, [&target](const std::string& v) { target = static_cast<T>(*whole_number(v)); }, whole_in(lo, hi),
               value, help);
  }
  /// 0 or 1.
  CLI::Option* toggle(const std::string& name, bool& target, const std::string& help) {
    return add(name, [&target](const std::string& v) { target = *whole_number(v) == 1; }, whole_in(0, 1).description(""),
               "0|1", help);
  }
  /// A finite number of `range`.
  template <class T>  // double or std::optional<double>
  CLI::Option* real(const std::string& name, T& target, const real_range& range, const std::string& value,
                    const std::string& help) {
    return add(name, [&target](const std::string& v) { target = *real_number(v); }, real_in(range), value, help);
  }
  /// Any text that `check` accepts.
  CLI::Option* text(const std::string& name, std::function<void(const std::string&)> set, CLI::Validator check,
                    const std::string& value, const std::string& help) {
    return add(name, std::move(set), std::move(check), value, help);
  }

 private:
  CLI::Option* add(const std::string& name, std::function<void(const std::string&)> set, CLI::Validator check,
                   const std::string& value, const std::string& help) {
    return app_.add_option_function<std::string>(name, std::move(set), help)->check(std::move(check))->type_name(value)->group(group_);
  }
  CLI::App& app_;
  std::string group_ = "Options";
};

/// The settings of the command line; nullopt when it asked for --help (printed).
std::optional<settings> parse(int argc, char** argv) {
  settings s;
  CLI::App app{"The experiment of aida: trains the reference model by IDA against an algorithmic overseer that\n"
               "can only decompose, and compares how many overseer calls each method needs to reach a test\n"
               "accuracy. Writes curves.csv, runs.csv, answers.csv, summary.csv, table.md, accuracy.svg and\n"
               "calls.svg, again each time a run ends (a stopped experiment keeps the runs it finished).",
               "experiment"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.get_formatter()->column_width(26);
  app.get_formatter()->label("OPTIONS", "options");
  flags f(app);
  const auto nonempty = [](const std::string& what) {
    return takes([](const std::string& v) { return !v.empty(); }, what, "");
  };
  const auto set_methods = [&s](const std::string& v) { s.method_names = split_list(v); };
  const auto has_methods = [](const std::string& v) { return !split_list(v).empty(); };
  const std::string methods_help =
      "comma-separated methods (default post,plain,supervised), or all\n"
      "(post, plain, the four ablations, full, supervised). A method is a cell\n"
      "POLICY:OVERSEER:SOURCE:DISTILL of the grid\n"
      "  POLICY   uniform | argmin | threshold\n"
      "  OVERSEER H | Hp (H′, spec §4)\n"
      "  SOURCE   plain | adv (spec §6's adversarial question source)\n"
      "  DISTILL  distillation episodes a step (spec §3), 0 for none\n"
      "or a name: post (argmin:Hp:adv:<--distill>, the whole method),\n"
      "plain (uniform:H:plain:0, plain IDA), post-argmin, post-hprime,\n"
      "post-source, post-distill (post with that part replaced by plain IDA's),\n"
      "ablations (those four), full (the full HCH tree with H), supervised\n"
      "(a reference trained on labels, not IDA); adversarial, threshold, uniform\n"
      "are the older names of argmin:Hp:plain:0, threshold:Hp:plain:0, plain";

  f.group("The runs");
  f.text("--task", [&s](const std::string& v) { s.task = v; }, one_of(aida::tasks::task_names), "NAME",
         "the task (default sum)");
  f.text("--methods", set_methods, takes(has_methods, "a comma-separated list of methods", ""), "LIST", methods_help);
  f.count("--seed", s.seed, 0, any_count, "N", "first seed (default 1); runs use seeds N, N+1, ...");
  f.count("--seeds", s.seeds, 1, 10'000, "K", "seeds per method (default 2)");
  f.count("--budget", s.budget, 1, any_count, "CALLS", "overseer calls per run before it stops (default 30000)");
  f.count("--steps", s.max_steps, 1, any_count, "N", "training steps per run at most (default 4000)");
  f.count("--difficulty", s.difficulty, 0, std::numeric_limits<int>::max(), "D",
          "question size (default: the task's experiment default; at most the task's\nlargest)");
  f.count("--validation", s.validation, 1, many, "N",
          "validation questions: they stop the runs (default 200)");
  f.count("--test", s.test, 1, many, "N",
          "test questions, disjoint from the validation and training questions;\nonly reported (default 500)");
  f.count("--eval-every", s.eval_every, 1, any_count, "N", "steps between evaluations (default 25)");
  f.text("--levels", [&s](const std::string& v) { std::tie(s.level_low, s.level_high) = *accuracy_levels(v); },
         takes([](const std::string& v) { return accuracy_levels(v).has_value(); }, "two accuracies A,B with 0 < A < B <= 1",
               "0<A<B<=1"),
         "A,B",
         "the table's test accuracies: calls to A and to B, and the ratios to\n"
         "plain IDA and the plot at B (default 0.9,0.95)");
  f.real("--stop-at", s.stop_accuracy, {0, 1, true, false}, "A",
         "stop a run at this VALIDATION accuracy (default 0.97: above the 95%\nthat the table reads on the test curve)");
  f.count("--jobs", s.jobs, 1, 4096, "N",
          "runs in parallel, one thread each (default: the number of cores);\n"
          "the results do not depend on it, the wall times do");
  f.count("--threads", s.threads, 1, aida::train_options::max_threads, "N",
          "threads collecting each run's episodes (aida::train_options::threads,\n"
          "default 1); the results do not depend on it, the wall times do: worth it\n"
          "when the overseer is slow. With --jobs, runs x threads threads in all");
  f.toggle("--curriculum", s.curriculum,
          "1: train on questions of every difficulty from the task's least up to\n"
          "--difficulty, drawn uniformly (held-out questions stay at --difficulty)");
  f.count("--labels", s.labels, 1, many, "N", "supervised: fresh labels a step (default 8)");
  f.real("--overseer-error", s.overseer_error, {0, 0.5, false, false}, "P",
         "an overseer that errs (aida::faulty_overseer around the task's H, seeded\n"
         "from the run's seed): each answer H gives is replaced by a wrong one (one\n"
         "digit changed) with probability P, and each split H makes asks one wrong\n"
         "subquestion (one digit changed) with probability P. The supervised\n"
         "baseline's labels stay right. Not with --task permutation, where a wrong\n"
         "split can ask an ancestor's question again (default 0)");

  f.group("The models");
  f.text("--model", [&s](const std::string& v) { s.model = v; },
         one_of(std::array<std::string_view, 2>{"gru", "transformer"}), "M",
         "ML and Adv of the reference backend (default: gru for sum, which it\n"
         "learns fastest; transformer for the three lookup tasks, which the GRU\n"
         "does not learn even from labels)");
  f.count("--hidden", s.hidden, 1, 65536, "N", "GRU width of ML (default 96)");
  f.count("--width", s.width, 1, 8192, "N", "Transformer: d_model of ML (default 64)");
  f.count("--heads", s.heads, 1, 8192, "N", "Transformer: attention heads, dividing --width (default 4)");
  f.count("--layers", s.layers, 1, 64, "N", "Transformer: encoder and decoder layers each (default 2)");
  f.count("--ff", s.ff, 1, 65536, "N", "Transformer: feed-forward width (default 256)");
  f.real("--lr", s.lr, {0, 1, true, false}, "R", "ML's Adam step size (default: the model's own, 3e-3 GRU, 1e-3 Transformer)");
  f.count("--episodes", s.episodes, 1, many, "N", "amplification episodes a step (default 8)");
  f.count("--batch", s.batch, 1, many, "N", "ML's batch drawn from the replay memory per update (default 32)");
  f.count("--replay", s.replay, 0, many, "N", "ML's replay memory in targets, 0 for none (default 4000)");
  f.count("--updates", s.updates, 1, many, "N", "ML updates per step from the replay memory (default 8)");

  f.group("H′, the policies and the question source");
  f.real("--c", s.c, {}, "C", "H′ consults H where Adv's score + noise < C, after the warm-up (default -0.03)");
  f.real("--c-end", s.c_end, {}, "C2", "after the warm-up, c moves linearly from C to C2 ...");
  f.count("--c-steps", s.c_steps, 1, any_count, "N", "... over N steps, then stays at C2 (default 500)");
  f.count("--warmup", s.warmup, 0, any_count, "N", "steps before that, with H′ consulting H everywhere (default 100)");
  f.text("--defer", [&s](const std::string& v) { s.defer = *deferrable_kinds_of(v); },
         takes([](const std::string& v) { return deferrable_kinds_of(v).has_value(); },
               "a comma-separated list of answer, fan_out and fan_in, or none", ""),
         "KINDS",
         "the decisions H′ may leave to ML, the others always go to H\n"
         "(aida::deferrable_kinds; default answer,fan_out,fan_in)");
  f.real("--alpha", s.alpha, {}, "A", "threshold policy: recurse where S + τε < A + τε′ (default -0.3) ...");
  f.real("--alpha-end", s.alpha_end, {}, "A2", "... with α moving linearly from A to A2 ...");
  f.count("--alpha-steps", s.alpha_steps, 1, any_count, "N", "... over N steps (default 500)");
  f.real("--tau", s.tau, {0, std::numeric_limits<double>::infinity(), true, false}, "T",
         "temperature of the Gumbel noise of the arg-min policy (default 0.3)");
  f.count("--distill", s.distill, 0, many, "N", "distillation episodes a step of post and its ablations (default 1)");
  f.toggle("--distill-adversary", s.distill_adversary,
           "0: the adversary does not train on the distillation episodes' targets\n"
           "(aida::train_options::distill_adversary_targets; default 1, spec §3)");
  f.count("--distill-from", s.distill_from, 0, any_count, "S",
          "distillation episodes start at step S, counted from 0\n(aida::train_options::distill_from_step; default 0)");
  f.count("--candidates", s.candidates, 2, many, "K", "adversarial source: candidates per question (default 4)");
  f.count("--parts", s.parts, 2, aida::max_subquestions, "P",
          "sum: the overseer splits a list into up to P parts (default 2, halves;\nk-ary splits)");
  f.count("--recurse", s.recurse, 1, aida::max_subquestions, "M",
          "argmin and uniform: recurse on M subquestions per round (default 1;\nargmin becomes Gumbel-top-M)");
  f.real("--source-temperature", s.source_temperature, {0, std::numeric_limits<double>::infinity(), false, false}, "T",
         "its Gumbel temperature (default 0.3)");

  f.group("Input and output");
  f.text("--out", [&s](const std::string& v) { s.out = v; }, nonempty("a directory"), "DIR",
         "where to write the results (default experiment-out)");
  f.text("--from", [&s](const std::string& v) { s.from = v; }, nonempty("a file name"), "CSV",
         "no training: the table, summaries and plots of a curves.csv written\n"
         "earlier (or of several concatenated: repeated headers are skipped)");
  f.toggle("--verbose", s.verbose,
          "1: print every evaluation (method, seed, step, calls, accuracies,\ndeferrals) as it happens");

  f.group("Older names");
  f.text("--policy", set_methods, takes(has_methods, "a comma-separated list of methods", ""), "LIST",
         "the older name of --methods");
  f.count("--held-out", s.validation, 1, many, "N", "the older name of --validation");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw aida::invalid_options(std::string(e.what()) + " (see --help)");
  }
  s.jobs_given = app.count("--jobs") > 0;
  for (const auto& [name, older] : {std::pair{"--methods", "--policy"}, std::pair{"--validation", "--held-out"}})
    if (app.count(name) > 0 && app.count(older) > 0)
      throw aida::invalid_options(std::string(older) + " is the older name of " + name + ": give one of them");
  if (s.overseer_error > 0 && s.task == "permutation")
    throw aida::invalid_options("--overseer-error with --task permutation: a wrong split there can ask the question of "
                                "an ancestor again, which ends the run; use sum, wildcard or assignments");
  if (s.seeds - 1 > any_count - s.seed)
    throw aida::invalid_options("--seed " + std::to_string(s.seed) + " with --seeds " + std::to_string(s.seeds) +
                                ": the last seed would pass " + std::to_string(any_count) + ", the greatest seed");
  if (s.parts != 2 && s.task != "sum")
    throw aida::invalid_options("--parts " + std::to_string(s.parts) + " with --task " + s.task +
                                ": only sum splits into more than two parts");
  if (s.difficulty >= 0)
    aida::tasks::with_task(s.task, [&](const auto& task) {
      using task_type = std::remove_cvref_t<decltype(task)>;
      if (s.difficulty < task_type::min_difficulty || s.difficulty > task_type::max_difficulty)
        throw aida::invalid_options("--difficulty: the task " + s.task + " takes a difficulty from " +
                                    std::to_string(task_type::min_difficulty) + " to " +
                                    std::to_string(task_type::max_difficulty) + ", not " + std::to_string(s.difficulty));
    });
  if (model_for(s) == "transformer" && s.width % s.heads != 0)
    throw aida::invalid_options("--heads " + std::to_string(s.heads) + " does not divide --width " + std::to_string(s.width));
  for (const auto& name : s.method_names)
    for (auto& m : expand_method(name, s.distill)) {
      const bool repeated = std::any_of(s.methods.begin(), s.methods.end(), [&](const method_spec& x) { return x.name == m.name; });
      if (repeated) throw aida::invalid_options("--methods: '" + m.name + "' is given twice");
      s.methods.push_back(std::move(m));
    }
  return s;
}

/// The files of one report, written all or none: `add` writes a file under a temporary name in
/// its own directory, flushes and checks it; `commit` renames every one into place once all are
/// written. A failed write throws naming the file and leaves what was there before untouched;
/// the temporaries not renamed are removed when the set is destroyed.
class output_files {
 public:
  output_files() = default;
  output_files(const output_files&) = delete;
  output_files& operator=(const output_files&) = delete;
  ~output_files() {
    for (const auto& f : staged_) {
      std::error_code ec;
      std::filesystem::remove(f.temporary, ec);
    }
  }

  void add(const std::string& path, const std::string& content) {
    const std::filesystem::path target(path);
    const std::filesystem::path temporary =
        target.parent_path() / ("." + target.filename().string() + ".tmp-" + random_suffix());
    staged_.push_back({path, temporary});  // removed by the destructor from here on
    errno = 0;
    std::ofstream f(temporary, std::ios::binary | std::ios::trunc);
    if (!f) fail("cannot create " + temporary.string() + " to write " + path);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) fail("writing " + path + " failed");
    f.close();
    if (f.fail()) fail("writing " + path + " failed (on closing it)");
  }

  /// Renames every file written into place.
  void commit() {
    for (auto& f : staged_) {
      std::error_code ec;
      std::filesystem::rename(f.temporary, f.path, ec);
      if (ec) throw aida::error("cannot move " + f.temporary.string() + " to " + f.path + " (" + ec.message() + ")");
      f.temporary.clear();
    }
    staged_.clear();
  }

 private:
  struct staged {
    std::string path;
    std::filesystem::path temporary;
  };

  [[noreturn]] static void fail(const std::string& what) {
    const int e = errno;
    throw aida::error(what + (e != 0 ? " (" + std::string(std::strerror(e)) + ")" : std::string()));
  }

  static std::string random_suffix() {
    std::random_device device;
    std::ostringstream o;
    o << std::hex << device() << device();
    return o.str();
  }

  std::vector<staged> staged_;
};

/// The files the experiment writes in --out (runs.csv and answers.csv only after training).
std::vector<std::string> output_names(bool from_file) {
  std::vector<std::string> names{"curves.csv", "runs.csv", "answers.csv", "summary.csv", "table.md", "accuracy.svg", "calls.svg"};
  if (from_file) names.erase(names.begin() + 1, names.begin() + 3);
  return names;
}

/// Creates `dir` and checks, before hours of training, that a file can be written in it and
/// renamed, and that nothing but a file stands where each of `names` will be written.
void check_writable(const std::string& dir, const std::vector<std::string>& names) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw aida::invalid_options("--out: cannot create the directory '" + dir + "'" + (ec ? " (" + ec.message() + ")" : ""));
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
      throw aida::invalid_options("--out: " + path + " cannot be written: something other than a file (" +
                                  (std::filesystem::is_directory(status) ? "a directory" : "not a regular file") +
                                  ") is in its place");
  }
  const std::string probe = dir + "/.experiment-write-test";
  try {
    output_files files;
    files.add(probe, "ok\n");
    files.commit();
  } catch (const aida::error& e) {
    throw aida::invalid_options("--out: cannot write files in '" + dir + "': " + e.what());
  }
  std::filesystem::remove(probe, ec);
}

/// One evaluation point of a run.
struct point {
  std::size_t step;
  std::size_t calls;  // overseer calls (labels for the supervised baseline)
  double validation;  // accuracy on the validation set (what stops the run)
  double test;        // accuracy on the test set (what the table reports)
  std::size_t deferred;  // decisions H′ left to ML so far
  double seconds;
};

/// A run's counts, from the trainer and from wrappers around the overseer and the source.
struct run_counts {
  std::size_t episodes = 0, distill_episodes = 0;
  std::size_t source_questions = 0;  // questions the training source gave
  std::size_t overseer_seen = 0;     // calls that reached H (counted by a wrapper around it)
  aida::overseer_calls overseer, deferred;
  bool faulty = false;               // --overseer-error > 0: H made the errors counted in `faults`
  aida::fault_counts faults;
};

struct run_result {
  std::string method;
  std::uint64_t seed;
  std::vector<point> curve;
  double seconds = 0;
  std::size_t steps = 0;
  std::size_t calls = 0;
  run_counts counts;
  std::vector<bool> test_marks;  // at the last evaluation: which test questions it answered correctly
  std::shared_ptr<const std::vector<std::string>> test_questions;  // in the order of test_marks
  std::shared_ptr<const std::vector<std::string>> test_kinds;  // each test question's kind, if the task has kinds

  /// Overseer calls spent when TEST accuracy first reached `a`, if it did.
  [[nodiscard]] std::optional<std::size_t> calls_to(double a) const {
    for (const auto& p : curve)
      if (p.test >= a) return p.calls;
    return std::nullopt;
  }
  [[nodiscard]] double final_test() const { return curve.empty() ? 0 : curve.back().test; }
  [[nodiscard]] double final_validation() const { return curve.empty() ? 0 : curve.back().validation; }
  [[nodiscard]] std::size_t deferred() const { return curve.empty() ? 0 : curve.back().deferred; }
};

/// The faults injected into H's decisions (--overseer-error), for the run's lines.
std::string faults_text(const aida::fault_counts& f) {
  return "H erred " + std::to_string(f.total()) + " times (" + std::to_string(f.wrong_answers) + " wrong answers, " +
         std::to_string(f.wrong_splits) + " wrong splits)";
}

/// With --verbose: one line per evaluation, on standard error, as it happens; `faults`, when
/// given, the faults injected into H so far.
void print_progress(const run_result& run, const point& p, const aida::fault_counts* faults = nullptr) {
  std::ostringstream line;
  line << "    " << run.method << " seed " << run.seed << " step " << p.step << ": " << p.calls
       << (run.method == "supervised" ? " labels" : " calls") << (faults != nullptr ? ", " + faults_text(*faults) : "") << ", H′ deferred " << p.deferred
       << ", validation "
       << std::fixed << std::setprecision(1) << 100 * p.validation << "%, test " << 100 * p.test << "% after "
       << p.seconds << " s\n";
  std::cerr << line.str() << std::flush;
}

/// The trainer's evaluator: the validation accuracy (which stops the run) is what it returns;
/// the test accuracy is computed beside it and kept for the curve only.
template <class Evaluator>
struct validation_and_test {
  const Evaluator* validation;
  const Evaluator* test;
  double last_test = 0;
  std::vector<bool> last_marks;  // the test questions answered correctly, at the last evaluation
  template <class F>
  double accuracy(F&& f) {
    last_marks = test->marks(f);
    last_test = test->size() == 0 ? 0.0
                                  : static_cast<double>(std::count(last_marks.begin(), last_marks.end(), true)) /
                                        static_cast<double>(test->size());
    return validation->accuracy(f);
  }
};

/// Records the curve at every evaluation and stops at the budget.
template <class Eval>
struct curve_recorder {
  run_result* run;
  const Eval* eval;
  std::size_t budget;
  bool verbose = false;
  const aida::fault_counts* faults = nullptr;  // H's injected faults, with --overseer-error
  void on_evaluate(aida::train_state& s) const {
    run->curve.push_back({s.step, s.overseer.total(), s.accuracy, eval->last_test, s.deferred.total(), s.seconds});
    if (verbose) print_progress(*run, run->curve.back(), faults);
  }
  void on_step(aida::train_state& s) const {
    if (s.overseer.total() >= budget) s.request_stop("budget");
  }
};

/// Counts the calls that reach the overseer it wraps, so that a run can check that every call
/// was recorded (and that distillation, which has no overseer, made none).
template <class H>
struct counting_overseer {
  H h;
  std::size_t calls = 0;
  template <class Q>
  auto answer(const Q& q) {
    ++calls;
    return h.answer(q);
  }
  template <class Q>
  auto fan_out(const Q& q) {
    ++calls;
    return h.fan_out(q);
  }
  template <class Q, class A>
  auto fan_in(const Q& q, std::span<const aida::Subanswer<Q, A>> subs) {
    ++calls;
    return h.fan_in(q, subs);
  }
  [[nodiscard]] bool well_formed(std::string_view q) const { return h.well_formed(q); }
};

/// Counts the questions a source gives.
template <class Src>
struct counting_source {
  Src* source;
  std::size_t given = 0;
  template <aida::Sampler S>
  std::string next(S& rng) {
    auto q = source->next(rng);
    ++given;
    return q;
  }
};

/// Checks a run against what its cell says it uses; throws naming the broken expectation.
void check_cell(const method_spec& m, const run_result& run, std::size_t candidates, std::size_t distill_from,
                const aida::deferrable_kinds& defer) {
  const auto& c = run.counts;
  const std::string where = "experiment: " + m.name + " seed " + std::to_string(run.seed) + ": ";
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) throw aida::error(where + what);
  };
  if (m.policy == "supervised") {
    expect(c.overseer_seen == 0, "the supervised baseline called the overseer");
    return;
  }
  expect(c.overseer_seen == c.overseer.total(),
         std::to_string(c.overseer_seen) + " calls reached H but " + std::to_string(c.overseer.total()) + " were counted");
  if (!m.hprime) expect(c.deferred.total() == 0, "H deferred " + std::to_string(c.deferred.total()) + " decisions");
  for (const auto& [deferrable, deferred, kind] : {std::tuple{defer.answer, c.deferred.answer, "answers"},
                                                   std::tuple{defer.fan_out, c.deferred.fan_out, "fan-outs"},
                                                   std::tuple{defer.fan_in, c.deferred.fan_in, "fan-ins"}})
    if (!deferrable) expect(deferred == 0, "H′ deferred " + std::to_string(deferred) + " " + kind + " (--defer " +
                                               kinds_text(defer) + ")");
  const std::size_t distilling = run.steps > distill_from ? run.steps - distill_from : 0;
  expect(c.distill_episodes == m.distill * distilling,
         std::to_string(c.distill_episodes) + " distillation episodes in " + std::to_string(distilling) +
             " steps from step " + std::to_string(distill_from));
  const std::size_t per_episode = m.adversarial_source ? candidates : 1;
  expect(c.source_questions == per_episode * c.episodes + c.distill_episodes,
         "the source gave " + std::to_string(c.source_questions) + " questions for " + std::to_string(c.episodes) +
             " episodes and " + std::to_string(c.distill_episodes) + " distillation episodes");
}

/// The difficulty used when --difficulty is not given. For the lookup tasks: the largest size
/// the default model learns from labels to 95% held out within 15 CPU minutes on this project's
/// 2-core machine (README, "The Transformer learns all four tasks from labels";
/// docs/results/archive/transformer-supervised/). For sum: 4 digits. At 3 digits the task has 1,000
/// questions; with 200 validation and 500 test questions held out, training sees the other 300,
/// and the GRU learns those by heart without generalising: trained on 20,000 LABELS it scored
/// 18% on the test set (seeds 1, 2), plain IDA 46% after 20,000 calls. At 4 digits (10,000
/// questions) it generalises: 95% test accuracy after 15,600 labels (seed 1).
template <class Task>
int experiment_difficulty() {
  const std::string name(Task::name());
  if (name == "sum") return 4;
  if (name == "wildcard") return 2;      // 2 wildcards: 95% at 204,800 labels, 4.4 CPU minutes
  if (name == "assignments") return 1;   // 2 deep was not learned in 8,000 steps (10.6 CPU minutes)
  return 4;  // permutation, k in 8..15: 95% at 819,200 labels, 9.9 CPU minutes
}

/// Any task's overseer H (erring at --overseer-error's rates) behind one type, with the
/// faults it made. With `run_kit` below, training is compiled once for the four tasks rather than
/// once for each (as one template per task the experiment took 4.5 minutes to compile at -O3);
/// a virtual call per decision of H is nothing beside the models' work.
class erased_overseer {
 public:
  using Q = std::string;
  using A = std::string;
  using move_type = aida::Move<Q, A>;

  template <class H>
  erased_overseer(H h, const aida::faulty_options& faults)
      : self_(std::make_unique<held<aida::faulty_overseer<H>>>(aida::faulty_overseer<H>(std::move(h), faults))) {}

  A answer(const Q& q) { return self_->answer(q); }
  move_type fan_out(const Q& q) { return self_->fan_out(q); }
  move_type fan_in(const Q& q, std::span<const aida::Subanswer<Q, A>> subs) { return self_->fan_in(q, subs); }
  [[nodiscard]] bool well_formed(std::string_view q) const { return self_->well_formed(q); }
  /// The errors injected so far.
  [[nodiscard]] const aida::fault_counts& faults() const { return self_->faults(); }

 private:
  struct base {
    virtual ~base() = default;
    virtual A answer(const Q& q) = 0;
    virtual move_type fan_out(const Q& q) = 0;
    virtual move_type fan_in(const Q& q, std::span<const aida::Subanswer<Q, A>> subs) = 0;
    [[nodiscard]] virtual bool well_formed(std::string_view q) const = 0;
    [[nodiscard]] virtual const aida::fault_counts& faults() const = 0;
  };
  template <class F>
  struct held final : base {
    F h;
    explicit held(F f) : h(std::move(f)) {}
    A answer(const Q& q) override { return h.answer(q); }
    move_type fan_out(const Q& q) override { return h.fan_out(q); }
    move_type fan_in(const Q& q, std::span<const aida::Subanswer<Q, A>> subs) override { return h.fan_in(q, subs); }
    [[nodiscard]] bool well_formed(std::string_view q) const override { return h.well_formed(q); }
    [[nodiscard]] const aida::fault_counts& faults() const override { return h.faults(); }
  };
  std::unique_ptr<base> self_;
};

/// Any question source behind one type (see `erased_overseer`).
struct erased_source {
  std::function<std::string(aida::sampler&)> draw;
  std::string next(aida::sampler& rng) { return draw(rng); }
};

/// `source` (a copy of its own) behind `erased_source`.
template <class Src>
erased_source erase_source(Src source) {
  return {[source = std::move(source)](aida::sampler& rng) mutable { return source.next(rng); }};
}

/// What a run needs of its task, the same type for every task (see `erased_overseer`).
struct run_kit {
  std::function<erased_overseer(const aida::faulty_options&)> overseer;  // H, erring as the options say
  aida::string_codec codec;
  std::string charset;
  std::function<aida::tasks::evaluator(std::vector<std::string>)> evaluator;  // labels, for supervised*
  std::function<std::string(const std::string&)> kind;  // a question's kind, if the task says (Task::kind)
};

/// A recursion policy behind one of two types: one that asks for the adversary's scores
/// (`uses_scores`, as `gumbel_argmin` does) and one that does not (`uniform_one`,
/// `recurse_all`). So training is compiled twice per model pair, not once per policy (six), and
/// again for MPI. The policy draws what it drew before: results are bit for bit the same.
template <bool Scores>
struct erased_policy {
  static constexpr bool uses_scores = Scores;
  std::function<aida::selection(std::span<const double>, aida::sampler&, std::size_t)> choose;
  std::size_t step = 0;  // the training step, set by aida::train (gumbel_threshold's α schedule)
  aida::selection select(std::span<const double> scores, aida::sampler& rng) const { return choose(scores, rng, step); }
};

template <class P>
auto erase_policy(P policy) {
  erased_policy<aida::detail::policy_uses_scores<P>()> e;
  e.choose = [policy](std::span<const double> scores, aida::sampler& rng, std::size_t step) {
    if constexpr (requires(P& p) { p.step = step; }) {
      P at_step = policy;  // a copy: the episodes of a step may choose on several threads
      at_step.step = step;
      return at_step.select(scores, rng);
    } else {
      return policy.select(scores, rng);
    }
  };
  return e;
}

/// Trains one method at one seed on `task`. Everything a run touches is its own (models,
/// sampler, copies of the source, overseer and evaluators), so runs may go in parallel and a
/// run's result depends only on its method and seed.
template <class ML, class Adv>
run_result run_with(const run_kit& task, erased_source source, const aida::tasks::evaluator& validation,
                    const aida::tasks::evaluator& test, const method_spec& method, std::uint64_t seed,
                    const settings& cfg, ML& ml, Adv& adv) {
  using Evaluator = aida::tasks::evaluator;
  // H, erring at --overseer-error's rate (aida::faulty_overseer, its own stream seeded from the
  // run's seed; at rate 0 the runs are bit for bit those without it). H′ wraps this H.
  aida::faulty_options faults;
  faults.p_wrong_answer = cfg.overseer_error;
  faults.p_wrong_split = cfg.overseer_error;
  faults.seed = seed + 2000;
  counting_overseer<erased_overseer> overseer{task.overseer(faults)};
  const aida::fault_counts* shown_faults = cfg.overseer_error > 0 ? &overseer.h.faults() : nullptr;
  counting_source<erased_source> questions{&source};
  const auto& codec = task.codec;
  aida::sampler rng(seed);

  run_result run{method.name, seed, {}, 0, 0, 0, {}, {}, {}, {}};
  const auto start = std::chrono::steady_clock::now();
  validation_and_test<Evaluator> eval{&validation, &test, 0, {}};
  if (method.policy == "supervised") {
    // Upper bound: trained on LABELS from the evaluator of its own training questions, with
    // the same replay memory and updates per step as the IDA runs, so that it is not held
    // back by less training.
    using target = aida::model_target<std::string, std::string>;
    aida::replay_memory<target> memory(cfg.replay);
    std::vector<target> replay;
    std::size_t labels = 0;
    for (std::size_t step = 1; step <= cfg.max_steps && labels < cfg.budget; ++step) {
      auto drawn = aida::tasks::draw_questions(questions, cfg.labels, rng);
      auto labelled = task.evaluator(drawn);
      std::vector<target> fresh;
      for (std::size_t i = 0; i < drawn.size(); ++i)
        fresh.push_back({drawn[i], labelled.label_of(i).reveal_for_supervised_baseline(), aida::target_kind::answer});
      labels += drawn.size();
      if (cfg.replay == 0) {
        ml.train_step(std::span<const target>(fresh));
      } else {
        for (auto& t : fresh) memory.add(std::move(t));
        for (std::size_t u = 0; u < cfg.updates; ++u) {
          memory.draw(replay, cfg.batch, rng);
          ml.train_step(std::span<const target>(replay));
        }
      }
      if (step % cfg.eval_every == 0 || labels >= cfg.budget) {
        const double acc = eval.accuracy([&](const std::string& q) { return ml.greedy(ml.predict(q)); });
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        run.curve.push_back({step, labels, acc, eval.last_test, 0, secs});
        if (cfg.verbose) print_progress(run, run.curve.back());
        run.steps = step;
        if (acc >= cfg.stop_accuracy) break;
      }
    }
    run.calls = labels;
  } else {
    aida::train_options opt;
    opt.steps = cfg.max_steps;
    opt.episodes_per_step = cfg.episodes;
    opt.distill_episodes_per_step = method.distill;
    opt.distill_adversary_targets = cfg.distill_adversary;
    opt.distill_from_step = cfg.distill_from;
    opt.adversarial_candidates = method.adversarial_source ? cfg.candidates : 1;
    opt.adversarial_temperature = cfg.source_temperature;
    opt.eval_every = cfg.eval_every;
    opt.replay_capacity = cfg.replay;
    opt.updates_per_step = cfg.updates;
    opt.replay_batch = cfg.batch;
    opt.amplify.max_depth = 8;
    opt.amplify.max_rounds = 6;
    opt.iterate = method.hprime;
    // H′ consults H while the adversary is untrained, then where it predicts a loss above
    // -c nats (spec §4; the noise keeps some checks where it is confident).
    opt.threshold = [warmup = cfg.warmup, c = cfg.c, c_end = cfg.c_end.value_or(cfg.c),
                     span = cfg.c_steps](std::size_t step) {
      if (step < warmup) return std::numeric_limits<double>::infinity();
      const double f = std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(span));
      return c + f * (c_end - c);
    };
    opt.prime_noise = 0.1;
    opt.prime_deferrable = cfg.defer;
    opt.threads = cfg.threads;
    auto stop = aida::callbacks::stop_at_accuracy{cfg.stop_accuracy};
    curve_recorder<validation_and_test<Evaluator>> rec{&run, &eval, cfg.budget, cfg.verbose, shown_faults};
    auto train = [&](auto policy) {
#ifdef AIDA_EXPERIMENT_MPI
      if (g_world) return aida::train(*g_world, questions, overseer, ml, adv, codec, policy, eval, rng, opt, rec, stop);
#endif
      return aida::train(questions, overseer, ml, adv, codec, policy, eval, rng, opt, rec, stop);
    };
    aida::train_state st;
    if (method.policy == "argmin" && cfg.recurse > 1)
      st = train(erase_policy(aida::gumbel_top_m{cfg.recurse, cfg.tau}));
    else if (method.policy == "argmin")
      st = train(erase_policy(aida::gumbel_argmin{cfg.tau}));
    else if (method.policy == "threshold")
      st = train(erase_policy(aida::gumbel_threshold<aida::linear_schedule>{
          {cfg.alpha, cfg.alpha_end.value_or(cfg.alpha), cfg.alpha_steps}, 0.1}));
    else if (method.policy == "uniform" && cfg.recurse > 1)
      st = train(erase_policy(aida::uniform_m{cfg.recurse}));
    else if (method.policy == "uniform")
      st = train(erase_policy(aida::uniform_one{}));
    else
      st = train(erase_policy(aida::recurse_all{}));
    run.steps = st.step;
    run.calls = st.overseer.total();
    run.counts.episodes = st.episodes;
    run.counts.distill_episodes = st.distill_episodes;
    run.counts.overseer = st.overseer;
    run.counts.deferred = st.deferred;
  }
  run.counts.source_questions = questions.given;
  run.counts.overseer_seen = summed_over_ranks(overseer.calls);  // each rank's H saw its own episodes
  run.counts.faulty = shown_faults != nullptr && method.policy != "supervised";
  run.counts.faults = overseer.h.faults();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.test_marks = eval.last_marks;
  check_cell(method, run, cfg.candidates, cfg.distill_from, cfg.defer);
  return run;
}

/// The GRU pair (`char_model`, `adversary_model`) of the reference backend.
auto make_gru_pair(const run_kit& task, std::uint64_t seed, const settings& cfg) {
  aida::nn::char_model_config mc;
  mc.charset = task.charset;
  mc.hidden = cfg.hidden;
  mc.max_answer_length = 24;
  if (cfg.lr > 0) mc.learning_rate = static_cast<float>(cfg.lr);
  mc.seed = seed;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset;
  ac.model_output_size = ml.output_size();
  ac.seed = seed + 1000;
  return std::pair{std::move(ml), aida::nn::adversary_model(ac)};
}

/// The Transformer pair (`transformer_model`, `transformer_adversary`).
auto make_transformer_pair(const run_kit& task, std::uint64_t seed, const settings& cfg) {
  aida::nn::transformer_config mc;
  mc.charset = task.charset;
  mc.width = cfg.width;
  mc.heads = cfg.heads;
  mc.encoder_layers = cfg.layers;
  mc.decoder_layers = cfg.layers;
  mc.feed_forward = cfg.ff;
  mc.max_answer_length = 24;
  if (cfg.lr > 0) mc.learning_rate = static_cast<float>(cfg.lr);
  mc.seed = seed;
  aida::nn::transformer_model ml(mc);
  aida::nn::transformer_adversary_config ac;
  ac.charset = task.charset;
  ac.model_output_size = ml.output_size();
  ac.max_question_length = mc.max_question_length;
  ac.seed = seed + 1000;
  return std::pair{std::move(ml), aida::nn::transformer_adversary(ac)};
}

run_result run_one(const run_kit& task, const erased_source& source, const aida::tasks::evaluator& validation,
                   const aida::tasks::evaluator& test, const method_spec& method, std::uint64_t seed,
                   const settings& cfg) {
  if (model_for(cfg) == "transformer") {
    auto [ml, adv] = make_transformer_pair(task, seed, cfg);
    return run_with(task, source, validation, test, method, seed, cfg, ml, adv);
  }
  auto [ml, adv] = make_gru_pair(task, seed, cfg);
  return run_with(task, source, validation, test, method, seed, cfg, ml, adv);
}

/// Called after each run ends with every run ended so far (in the order the runs end), before
/// the run is announced; with more than one run at a time, never by two threads at once.
using on_run_end = std::function<void(const std::vector<run_result>&)>;

std::vector<run_result> run_jobs(const run_kit& task, const erased_source& source,
                                 const aida::tasks::evaluator& validation, const aida::tasks::evaluator& test,
                                 const settings& cfg, const on_run_end& ended);

/// Questions of several difficulties, each drawn with equal probability (a curriculum in
/// which the easy questions never go away).
template <class Generator>
struct mixed_source {
  std::vector<Generator> generators;
  template <aida::Sampler S>
  std::string next(S& rng) {
    return generators[static_cast<std::size_t>(rng.next() % generators.size())].next(rng);
  }
};

template <class Task>
std::vector<run_result> run_task(const Task& task, const settings& cfg, const on_run_end& ended) {
  const int difficulty = cfg.difficulty >= 0 ? cfg.difficulty : experiment_difficulty<Task>();
  const auto generator = task.generator(difficulty);
  // The held-out sets are the same for every method and seed: distinct questions, the test
  // set first, then the validation set, disjoint from it; training never draws either.
  aida::sampler held_rng(0x5eedULL);
  auto held_gen = generator;
  const std::size_t sizes[] = {cfg.test, cfg.validation};
  auto sets = aida::tasks::disjoint_question_sets(held_gen, sizes, held_rng);
  std::unordered_set<std::string> held(sets[0].begin(), sets[0].end());
  held.insert(sets[1].begin(), sets[1].end());
  const auto test = task.evaluator(std::move(sets[0]));
  const auto validation = task.evaluator(std::move(sets[1]));
  std::cout << "task " << task.name() << ", difficulty " << difficulty << ": " << validation.size()
            << " validation questions (they stop the runs), " << test.size()
            << " test questions (reported), disjoint, and never drawn for training; e.g. \""
            << test.questions().front() << "\"\n";
  {  // The floor: the best constant answer (tried through the evaluator, like any model).
    std::string best;
    double best_accuracy = -1;
    for (int k = 0; k < 100; ++k) {
      const std::string a = std::to_string(k);
      const double acc = test.accuracy([&](const std::string&) { return a; });
      if (acc > best_accuracy) best = a, best_accuracy = acc;
    }
    std::cout << "the best constant answer, \"" << best << "\", scores " << std::fixed << std::setprecision(1)
              << 100 * best_accuracy << "% on the test set\n";
  }

  run_kit kit{[task](const aida::faulty_options& faults) { return erased_overseer(task.overseer(), faults); },
              task.codec(), task.charset(),
              [task](std::vector<std::string> questions) { return task.evaluator(std::move(questions)); }, {}};
  if constexpr (requires(const std::string& q) { { task.kind(q) } -> std::convertible_to<std::string>; })
    kit.kind = [task](const std::string& q) { return std::string(task.kind(q)); };
  if (!cfg.curriculum)
    return run_jobs(kit, erase_source(aida::tasks::excluding_source(generator, std::move(held))), validation, test,
                    cfg, ended);
  mixed_source<std::remove_const_t<decltype(generator)>> mixed;
  for (int d = Task::min_difficulty; d <= difficulty; ++d) mixed.generators.push_back(task.generator(d));
  std::cout << "curriculum: training questions of difficulties " << Task::min_difficulty << " to " << difficulty
            << ", drawn uniformly\n";
  return run_jobs(kit, erase_source(aida::tasks::excluding_source(std::move(mixed), std::move(held))), validation,
                  test, cfg, ended);
}

/// The vector instructions this binary was compiled for: the bits of a run depend on them
/// (docs/backend.md, "Reproducibility").
std::string instruction_set() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2 + FMA";
#elif defined(__AVX__)
  return "AVX";
#elif defined(__SSE2__)
  return "SSE2 (baseline x86-64)";
#else
  return "no x86 vector extension";
#endif
}

/// What a finished run prints.
std::string describe(const run_result& run, const settings& cfg) {
  std::ostringstream o;
  const bool labels = run.method == "supervised";
  o << "  " << std::left << std::setw(13) << run.method << " seed " << run.seed << ": test " << std::fixed
    << std::setprecision(1) << 100 * run.final_test() << "%, validation " << 100 * run.final_validation()
    << "% after " << run.calls << (labels ? " labels, " : " overseer calls, ") << run.steps << " steps, "
    << run.seconds << " s";
  // The step cap ended it with calls of the budget left: a cheap step (H′ deferring) reaches the
  // cap sooner, so say so beside an accuracy that may look like a plateau.
  if (run.steps >= cfg.max_steps && run.calls < cfg.budget && run.final_validation() < cfg.stop_accuracy)
    o << ", ended by the step cap (--steps " << cfg.max_steps << ") before the budget";
  if (!labels) {
    const auto& c = run.counts;
    o << "\n      counts: " << c.episodes << " episodes, " << c.distill_episodes << " distillation, "
      << c.source_questions << " source questions, H called " << c.overseer_seen << " (answer " << c.overseer.answer
      << ", fan-out " << c.overseer.fan_out << ", fan-in " << c.overseer.fan_in << "), H′ deferred "
      << c.deferred.total() << " (answer " << c.deferred.answer << ", fan-out " << c.deferred.fan_out
      << ", fan-in " << c.deferred.fan_in << "); checked";
    if (c.faulty) o << "\n      overseer errors: " << faults_text(c.faults);
  }
  return o.str();
}

std::vector<run_result> run_jobs(const run_kit& task, const erased_source& source,
                                 const aida::tasks::evaluator& validation, const aida::tasks::evaluator& test,
                                 const settings& cfg, const on_run_end& ended) {
  struct job {
    const method_spec* method;
    std::uint64_t seed;
  };
  // Seed by seed (every method's run on a seed before the next seed's), so that an experiment
  // stopped part-way has saved whole seeds, each method's runs paired with the others', rather
  // than every seed of the first method and none of the last.
  std::vector<job> jobs;
  for (std::size_t k = 0; k < cfg.seeds; ++k)
    for (const auto& method : cfg.methods) jobs.push_back({&method, cfg.seed + k});
  std::vector<std::optional<run_result>> results(jobs.size());
  std::vector<std::exception_ptr> errors(jobs.size());
  const auto questions = std::make_shared<const std::vector<std::string>>(test.questions());
  std::shared_ptr<const std::vector<std::string>> kinds;
  if (task.kind) {
    std::vector<std::string> k;
    for (const auto& q : *questions) k.push_back(task.kind(q));
    kinds = std::make_shared<const std::vector<std::string>>(std::move(k));
  }
  std::atomic<std::size_t> next{0};
  std::mutex print;
  std::vector<run_result> ended_so_far;  // guarded by `print`
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      try {
        results[i] = run_one(task, source, validation, test, *jobs[i].method, jobs[i].seed, cfg);
        results[i]->test_questions = questions;
        results[i]->test_kinds = kinds;
        const std::lock_guard lock(print);
        ended_so_far.push_back(*results[i]);
        if (ended) ended(ended_so_far);
        std::cout << describe(*results[i], cfg) << '\n' << std::flush;
      } catch (...) {
        errors[i] = std::current_exception();
        next = jobs.size();  // start no further run
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < std::min(cfg.jobs, jobs.size()); ++t) pool.emplace_back(worker);
    worker();
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  // The files list the runs method by method, as they always have.
  std::vector<run_result> out;
  for (std::size_t m = 0; m < cfg.methods.size(); ++m)
    for (std::size_t k = 0; k < cfg.seeds; ++k) out.push_back(std::move(*results[k * cfg.methods.size() + m]));
  return out;
}

/// `s` followed by spaces up to `width` characters (counting a UTF-8 sequence as one).
std::string pad(const std::string& s, std::size_t width) {
  std::size_t shown = 0;
  for (unsigned char ch : s) shown += (ch & 0xC0) != 0x80;
  return s + std::string(shown < width ? width - shown : 1, ' ');
}

struct stats {
  double mean = 0, sd = 0;
  std::size_t n = 0;
};
stats summarise(const std::vector<double>& xs) {
  stats s;
  s.n = xs.size();
  if (xs.empty()) return s;
  for (double x : xs) s.mean += x;
  s.mean /= static_cast<double>(xs.size());
  if (xs.size() > 1) {
    for (double x : xs) s.sd += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(s.sd / static_cast<double>(xs.size() - 1));
  }
  return s;
}
std::string show(const stats& s, std::size_t of) {
  if (s.n == 0) return "not reached";
  std::ostringstream o;
  o << std::fixed << std::setprecision(0) << s.mean;
  if (s.n > 1) o << " ± " << s.sd;
  if (s.n < of) o << " (" << s.n << "/" << of << " runs)";
  return o.str();
}

/// A run's calls to test accuracy `a`; a run that did not reach it counts with all the calls it
/// made (a lower bound on what it would have needed), and `censored` says so.
double calls_or_all(const run_result& r, double a, bool& censored) {
  if (auto c = r.calls_to(a)) return static_cast<double>(*c);
  censored = true;
  return static_cast<double>(r.calls);
}

/// Percentile bootstrap over seeds: the 95% interval of mean(x) / mean(y) (or of mean(x) when
/// `y` is empty), resampling seed indices with replacement, paired when `y` is given (the same
/// seed starts both methods from the same models). Fixed seed: the same data give the same interval.
std::pair<double, double> bootstrap_interval(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size(), resamples = 10000;
  aida::sampler rng(0xb00757a9ULL);
  std::vector<double> stat;
  stat.reserve(resamples);
  for (std::size_t b = 0; b < resamples; ++b) {
    double sx = 0, sy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(rng.next() % n);
      sx += x[k];
      if (!y.empty()) sy += y[k];
    }
    stat.push_back(y.empty() ? sx / static_cast<double>(n) : sx / sy);
  }
  std::sort(stat.begin(), stat.end());
  return {stat[static_cast<std::size_t>(0.025 * resamples)], stat[static_cast<std::size_t>(0.975 * resamples) - 1]};
}

/// Fisher's exact test, two-sided: of `n1` runs `k1` reached a level and of `n2` runs `k2` did;
/// the probability, with the margins fixed, of a split at most as likely as the one seen (the sum
/// of the hypergeometric probabilities not above the observed one). With five seeds a method,
/// 4 of 5 against 1 of 5 gives p = 0.21: whether a difference in how many runs reached a level is
/// more than the luck of the seeds.
double fisher_exact_p(std::size_t k1, std::size_t n1, std::size_t k2, std::size_t n2) {
  const std::size_t hits = k1 + k2, n = n1 + n2;
  auto log_choose = [](std::size_t a, std::size_t b) {
    return std::lgamma(static_cast<double>(a) + 1) - std::lgamma(static_cast<double>(b) + 1) -
           std::lgamma(static_cast<double>(a - b) + 1);
  };
  // P(the first group has x of the hits): C(hits, x) C(n - hits, n1 - x) / C(n, n1).
  auto prob = [&](std::size_t x) {
    return std::exp(log_choose(hits, x) + log_choose(n - hits, n1 - x) - log_choose(n, n1));
  };
  const double seen = prob(k1);
  double p = 0;
  const std::size_t lowest = n1 > n - hits ? n1 - (n - hits) : 0, highest = std::min(hits, n1);
  for (std::size_t x = lowest; x <= highest; ++x)
    if (const double q = prob(x); q <= seen * (1 + 1e-9)) p += q;
  return std::min(p, 1.0);
}

/// The method every other is compared with: plain IDA, if it ran.
std::optional<std::string> reference_method(const std::vector<std::string>& methods) {
  for (const char* name : {"plain", "uniform"})
    if (std::find(methods.begin(), methods.end(), name) != methods.end()) return name;
  return std::nullopt;
}

std::string with_commas(double v) {
  // Appended digit by digit: std::string::insert here makes g++ 12 at -O3 warn (-Wrestrict, a
  // false positive inside libstdc++), which -Werror turns into a failed Release build.
  const std::string d = std::to_string(static_cast<long long>(std::llround(v)));
  const std::size_t sign = !d.empty() && d[0] == '-' ? 1 : 0;
  std::string out = d.substr(0, sign);
  for (std::size_t i = sign; i < d.size(); ++i) {
    if (i > sign && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

/// Writes the files of `runs` in --out (all or none) and says the table on `say`.
void report(const std::vector<run_result>& runs, const settings& cfg, const std::string& task,
            const std::vector<std::string>& methods, bool from_file, std::ostream& say = std::cout) {
  check_writable(cfg.out, output_names(from_file));
  const double lo_level = cfg.level_low, hi_level = cfg.level_high;
  auto percent = [](double a) {
    std::ostringstream o;
    o << 100 * a << "%";
    return o.str();
  };
  const std::string lo = percent(lo_level), hi = percent(hi_level);
  const std::string curves_path = cfg.out + "/curves.csv", runs_path = cfg.out + "/runs.csv",
                    summary_path = cfg.out + "/summary.csv", table_path = cfg.out + "/table.md";
  std::ostringstream curves, runs_csv, answers_csv;
  {
    auto& f = curves;
    f << "task,method,seed,step,overseer_calls,validation_accuracy,test_accuracy,deferred,seconds\n";
    for (const auto& r : runs)
      for (const auto& p : r.curve)
        f << task << ',' << r.method << ',' << r.seed << ',' << p.step << ',' << p.calls << ',' << p.validation << ','
          << p.test << ',' << p.deferred << ',' << p.seconds << '\n';
  }
  if (!from_file) {
    auto& f = runs_csv;
    f << "task,method,cell,seed,steps,episodes,distill_episodes,source_questions,overseer_answer,overseer_fan_out,"
         "overseer_fan_in,deferred_answer,deferred_fan_out,deferred_fan_in,calls_to_low,calls_to_high,"
         "test_accuracy_at_stop,validation_accuracy_at_stop,seconds,overseer_error,wrong_answers,wrong_splits\n";
    for (const auto& r : runs) {
      const auto m = std::find_if(cfg.methods.begin(), cfg.methods.end(), [&](const method_spec& x) { return x.name == r.method; });
      const auto& c = r.counts;
      auto opt = [](std::optional<std::size_t> v) { return v ? std::to_string(*v) : std::string(); };
      f << task << ',' << r.method << ',' << (m != cfg.methods.end() ? m->cell() : "") << ',' << r.seed << ',' << r.steps
        << ',' << c.episodes << ',' << c.distill_episodes << ',' << c.source_questions << ',' << c.overseer.answer << ','
        << c.overseer.fan_out << ',' << c.overseer.fan_in << ',' << c.deferred.answer << ',' << c.deferred.fan_out << ','
        << c.deferred.fan_in << ',' << opt(r.calls_to(lo_level)) << ',' << opt(r.calls_to(hi_level)) << ',' << r.final_test()
        << ',' << r.final_validation() << ',' << r.seconds << ',' << (c.faulty ? cfg.overseer_error : 0.0) << ','
        << c.faults.wrong_answers << ',' << c.faults.wrong_splits << '\n';
    }
    // Each test question's mark at the run's last evaluation (what "test at stop" counts), for a
    // breakdown by kind of question. The question is quoted (permutation's hold a comma).
    auto quoted = [](const std::string& q) {
      std::string o = "\"";
      for (char ch : q) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      return o + '"';
    };
    answers_csv << "task,method,seed,question,correct_at_stop\n";
    for (const auto& r : runs) {
      if (!r.test_questions || r.test_marks.size() != r.test_questions->size()) continue;  // never evaluated
      for (std::size_t i = 0; i < r.test_marks.size(); ++i)
        answers_csv << task << ',' << r.method << ',' << r.seed << ',' << quoted((*r.test_questions)[i]) << ','
                    << (r.test_marks[i] ? 1 : 0) << '\n';
    }
  }
  const auto reference = reference_method(methods);
  std::vector<double> reference_calls;  // calls to 95% test of the reference, by seed
  std::vector<std::uint64_t> reference_seeds;
  bool reference_censored = false;
  std::size_t ref_reached = 0;  // of the reference's runs (reference_calls.size()), those that reached hi
  if (reference)
    for (const auto& r : runs)
      if (r.method == *reference) {
        reference_calls.push_back(calls_or_all(r, hi_level, reference_censored)), reference_seeds.push_back(r.seed);
        ref_reached += r.calls_to(hi_level) ? 1 : 0;
      }

  std::ostringstream summary;
  summary << "task,method,runs,level_low,level_high,calls_to_low_mean,calls_to_low_sd,reached_low,calls_to_high_mean,"
             "calls_to_high_sd,reached_high,ratio_to_plain_high,ratio_interval_low,ratio_interval_high,test_accuracy_mean,test_accuracy_sd,deferred_mean,"
             "seconds_mean,reached_high_fisher_p\n";
  std::ostringstream table;
  table << "| method | calls to " << lo << " | calls to " << hi << " | × plain to " << hi
        << " (95% interval) | test accuracy at stop | H′ deferred | time per run |\n"
           "|---|---|---|---|---|---|---|\n";
  const std::string ratio_head = reference ? "× " + *reference + " to " + hi : "";
  // The method column is as wide as the longest name (a cell such as threshold:Hp:adv:2, or a
  // name given in a curves file), and 14 characters at least.
  std::size_t name_width = 14;
  for (const auto& m : methods) name_width = std::max(name_width, m.size() + 3);  // "supervised*" and a gap
  say << "\ncalls to " << lo << " and " << hi << " are read on the test curve"
      << (from_file ? std::string() : "; runs stop at " + percent(cfg.stop_accuracy) + " validation accuracy or the budget")
      << "\n"
      << pad("method", name_width) << std::left << std::setw(26) << "calls to " + lo << std::setw(26)
      << "calls to " + hi << std::setw(26) << ratio_head << std::setw(16) << "test at stop" << std::setw(12)
      << "deferred" << "time per run\n";
  aida::io::line_plot plot{"aida " + task + ": test accuracy against overseer calls", "overseer calls (labels for supervised)",
                           "test accuracy", true, false, {}, std::pair{0.0, 1.0}, {}};
  aida::io::line_plot calls_plot{"aida " + task + ": calls to " + hi + " test accuracy, mean and 95% bootstrap interval over seeds " +
                                     "(a run short of " + hi + " counts all its calls)",
                                 "method", "calls (labels for supervised)", false, true, {}, {}, {}};
  struct reach {
    std::string label;
    std::size_t reached, runs;
    double p;  // Fisher's exact p of the count against the reference's; NaN for the reference
  };
  std::vector<reach> reached;  // runs of each method that reached hi, said below the table
  for (std::size_t mi = 0; mi < methods.size(); ++mi) {
    const auto& method = methods[mi];
    std::vector<double> c90, c95, fin, secs, deferred, c95_all;
    std::vector<std::uint64_t> seeds;
    bool censored = false;
    std::vector<const run_result*> mine;
    for (const auto& r : runs)
      if (r.method == method) {
        mine.push_back(&r);
        if (auto c = r.calls_to(lo_level)) c90.push_back(static_cast<double>(*c));
        if (auto c = r.calls_to(hi_level)) c95.push_back(static_cast<double>(*c));
        c95_all.push_back(calls_or_all(r, hi_level, censored));
        seeds.push_back(r.seed);
        fin.push_back(100 * r.final_test());
        secs.push_back(r.seconds);
        deferred.push_back(static_cast<double>(r.deferred()));
      }
    const auto s90 = summarise(c90), s95 = summarise(c95), sf = summarise(fin), ss = summarise(secs),
               sd = summarise(deferred);
    const std::string label = method == "supervised" ? "supervised*" : method;
    // The ratio to the reference, paired by seed, over the seeds both ran.
    std::string ratio_text;
    double ratio = std::nan(""), low = std::nan(""), high = std::nan("");
    if (reference && method != "supervised") {
      std::vector<double> x, y;
      for (std::size_t i = 0; i < seeds.size(); ++i) {
        const auto k = std::find(reference_seeds.begin(), reference_seeds.end(), seeds[i]);
        if (k != reference_seeds.end())
          x.push_back(c95_all[i]), y.push_back(reference_calls[static_cast<std::size_t>(k - reference_seeds.begin())]);
      }
      if (!x.empty()) {
        ratio = summarise(x).mean / summarise(y).mean;
        std::tie(low, high) = bootstrap_interval(x, y);
        std::ostringstream o;
        o << std::fixed << std::setprecision(2) << ratio << " [" << low << ", " << high << "]";
        if (censored || reference_censored) o << " †";
        ratio_text = o.str();
      }
    }
    std::ostringstream acc;
    acc << std::fixed << std::setprecision(1) << sf.mean << "%";
    if (sf.n > 1) acc << " ± " << sf.sd;
    std::ostringstream def;
    def << std::fixed << std::setprecision(0) << sd.mean;
    say << pad(label, name_width) << pad(show(s90, mine.size()), 26) << pad(show(s95, mine.size()), 26)
        << pad(ratio_text, 26) << pad(acc.str(), 16) << pad(method == "supervised" ? "" : def.str(), 12)
        << std::fixed << std::setprecision(1) << ss.mean << " s\n";
    auto md = [&](const stats& s) {
      if (s.n == 0) return std::string("not reached");
      std::string o = with_commas(s.mean);
      if (s.n > 1) o += " ± " + with_commas(s.sd);
      if (s.n < mine.size()) o += " (" + std::to_string(s.n) + "/" + std::to_string(mine.size()) + ")";
      return o;
    };
    table << "| " << label << " | " << md(s90) << " | " << md(s95) << " | " << (ratio_text.empty() ? "—" : ratio_text)
          << " | " << acc.str() << " | " << (method == "supervised" ? "—" : def.str()) << " | " << std::fixed
          << std::setprecision(0) << ss.mean << " s |\n";
    // Fisher's exact p of this method's runs reaching hi against the reference's (not paired).
    double reach_p = std::nan("");
    if (reference && method != *reference && method != "supervised" && !reference_calls.empty() && !mine.empty())
      reach_p = fisher_exact_p(s95.n, mine.size(), ref_reached, reference_calls.size());
    reached.push_back({label, s95.n, mine.size(), reach_p});
    summary << task << ',' << method << ',' << mine.size() << ',' << lo_level << ',' << hi_level << ',' << s90.mean << ',' << s90.sd << ',' << s90.n << ','
            << s95.mean << ',' << s95.sd << ',' << s95.n << ',' << ratio << ',' << low << ',' << high << ','
            << sf.mean / 100 << ',' << sf.sd / 100 << ',' << sd.mean << ',' << ss.mean << ',' << reach_p << '\n';
    // The plotted line: at each x, the mean over seeds of the latest test accuracy at <= x calls.
    std::vector<double> xs;
    for (const auto* r : mine)
      for (const auto& p : r->curve) xs.push_back(static_cast<double>(std::max<std::size_t>(p.calls, 1)));
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    aida::io::plot_series series{label, {}, method == "supervised"};
    for (double x : xs) {
      double sum = 0;
      for (const auto* r : mine) {
        double a = 0;
        for (const auto& p : r->curve)
          if (static_cast<double>(p.calls) <= x) a = p.test;
        sum += a;
      }
      series.points.emplace_back(x, sum / static_cast<double>(mine.size()));
    }
    plot.series.push_back(std::move(series));
    // Calls to 95%: the mean as a short bar, the interval as a vertical line.
    const auto [ci_low, ci_high] = bootstrap_interval(c95_all, {});
    const double mean = summarise(c95_all).mean, at = static_cast<double>(mi + 1);
    calls_plot.series.push_back({label + " (" + std::to_string(s95.n) + "/" + std::to_string(mine.size()) + " reached)",
                                 {{at - 0.2, mean}, {at + 0.2, mean}, {at, mean}, {at, ci_low}, {at, ci_high}},
                                 method == "supervised"});
    calls_plot.x_tick_labels.emplace_back(at, label);
  }
  // Test accuracy at stop by kind of question (for a task with kinds: permutation's power k),
  // mean ± sd over each method's seeds: where a method's misses are.
  std::vector<std::string> kinds;
  std::ostringstream by_kind;  // said after the table's notes
  const std::vector<std::string>* run_kinds = nullptr;
  for (const auto& r : runs)
    if (r.test_kinds && r.test_marks.size() == r.test_kinds->size()) run_kinds = r.test_kinds.get();
  if (run_kinds) {
    kinds = *run_kinds;
    std::sort(kinds.begin(), kinds.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;  // k=2 before k=10
    });
    kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
    auto count = [&](const std::string& k) { return std::count(run_kinds->begin(), run_kinds->end(), k); };
    by_kind << "\ntest accuracy at stop by kind of question (mean over seeds)\n" << pad("method", name_width);
    table << "\nTest accuracy at stop by kind of question (mean ± sd over seeds; questions of the kind in the test set):\n\n| method |";
    for (const auto& k : kinds) {
      const std::string head = k + " (" + std::to_string(count(k)) + ")";
      by_kind << pad(head, 18);
      table << ' ' << head << " |";
    }
    by_kind << '\n';
    table << "\n|---|";
    for (std::size_t i = 0; i < kinds.size(); ++i) table << "---|";
    table << '\n';
    for (const auto& method : methods) {
      by_kind << pad(method == "supervised" ? "supervised*" : method, name_width);
      table << "| " << (method == "supervised" ? "supervised*" : method) << " |";
      for (const auto& k : kinds) {
        std::vector<double> acc;
        for (const auto& r : runs) {
          if (r.method != method || r.test_kinds.get() != run_kinds || r.test_marks.size() != run_kinds->size()) continue;
          std::size_t right = 0, n = 0;
          for (std::size_t i = 0; i < run_kinds->size(); ++i)
            if ((*run_kinds)[i] == k) ++n, right += r.test_marks[i] ? 1 : 0;
          if (n > 0) acc.push_back(100.0 * static_cast<double>(right) / static_cast<double>(n));
        }
        const auto st = summarise(acc);
        std::ostringstream cell;
        if (st.n == 0) cell << "—";
        else {
          cell << std::fixed << std::setprecision(1) << st.mean << "%";
          if (st.n > 1) cell << " ± " << st.sd;
        }
        by_kind << pad(cell.str(), 18);
        table << ' ' << cell.str() << " |";
      }
      by_kind << '\n';
      table << '\n';
    }
  }
  // How many runs of each method reached hi, and whether that differs from the reference's count
  // by more than the seeds' luck: with few seeds, "4 of 5 against 1 of 5" reads as a result and
  // is not one (p = 0.21).
  std::ostringstream reach_say;  // said after the table's notes
  if (reference && reached.size() > 1 && !reference_calls.empty()) {
    reach_say << "\nruns that reached " << hi << " test accuracy (Fisher's exact test against " << *reference
              << ", two-sided)\n";
    table << "\nRuns that reached " << hi << " test accuracy; p: Fisher's exact test of the count against "
          << *reference << "'s, two-sided:\n\n| method | reached " << hi << " | p against " << *reference << " |\n|---|---|---|\n";
    for (const auto& m : reached) {
      std::ostringstream p;
      if (!std::isnan(m.p)) p << std::fixed << std::setprecision(2) << m.p;
      const std::string count = std::to_string(m.reached) + " of " + std::to_string(m.runs);
      reach_say << pad(m.label, name_width) << pad(count, 12) << (p.str().empty() ? "" : "p = " + p.str()) << '\n';
      table << "| " << m.label << " | " << count << " | " << (p.str().empty() ? "—" : p.str()) << " |\n";
    }
  }
  // Every file is written before any replaces what --out held (perhaps the curves read by
  // --from), and none is said to be written unless it was.
  output_files files;
  files.add(curves_path, curves.str());
  if (!from_file) {
    files.add(runs_path, runs_csv.str());
    files.add(cfg.out + "/answers.csv", answers_csv.str());
  }
  files.add(summary_path, summary.str());
  files.add(table_path, table.str());
  files.add(cfg.out + "/accuracy.svg", plot.to_svg());
  files.add(cfg.out + "/calls.svg", calls_plot.to_svg(1000, 450));
  files.commit();
  if (std::find(methods.begin(), methods.end(), "supervised") != methods.end())
    say << "(* trained on ground-truth labels, not IDA: a reference, not a bound; its calls are labels)\n";
  if (reference)
    say << "(× " << *reference << ": mean calls to " << hi << " over mean of " << *reference
        << "'s, seeds paired, 95% percentile bootstrap over seeds; † a run that did not reach " << hi << " counts the "
                 "calls it made, a lower bound)\n";
  say << reach_say.str();
  say << by_kind.str();
  say << "wrote " << curves_path << (from_file ? "" : ", runs.csv, answers.csv") << ", summary.csv, table.md, accuracy.svg and calls.svg\n";
}

}  // namespace

/// The fields of one line of a CSV file: separated by commas, empty fields kept (`a,,b` is
/// three fields, `a,b,` three); a field in double quotes may hold commas, and `""` in it is one
/// quote. Throws naming `where` and the column of a quote that is not closed or is followed by
/// more than a comma.
std::vector<std::string> csv_fields(std::string_view line, const std::string& where) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  for (;;) {
    const std::string column = where + ", column " + std::to_string(fields.size() + 1);
    std::string field;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i == line.size()) throw aida::invalid_options(column + ": the quoted field is not closed");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"', ++i;
            continue;
          }
          ++i;
          break;
        }
        field += line[i];
      }
      if (i < line.size() && line[i] != ',') throw aida::invalid_options(column + ": text after the closing quote");
    } else {
      const auto end = std::min(line.find(',', i), line.size());
      field = line.substr(i, end - i);
      i = end;
    }
    fields.push_back(std::move(field));
    if (i == line.size()) return fields;
    ++i;  // the comma
  }
}

/// The runs of a curves.csv (as `report` writes it, or the older 7-column form, whose one
/// held-out accuracy is read as both validation and test); sets `cfg.task`, returns the methods.
/// Lines may end in CRLF; every value is checked (whole numbers, accuracies in [0, 1], seconds
/// >= 0), and an error names the file, the line and the column.
std::vector<run_result> read_curves(settings& cfg, std::vector<std::string>& methods) {
  if (std::filesystem::is_directory(cfg.from)) throw aida::invalid_options("--from: " + cfg.from + " is a directory");
  std::ifstream in(cfg.from, std::ios::binary);
  if (!in) throw aida::invalid_options("--from: cannot read " + cfg.from);
  const std::vector<std::string> columns{"task",          "method",        "seed",     "step",   "overseer_calls",
                                         "validation_accuracy", "test_accuracy", "deferred", "seconds"};
  const std::vector<std::string> old_columns{"task", "method", "seed", "step", "overseer_calls", "accuracy", "seconds"};
  auto joined = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ",") + n;
    return s;
  };
  const std::string header = joined(columns), old_header = joined(old_columns);
  const real_range accuracy{0, 1, false, false}, seconds{0, std::numeric_limits<double>::infinity(), false, false};
  std::vector<run_result> runs;
  std::string task, line;
  bool old = false;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a CRLF file
    if (n == 1 && line != header && line != old_header)
      throw aida::invalid_options("--from: " + cfg.from + " does not start with the header '" + header +
                                  "' (or the older '" + old_header + "')");
    if (line == header || line == old_header) {  // the first line, or a file concatenated after it
      old = line == old_header;
      continue;
    }
    if (line.empty()) continue;
    const std::string where = "--from: " + cfg.from + " line " + std::to_string(n);
    const auto f = csv_fields(line, where);
    const auto& names = old ? old_columns : columns;
    if (f.size() != names.size())
      throw aida::invalid_options(where + " has " + std::to_string(f.size()) + " fields, not " +
                                  std::to_string(names.size()) + " (" + joined(names) + ")");
    // Field i (0-based), checked; the error names its column (1-based) and its name.
    auto at = [&](std::size_t i) { return where + ", column " + std::to_string(i + 1) + " (" + names[i] + ")"; };
    auto whole = [&](std::size_t i) {
      if (const auto v = whole_number(f[i])) return *v;
      throw aida::invalid_options(at(i) + ": takes a whole number, not '" + f[i] + "'");
    };
    auto real = [&](std::size_t i, const real_range& range, const std::string& what) {
      if (const auto v = real_number(f[i], range)) return *v;
      throw aida::invalid_options(at(i) + ": takes " + what + ", not '" + f[i] + "'");
    };
    for (const std::size_t i : {std::size_t{0}, std::size_t{1}})
      if (f[i].empty()) throw aida::invalid_options(at(i) + " is empty");
    if (!task.empty() && f[0] != task) throw aida::invalid_options(at(0) + ": the task is " + f[0] + ", not " + task + " as above");
    const std::uint64_t seed = whole(2);
    point p{static_cast<std::size_t>(whole(3)), static_cast<std::size_t>(whole(4)), 0, 0, 0, 0};
    if (old) {
      p.validation = p.test = real(5, accuracy, "an accuracy in [0, 1]");
      p.seconds = real(6, seconds, "seconds >= 0");
    } else {
      p.validation = real(5, accuracy, "an accuracy in [0, 1]");
      p.test = real(6, accuracy, "an accuracy in [0, 1]");
      p.deferred = static_cast<std::size_t>(whole(7));
      p.seconds = real(8, seconds, "seconds >= 0");
    }
    task = f[0];
    if (std::find(methods.begin(), methods.end(), f[1]) == methods.end()) methods.push_back(f[1]);
    auto r = std::find_if(runs.begin(), runs.end(), [&](const run_result& x) { return x.method == f[1] && x.seed == seed; });
    if (r == runs.end()) r = runs.insert(runs.end(), run_result{f[1], seed, {}, 0, 0, 0, {}, {}, {}, {}});
    r->curve.push_back(p);
    r->seconds = p.seconds, r->steps = p.step, r->calls = p.calls;
  }
  if (in.bad()) throw aida::invalid_options("--from: reading " + cfg.from + " failed");
  if (runs.empty()) throw aida::invalid_options("--from: " + cfg.from + " holds no runs");
  cfg.task = task;
  return runs;
}

int main(int argc, char** argv) {
#ifdef AIDA_EXPERIMENT_MPI
  std::optional<aida::mpi::environment> mpi;
  std::optional<aida::mpi::communicator> world;
#endif
  try {
#ifdef AIDA_EXPERIMENT_MPI
    if (launched_by_mpirun()) {
      mpi.emplace(argc, argv);
      world.emplace();
      if (world->size() > 1) g_world = &*world;
      // Rank 0 speaks for all: the others print nothing (their errors still go to stderr).
      if (world->rank() != 0) std::cout.rdbuf(nullptr);
    }
#endif
    // The same seed gives the same bits on any x86-64 CPU running this binary (not only on
    // CPUs with this one's caches): see aida::nn::pin_gemm_blocking.
    aida::nn::pin_gemm_blocking();
    const auto parsed = parse(argc, argv);
    if (!parsed) return 0;  // --help
    settings cfg = *parsed;
#ifdef AIDA_EXPERIMENT_MPI
    if (g_world) {
      if (!cfg.from.empty()) throw aida::invalid_options("--from reads saved curves: run it without mpirun");
      if (cfg.jobs_given && cfg.jobs > 1)
        throw aida::invalid_options("--jobs " + std::to_string(cfg.jobs) +
                                    ": under mpirun the runs go one at a time, each over all " +
                                    std::to_string(g_world->size()) + " ranks (leave --jobs out)");
      cfg.jobs = 1;
    }
#endif
    if (!cfg.from.empty()) {
      std::vector<std::string> methods;
      const auto runs = read_curves(cfg, methods);
      report(runs, cfg, cfg.task, methods, true);
      return 0;
    }
#ifdef AIDA_EXPERIMENT_MPI
    const bool speaks = g_world == nullptr || g_world->rank() == 0;
#else
    const bool speaks = true;
#endif
    if (speaks) check_writable(cfg.out, output_names(false));  // before hours of training, not after
    const std::size_t at_a_time = std::min(cfg.jobs, cfg.methods.size() * cfg.seeds);
    std::cout << "aida experiment: seed " << cfg.seed << " (seeds " << cfg.seed << ".." << cfg.seed + cfg.seeds - 1
              << "), budget " << cfg.budget << " overseer calls, at most " << cfg.max_steps << " steps per run, "
              << at_a_time << (at_a_time == 1 ? " run" : " runs") << " at a time";
#ifdef AIDA_EXPERIMENT_MPI
    if (g_world) std::cout << ", each data-parallel over " << g_world->size() << " MPI ranks";
#endif
    std::cout << "; built for " << instruction_set() << '\n'
              << "model: " << (model_for(cfg) == "gru" ? "GRU, hidden " + std::to_string(cfg.hidden)
                                                   : "Transformer, width " + std::to_string(cfg.width) + ", " +
                                                         std::to_string(cfg.heads) + " heads, " +
                                                         std::to_string(cfg.layers) + "+" + std::to_string(cfg.layers) +
                                                         " layers, feed-forward " + std::to_string(cfg.ff))
              << "\nmethods:";
    for (const auto& m : cfg.methods) std::cout << ' ' << m.name << (m.name == m.cell() ? "" : " (" + m.cell() + ")");
    std::cout << "\nH′: c = " << cfg.c;
    if (cfg.c_end) std::cout << " moving to " << *cfg.c_end << " over " << cfg.c_steps << " steps";
    std::cout << " after " << cfg.warmup << " warm-up steps";
    if (cfg.defer != aida::deferrable_kinds{}) std::cout << ", deferring only " << kinds_text(cfg.defer);
    std::cout << "; threshold policy α = " << cfg.alpha;
    if (cfg.alpha_end) std::cout << " moving to " << *cfg.alpha_end << " over " << cfg.alpha_steps << " steps";
    std::cout << "; arg-min τ = " << cfg.tau;
    if (cfg.recurse > 1) std::cout << " (Gumbel-top-" << cfg.recurse << "; uniform: " << cfg.recurse << " of k)";
    if (cfg.parts != 2) std::cout << "; sum split into up to " << cfg.parts << " parts";
    if (!cfg.distill_adversary) std::cout << "; the adversary does not train on distillation's targets";
    if (cfg.distill_from > 0) std::cout << "; distillation from step " << cfg.distill_from;
    std::cout << "; adversarial source: " << cfg.candidates << " candidates, temperature "
              << cfg.source_temperature << "\n";
    if (cfg.overseer_error > 0)
      std::cout << "H errs: each answer it gives and each split it makes is wrong with probability "
                << cfg.overseer_error << " (a digit changed); the supervised baseline's labels are right\n";
    std::vector<std::string> names;
    for (const auto& m : cfg.methods) names.push_back(m.name);
    // Each run's results are saved as soon as it ends: an experiment stopped after hours keeps
    // the runs it finished (--from on its curves.csv makes their table). The last report, with
    // every run in the order of --methods and --seed, replaces these files.
    const on_run_end save_ended = [&](const std::vector<run_result>& ended) {
      std::vector<std::string> ran;
      for (const auto& name : names)
        if (std::any_of(ended.begin(), ended.end(), [&](const run_result& r) { return r.method == name; }))
          ran.push_back(name);
      std::ostringstream quiet;
      report(ended, cfg, cfg.task, ran, false, quiet);
    };
    if (speaks && cfg.methods.size() * cfg.seeds > 1)
      std::cout << "each run's results are saved in " << cfg.out << " as soon as it ends\n";
    const auto start = std::chrono::steady_clock::now();
    const auto runs = aida::tasks::with_task(cfg.task, [&](const auto& task) {
      auto t = task;
      if constexpr (requires { t.parts; }) t.parts = cfg.parts;
      return run_task(t, cfg, speaks ? save_ended : on_run_end{});
    });
    if (speaks) report(runs, cfg, cfg.task, names, false);
    std::cout << "total wall time " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "experiment: " << e.what() << '\n';
#ifdef AIDA_EXPERIMENT_MPI
    // A rank that stops must not leave the others waiting in a collective.
    if (g_world) MPI_Abort(MPI_COMM_WORLD, 2);
#endif
    return 2;
  }
}
