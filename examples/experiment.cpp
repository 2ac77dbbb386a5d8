// The experiment of aida: train the reference model by adversarial IDA against an
// algorithmic overseer that can only decompose, and compare how many overseer calls each
// method needs to reach a held-out accuracy.
//
// Methods (spec §2, §4, §5; `--policy`):
//   adversarial  the post's: Gumbel arg-min of the adversary's scores, with the primed H′
//   threshold    spec §5's variant: recurse where S_i + τε < α + τε′, with H′
//   uniform      plain IDA: one subquestion chosen uniformly, H consulted at every step
//   full         the full HCH tree: recurse on both subquestions, H everywhere
//   supervised   an upper bound trained on ground-truth LABELS (it uses no overseer; its
//                x-axis is labels used, not overseer calls)
//
// Writes <out>/curves.csv (accuracy against overseer calls for every run),
// <out>/summary.csv and <out>/accuracy.svg, and prints a table.

#include <algorithm>
#include <atomic>
#include <exception>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aida/aida.hpp"
#include "aida/algorithm/callbacks.hpp"
#include "aida/algorithm/train.hpp"
#include "aida/io/svg_plot.hpp"
#include "aida/nn/nn.hpp"
#include "aida/nn/transformer.hpp"
#include "aida/tasks/tasks.hpp"

namespace {

std::size_t default_jobs() {
  const auto n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

struct settings {
  std::string task = "sum";
  std::vector<std::string> methods{"adversarial", "threshold", "uniform", "full", "supervised"};
  std::uint64_t seed = 1;
  std::size_t seeds = 2;
  std::size_t budget = 30000;    // overseer calls (labels for the supervised baseline) per run
  std::size_t max_steps = 4000;  // training steps per run
  int difficulty = -1;           // -1: the task's experiment default
  std::size_t held_out = 200;
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
  double stop_accuracy = 0.95;
  double c = -0.03;           // H′ consults H where Adv predicts ML's log-likelihood below c (nats)
  std::size_t warmup = 100;   // steps with H′ consulting H everywhere (c = +inf)
  std::optional<double> c_end;  // if set, c moves linearly from c to c_end over c_steps steps
  std::size_t c_steps = 500;
  double alpha = -0.3;        // the threshold policy's α
  double tau = 0.3;           // the Gumbel arg-min's temperature
  std::size_t jobs = default_jobs();  // runs in parallel
  std::string out = "experiment-out";
  std::string from;  // a curves.csv to report on instead of training
  bool verbose = false;  // print every evaluation as it happens
  bool curriculum = false;   // train on questions of every difficulty up to the held-out one
  std::size_t labels = 8;    // supervised: fresh labels a step
};

const char* usage =
    "usage: experiment [options]\n"
    "  --task NAME        sum | wildcard | assignments | permutation (default sum)\n"
    "  --policy LIST      comma-separated methods, or all (default all):\n"
    "                     adversarial, threshold, uniform, full, supervised\n"
    "  --seed N           first seed (default 1); runs use seeds N, N+1, ...\n"
    "  --seeds K          seeds per method (default 2)\n"
    "  --budget CALLS     overseer calls per run before it stops (default 30000)\n"
    "  --steps N          training steps per run at most (default 4000)\n"
    "  --difficulty D     question size (default: the task's experiment default)\n"
    "  --held-out N       held-out questions (default 200)\n"
    "  --eval-every N     steps between evaluations (default 25)\n"
    "  --model M          gru | transformer: ML and Adv of the reference backend (default: gru for\n"
    "                     sum, which it learns fastest; transformer for the three lookup tasks,\n"
    "                     which the GRU does not learn even from labels)\n"
    "  --hidden N         GRU width of ML (default 96)\n"
    "  --width N          Transformer: d_model of ML (default 64); --heads N (4), --layers N\n"
    "                     encoder and decoder layers each (2), --ff N feed-forward width (256)\n"
    "  --lr R             ML's Adam step size (default: the model's own, 3e-3 GRU, 1e-3 Transformer)\n"
    "  --batch N          ML's batch drawn from the replay memory per update (default 32)\n"
    "  --replay N         ML's replay memory in targets, 0 for none (default 4000)\n"
    "  --updates N        ML updates per step from the replay memory (default 8)\n"
    "  --c C              H′ consults H where Adv's score + noise < C, after the warm-up (default -0.03)\n"
    "  --c-end C2         after the warm-up, c moves linearly from C to C2 ...\n"
    "  --c-steps N        ... over N steps, then stays at C2 (default 500)\n"
    "  --warmup N         steps before that, with H′ consulting H everywhere (default 100)\n"
    "  --alpha A          threshold policy: recurse where S + τε < A + τε′ (default -0.3)\n"
    "  --tau T            temperature of the Gumbel noise of the adversarial policy (default 0.3)\n"
    "  --stop-at A        stop a run at this held-out accuracy (default 0.95)\n"
    "  --jobs N           runs in parallel, one thread each (default: the number of cores);\n"
    "                     the results do not depend on it, the wall times do\n"
    "  --from CSV         no training: the table, summary.csv and accuracy.svg of a curves.csv\n"
    "                     written earlier (or of several concatenated: repeated headers are skipped)\n"
    "  --curriculum 1     train on questions of every difficulty from the task's least up to\n"
    "                     --difficulty, drawn uniformly (held-out questions stay at --difficulty)\n"
    "  --labels N         supervised: fresh labels a step (default 8)\n"
    "  --verbose 1        print every evaluation (method, seed, step, calls, accuracy) as it happens\n"
    "  --out DIR          where to write curves.csv, summary.csv, accuracy.svg (default experiment-out)\n"
    "  --help             this text\n";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

double parse_real(const std::string& flag, const std::string& v) {
  std::size_t pos = 0;
  double x = 0;
  try {
    x = std::stod(v, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != v.size() || v.empty() || !std::isfinite(x)) throw aida::invalid_options(flag + " takes a finite number, not '" + v + "'");
  return x;
}

std::size_t parse_count(const std::string& flag, const std::string& v) {
  std::size_t pos = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(v, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != v.size() || v.empty() || v[0] == '-') throw aida::invalid_options(flag + " takes a whole number, not '" + v + "'");
  return static_cast<std::size_t>(n);
}

settings parse(int argc, char** argv) {
  settings s;
  const std::vector<std::string> known{"adversarial", "threshold", "uniform", "full", "supervised"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc) throw aida::invalid_options("option " + a + " needs a value (see --help)");
    const std::string v = argv[++i];
    if (a == "--task") s.task = v;
    else if (a == "--policy") {
      s.methods = v == "all" ? known : split_list(v);
      for (const auto& m : s.methods)
        if (std::find(known.begin(), known.end(), m) == known.end())
          throw aida::invalid_options("--policy: no method is called '" + m + "' (see --help)");
      if (s.methods.empty()) throw aida::invalid_options("--policy: no method given");
    } else if (a == "--seed") s.seed = parse_count(a, v);
    else if (a == "--seeds") s.seeds = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--budget") s.budget = parse_count(a, v);
    else if (a == "--steps") s.max_steps = parse_count(a, v);
    else if (a == "--difficulty") s.difficulty = static_cast<int>(parse_count(a, v));
    else if (a == "--held-out") s.held_out = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--eval-every") s.eval_every = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--hidden") s.hidden = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--model") {
      if (v != "gru" && v != "transformer") throw aida::invalid_options("--model takes gru or transformer, not '" + v + "'");
      s.model = v;
    } else if (a == "--width") s.width = parse_count(a, v);
    else if (a == "--heads") s.heads = parse_count(a, v);
    else if (a == "--layers") s.layers = parse_count(a, v);
    else if (a == "--ff") s.ff = parse_count(a, v);
    else if (a == "--lr") {
      s.lr = parse_real(a, v);
      if (!(s.lr > 0)) throw aida::invalid_options("--lr takes a step size > 0, not '" + v + "'");
    } else if (a == "--batch") s.batch = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--replay") s.replay = parse_count(a, v);
    else if (a == "--updates") s.updates = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--stop-at") {
      s.stop_accuracy = parse_real(a, v);
      if (!(s.stop_accuracy > 0 && s.stop_accuracy <= 1))
        throw aida::invalid_options("--stop-at takes an accuracy in (0, 1], not '" + v + "'");
    } else if (a == "--c") s.c = parse_real(a, v);
    else if (a == "--c-end") s.c_end = parse_real(a, v);
    else if (a == "--c-steps") s.c_steps = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--warmup") s.warmup = parse_count(a, v);
    else if (a == "--alpha") s.alpha = parse_real(a, v);
    else if (a == "--tau") {
      s.tau = parse_real(a, v);
      if (!(s.tau > 0)) throw aida::invalid_options("--tau takes a temperature > 0, not '" + v + "'");
    } else if (a == "--jobs") s.jobs = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--out") s.out = v;
    else if (a == "--verbose") s.verbose = parse_count(a, v) != 0;
    else if (a == "--curriculum") s.curriculum = parse_count(a, v) != 0;
    else if (a == "--labels") s.labels = std::max<std::size_t>(1, parse_count(a, v));
    else if (a == "--from") s.from = v;
    else throw aida::invalid_options("unknown option " + a + " (see --help)");
  }
  return s;
}

/// One evaluation point of a run.
struct point {
  std::size_t step;
  std::size_t calls;  // overseer calls (labels for the supervised baseline)
  double accuracy;
  double seconds;
};

struct run_result {
  std::string method;
  std::uint64_t seed;
  std::vector<point> curve;
  double seconds = 0;
  std::size_t steps = 0;
  std::size_t calls = 0;
  std::size_t deferred = 0;  // decisions H′ left to ML instead of calling H

  /// Overseer calls spent when held-out accuracy first reached `a`, if it did.
  [[nodiscard]] std::optional<std::size_t> calls_to(double a) const {
    for (const auto& p : curve)
      if (p.accuracy >= a) return p.calls;
    return std::nullopt;
  }
  [[nodiscard]] double final_accuracy() const { return curve.empty() ? 0 : curve.back().accuracy; }
};

/// With --verbose: one line per evaluation, on standard error, as it happens.
void print_progress(const run_result& run, const point& p) {
  std::ostringstream line;
  line << "    " << run.method << " seed " << run.seed << " step " << p.step << ": " << p.calls
       << (run.method == "supervised" ? " labels, " : " calls, ") << std::fixed << std::setprecision(1)
       << 100 * p.accuracy << "% after " << p.seconds << " s\n";
  std::cerr << line.str() << std::flush;
}

/// Records the curve at every evaluation and stops at the budget.
struct curve_recorder {
  run_result* run;
  std::size_t budget;
  bool verbose = false;
  void on_evaluate(aida::train_state& s) const {
    run->curve.push_back({s.step, s.overseer.total(), s.accuracy, s.seconds});
    if (verbose) print_progress(*run, run->curve.back());
  }
  void on_step(aida::train_state& s) const {
    if (s.overseer.total() >= budget) s.request_stop("budget");
  }
};

/// The difficulty used when --difficulty is not given: the largest size the default model
/// learns from labels to 95% held out within 15 CPU minutes on this project's 2-core machine
/// (README, "The Transformer learns all four tasks from labels"; docs/results/transformer-supervised/).
template <class Task>
int experiment_difficulty() {
  const std::string name(Task::name());
  if (name == "sum") return 3;
  if (name == "wildcard") return 2;      // 2 wildcards: 95% at 204,800 labels, 4.4 CPU minutes
  if (name == "assignments") return 1;   // 2 deep was not learned in 8,000 steps (10.6 CPU minutes)
  return 4;  // permutation, k in 8..15: 95% at 819,200 labels, 9.9 CPU minutes
}

/// Trains one method at one seed on `task`. Everything a run touches is its own (models,
/// sampler, copies of the generator, overseer and evaluator), so runs may go in parallel
/// and a run's result depends only on its method and seed.
template <class Task, class Generator, class Evaluator, class ML, class Adv>
run_result run_with(const Task& task, Generator generator, Evaluator evaluator, const std::string& method,
                    std::uint64_t seed, const settings& cfg, ML& ml, Adv& adv) {
  auto overseer = task.overseer();
  const auto codec = task.codec();
  aida::sampler rng(seed);

  run_result run{method, seed, {}, 0, 0, 0};
  const auto start = std::chrono::steady_clock::now();
  if (method == "supervised") {
    // Upper bound: trained on LABELS from the evaluator of its own training questions, with
    // the same replay memory and updates per step as the IDA runs, so that it is not held
    // back by less training.
    using target = aida::model_target<std::string, std::string>;
    aida::replay_memory<target> memory(cfg.replay);
    std::vector<target> replay;
    std::size_t labels = 0;
    for (std::size_t step = 1; step <= cfg.max_steps && labels < cfg.budget; ++step) {
      auto questions = aida::tasks::draw_questions(generator, cfg.labels, rng);
      auto labelled = task.evaluator(questions);
      std::vector<target> fresh;
      for (std::size_t i = 0; i < questions.size(); ++i)
        fresh.push_back({questions[i], labelled.label_of(i).reveal_for_supervised_baseline(), aida::target_kind::answer});
      labels += questions.size();
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
        const double acc = evaluator.accuracy([&](const std::string& q) { return ml.greedy(ml.predict(q)); });
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        run.curve.push_back({step, labels, acc, secs});
        if (cfg.verbose) print_progress(run, run.curve.back());
        run.steps = step;
        if (acc >= cfg.stop_accuracy) break;
      }
    }
    run.calls = labels;
  } else {
    aida::train_options opt;
    opt.steps = cfg.max_steps;
    opt.episodes_per_step = 8;
    opt.eval_every = cfg.eval_every;
    opt.replay_capacity = cfg.replay;
    opt.updates_per_step = cfg.updates;
    opt.replay_batch = cfg.batch;
    opt.amplify.max_depth = 8;
    opt.amplify.max_rounds = 6;
    opt.iterate = method == "adversarial" || method == "threshold";
    // H′ consults H while the adversary is untrained, then where it predicts a loss above
    // -c nats (spec §4; the noise keeps some checks where it is confident).
    opt.threshold = [warmup = cfg.warmup, c = cfg.c, c_end = cfg.c_end.value_or(cfg.c),
                     span = cfg.c_steps](std::size_t step) {
      if (step < warmup) return std::numeric_limits<double>::infinity();
      const double f = std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(span));
      return c + f * (c_end - c);
    };
    opt.prime_noise = 0.1;
    auto stop = aida::callbacks::stop_at_accuracy{cfg.stop_accuracy};
    curve_recorder rec{&run, cfg.budget, cfg.verbose};
    aida::train_state st;
    if (method == "adversarial")
      st = aida::train(generator, overseer, ml, adv, codec, aida::gumbel_argmin{cfg.tau}, evaluator, rng, opt, rec, stop);
    else if (method == "threshold")
      st = aida::train(generator, overseer, ml, adv, codec,
                       aida::gumbel_threshold<aida::constant_schedule>{{cfg.alpha}, 0.1}, evaluator, rng, opt, rec, stop);
    else if (method == "uniform")
      st = aida::train(generator, overseer, ml, adv, codec, aida::uniform_one{}, evaluator, rng, opt, rec, stop);
    else
      st = aida::train(generator, overseer, ml, adv, codec, aida::recurse_all{}, evaluator, rng, opt, rec, stop);
    run.steps = st.step;
    run.calls = st.overseer.total();
    run.deferred = st.deferred.total();
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

/// The model a run uses: --model, or the task's default.
std::string model_for(const settings& cfg) {
  if (!cfg.model.empty()) return cfg.model;
  return cfg.task == "sum" ? "gru" : "transformer";
}

/// The GRU pair (`char_model`, `adversary_model`) of the reference backend.
template <class Task>
auto make_gru_pair(const Task& task, std::uint64_t seed, const settings& cfg) {
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.hidden = cfg.hidden;
  mc.max_answer_length = 24;
  if (cfg.lr > 0) mc.learning_rate = static_cast<float>(cfg.lr);
  mc.seed = seed;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.seed = seed + 1000;
  return std::pair{std::move(ml), aida::nn::adversary_model(ac)};
}

/// The Transformer pair (`transformer_model`, `transformer_adversary`).
template <class Task>
auto make_transformer_pair(const Task& task, std::uint64_t seed, const settings& cfg) {
  aida::nn::transformer_config mc;
  mc.charset = task.charset();
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
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.max_question_length = mc.max_question_length;
  ac.seed = seed + 1000;
  return std::pair{std::move(ml), aida::nn::transformer_adversary(ac)};
}

template <class Task, class Generator, class Evaluator>
run_result run_one(const Task& task, Generator generator, Evaluator evaluator, const std::string& method,
                   std::uint64_t seed, const settings& cfg) {
  if (model_for(cfg) == "transformer") {
    auto [ml, adv] = make_transformer_pair(task, seed, cfg);
    return run_with(task, std::move(generator), std::move(evaluator), method, seed, cfg, ml, adv);
  }
  auto [ml, adv] = make_gru_pair(task, seed, cfg);
  return run_with(task, std::move(generator), std::move(evaluator), method, seed, cfg, ml, adv);
}

template <class Task, class Generator, class Evaluator>
std::vector<run_result> run_jobs(const Task& task, const Generator& generator, const Evaluator& evaluator,
                                 const settings& cfg);

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
std::vector<run_result> run_task(const Task& task, const settings& cfg) {
  const int difficulty = cfg.difficulty >= 0 ? cfg.difficulty : experiment_difficulty<Task>();
  const auto generator = task.generator(difficulty);
  // The held-out set is the same for every method and seed.
  aida::sampler held_rng(0x5eedULL);
  auto held_gen = generator;
  const auto evaluator = task.evaluator(aida::tasks::draw_questions(held_gen, cfg.held_out, held_rng));
  std::cout << "task " << task.name() << ", difficulty " << difficulty << ", held-out " << evaluator.size()
            << " questions, e.g. \"" << evaluator.questions().front() << "\"\n";
  {  // The floor: the best constant answer (tried through the evaluator, like any model).
    std::string best;
    double best_accuracy = -1;
    for (int k = 0; k < 100; ++k) {
      const std::string a = std::to_string(k);
      const double acc = evaluator.accuracy([&](const std::string&) { return a; });
      if (acc > best_accuracy) best = a, best_accuracy = acc;
    }
    std::cout << "the best constant answer, \"" << best << "\", scores " << std::fixed << std::setprecision(1)
              << 100 * best_accuracy << "% on the held-out set\n";
  }

  if (!cfg.curriculum) return run_jobs(task, generator, evaluator, cfg);
  mixed_source<std::remove_const_t<decltype(generator)>> mixed;
  for (int d = Task::min_difficulty; d <= difficulty; ++d) mixed.generators.push_back(task.generator(d));
  std::cout << "curriculum: training questions of difficulties " << Task::min_difficulty << " to " << difficulty
            << ", drawn uniformly\n";
  return run_jobs(task, mixed, evaluator, cfg);
}

template <class Task, class Generator, class Evaluator>
std::vector<run_result> run_jobs(const Task& task, const Generator& generator, const Evaluator& evaluator,
                                 const settings& cfg) {
  struct job {
    std::string method;
    std::uint64_t seed;
  };
  std::vector<job> jobs;
  for (const auto& method : cfg.methods)
    for (std::size_t k = 0; k < cfg.seeds; ++k) jobs.push_back({method, cfg.seed + k});
  std::vector<std::optional<run_result>> results(jobs.size());
  std::vector<std::exception_ptr> errors(jobs.size());
  std::atomic<std::size_t> next{0};
  std::mutex print;
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      try {
        results[i] = run_one(task, generator, evaluator, jobs[i].method, jobs[i].seed, cfg);
        const auto& run = *results[i];
        const std::lock_guard lock(print);
        std::cout << "  " << std::left << std::setw(12) << run.method << " seed " << run.seed << ": held-out "
                  << std::fixed << std::setprecision(1) << 100 * run.final_accuracy() << "% after " << run.calls
                  << (run.method == "supervised" ? " labels, " : " overseer calls, ")
                  << (run.deferred > 0 ? "H′ deferred " + std::to_string(run.deferred) + " to ML, " : std::string())
                  << run.steps << " steps, "
                  << std::setprecision(1) << run.seconds << " s\n"
                  << std::flush;
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
  std::vector<run_result> out;
  for (auto& r : results) out.push_back(std::move(*r));
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

void report(const std::vector<run_result>& runs, const settings& cfg, const std::string& task) {
  std::filesystem::create_directories(cfg.out);
  {
    std::ofstream f(cfg.out + "/curves.csv");
    f << "task,method,seed,step,overseer_calls,accuracy,seconds\n";
    for (const auto& r : runs)
      for (const auto& p : r.curve)
        f << task << ',' << r.method << ',' << r.seed << ',' << p.step << ',' << p.calls << ',' << p.accuracy << ','
          << p.seconds << '\n';
  }
  std::ofstream summary(cfg.out + "/summary.csv");
  summary << "task,method,runs,calls_to_90_mean,calls_to_90_sd,reached_90,calls_to_95_mean,calls_to_95_sd,"
             "reached_95,final_accuracy_mean,final_accuracy_sd,seconds_mean\n";
  std::cout << "\n"
            << std::left << std::setw(13) << "method" << std::setw(28) << "calls to 90%" << std::setw(28)
            << "calls to 95%" << std::setw(18) << "final accuracy" << "time per run\n";
  aida::io::line_plot plot{"aida " + task + ": held-out accuracy against overseer calls", "overseer calls (labels for supervised)",
                           "held-out accuracy", true, false, {}, std::pair{0.0, 1.0}};
  for (const auto& method : cfg.methods) {
    std::vector<double> c90, c95, fin, secs;
    std::vector<const run_result*> mine;
    for (const auto& r : runs)
      if (r.method == method) {
        mine.push_back(&r);
        if (auto c = r.calls_to(0.90)) c90.push_back(static_cast<double>(*c));
        if (auto c = r.calls_to(0.95)) c95.push_back(static_cast<double>(*c));
        fin.push_back(100 * r.final_accuracy());
        secs.push_back(r.seconds);
      }
    const auto s90 = summarise(c90), s95 = summarise(c95), sf = summarise(fin), ss = summarise(secs);
    const std::string label = method == "supervised" ? "supervised*" : method;
    std::ostringstream acc;
    acc << std::fixed << std::setprecision(1) << sf.mean << "%";
    if (sf.n > 1) acc << " ± " << sf.sd;
    std::cout << std::left << std::setw(13) << label << pad(show(s90, mine.size()), 28) << pad(show(s95, mine.size()), 28)
              << pad(acc.str(), 18) << std::fixed << std::setprecision(1) << ss.mean
              << " s\n";
    summary << task << ',' << method << ',' << mine.size() << ',' << s90.mean << ',' << s90.sd << ',' << s90.n << ','
            << s95.mean << ',' << s95.sd << ',' << s95.n << ',' << sf.mean / 100 << ',' << sf.sd / 100 << ',' << ss.mean
            << '\n';
    // The plotted line: at each x, the mean over seeds of the latest accuracy at <= x calls.
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
          if (static_cast<double>(p.calls) <= x) a = p.accuracy;
        sum += a;
      }
      series.points.emplace_back(x, sum / static_cast<double>(mine.size()));
    }
    plot.series.push_back(std::move(series));
  }
  plot.write_svg(cfg.out + "/accuracy.svg");
  std::cout << "(* trained on ground-truth labels: an upper bound, not IDA; its calls are labels)\n"
            << "wrote " << cfg.out << "/curves.csv, summary.csv and accuracy.svg\n";
}

}  // namespace

/// The runs of a curves.csv (as `report` writes it); sets `cfg.task` and `cfg.methods` from it.
std::vector<run_result> read_curves(settings& cfg) {
  std::ifstream in(cfg.from);
  if (!in) throw aida::invalid_options("--from: cannot read " + cfg.from);
  std::string line;
  const std::string header = "task,method,seed,step,overseer_calls,accuracy,seconds";
  if (!std::getline(in, line) || line != header)
    throw aida::invalid_options("--from: " + cfg.from + " does not start with the header '" + header + "'");
  std::vector<run_result> runs;
  cfg.methods.clear();
  std::string task;
  for (std::size_t n = 2; std::getline(in, line); ++n) {
    if (line.empty() || line == header) continue;
    const auto f = split_list(line);
    const std::string where = "--from: " + cfg.from + " line " + std::to_string(n);
    if (f.size() != 7) throw aida::invalid_options(where + " has " + std::to_string(f.size()) + " fields, not 7");
    if (!task.empty() && f[0] != task) throw aida::invalid_options(where + " is about task " + f[0] + ", not " + task);
    task = f[0];
    const auto seed = parse_count(where + " seed", f[2]);
    if (std::find(cfg.methods.begin(), cfg.methods.end(), f[1]) == cfg.methods.end()) cfg.methods.push_back(f[1]);
    auto r = std::find_if(runs.begin(), runs.end(), [&](const run_result& x) { return x.method == f[1] && x.seed == seed; });
    if (r == runs.end()) r = runs.insert(runs.end(), run_result{f[1], seed, {}, 0, 0, 0});
    const point p{parse_count(where + " step", f[3]), parse_count(where + " overseer_calls", f[4]),
                  parse_real(where + " accuracy", f[5]), parse_real(where + " seconds", f[6])};
    r->curve.push_back(p);
    r->seconds = p.seconds, r->steps = p.step, r->calls = p.calls;
  }
  if (runs.empty()) throw aida::invalid_options("--from: " + cfg.from + " holds no runs");
  cfg.task = task;
  return runs;
}

int main(int argc, char** argv) {
  try {
    settings cfg = parse(argc, argv);
    if (!cfg.from.empty()) {
      const auto runs = read_curves(cfg);
      report(runs, cfg, cfg.task);
      return 0;
    }
    std::cout << "aida experiment: seed " << cfg.seed << " (seeds " << cfg.seed << ".." << cfg.seed + cfg.seeds - 1
              << "), budget " << cfg.budget << " overseer calls, at most " << cfg.max_steps << " steps per run, "
              << cfg.jobs << (cfg.jobs == 1 ? " run" : " runs") << " at a time\n"
              << "model: " << (model_for(cfg) == "gru" ? "GRU, hidden " + std::to_string(cfg.hidden)
                                                   : "Transformer, width " + std::to_string(cfg.width) + ", " +
                                                         std::to_string(cfg.heads) + " heads, " +
                                                         std::to_string(cfg.layers) + "+" + std::to_string(cfg.layers) +
                                                         " layers, feed-forward " + std::to_string(cfg.ff))
              << "\n"
              << "H′: c = " << cfg.c;
    if (cfg.c_end) std::cout << " moving to " << *cfg.c_end << " over " << cfg.c_steps << " steps";
    std::cout << " after " << cfg.warmup << " warm-up steps; threshold policy α = " << cfg.alpha
              << "; arg-min τ = " << cfg.tau << "\n";
    const auto start = std::chrono::steady_clock::now();
    const auto runs = aida::tasks::with_task(cfg.task, [&](const auto& task) { return run_task(task, cfg); });
    report(runs, cfg, cfg.task);
    std::cout << "total wall time " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "experiment: " << e.what() << '\n';
    return 2;
  }
}
