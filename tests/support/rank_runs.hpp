#pragma once
// One small data-parallel training run of the reference GRU pair on 2-digit sums, shared by
// test_train_ranks.cpp (ranks as threads) and test_mpi_train.cpp (ranks as MPI processes):
// the options, the learners, a recorder of every step's state and bits, and the comparison
// of counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace aida_test::ranks {

using S = std::string;

// What a run leaves: the curve, every step's state and the learners' bits after each step.
struct run_record {
  std::vector<aida::train_state> steps;
  std::vector<std::vector<float>> ml_after, adv_after;
  std::vector<double> accuracies;
  aida::train_state final_state;
};

struct recorder {
  run_record* r;
  aida::nn::char_model* ml;
  aida::nn::adversary_model* adv;
  void on_step(aida::train_state& s) {
    r->steps.push_back(s);
    r->ml_after.push_back(aida_test::snapshot(*ml));
    r->adv_after.push_back(aida_test::snapshot(*adv));
  }
  void on_evaluate(aida::train_state& s) { r->accuracies.push_back(s.accuracy); }
};

// Throws on its `fail_at`-th call (never by default).
struct failing_overseer : aida::tasks::sum_overseer {
  std::size_t calls = 0, fail_at = std::numeric_limits<std::size_t>::max();
  static constexpr bool concurrent_calls = false;
  move_type fan_out(const S& q) {
    if (++calls == fail_at) throw aida::error("H of rank 1 fails");
    return aida::tasks::sum_overseer::fan_out(q);
  }
};

struct setup {
  std::size_t steps = 6;
  std::size_t replay = 0;
  std::uint64_t model_seed = aida_test::seed();
  std::uint64_t rng_seed = aida_test::seed();
  std::size_t fail_at = std::numeric_limits<std::size_t>::max();
  std::size_t hidden = 16;
};

inline aida::nn::char_model_config model_config(const aida::tasks::sum_task& task, const setup& su) {
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.embedding = 8;
  mc.hidden = su.hidden;
  mc.max_answer_length = 6;
  mc.seed = su.model_seed;
  return mc;
}

inline aida::nn::adversary_config adversary_config(const aida::tasks::sum_task& task, const setup& su) {
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.hidden = 8;
  ac.mlp_hidden = 8;
  ac.model_output_size = su.hidden;
  ac.seed = su.model_seed + 1;
  return ac;
}

inline aida::train_options options_of(const setup& su) {
  aida::train_options opt;
#ifdef AIDA_SANITIZED
  opt.steps = std::min<std::size_t>(su.steps, 3);  // sanitizers slow everything down
#else
  opt.steps = su.steps;
#endif
  opt.episodes_per_step = 5;  // odd: the ranks' shares differ
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 2;
  opt.adversarial_candidates = 2;
  opt.replay_capacity = su.replay;
  opt.updates_per_step = su.replay > 0 ? 2 : 1;
  opt.replay_batch = 7;
  opt.threshold = [](std::size_t s) { return s < 1 ? std::numeric_limits<double>::infinity() : 0.0; };
  return opt;
}

// The learners, questions and evaluator of one run of `su`, and what it recorded. `train`
// runs it (with `comm`, data-parallel over its ranks; null: one process) and lets anything
// thrown through, so that a caller can look at the learners after a failed step.
struct tiny_run {
  aida::tasks::sum_task task;
  decltype(task.generator(2)) generator = task.generator(2);
  aida::nn::char_model ml;
  aida::nn::adversary_model adv;
  aida::sampler held{aida_test::seed() ^ 0x5eedULL};
  decltype(task.evaluator(aida::tasks::draw_questions(generator, 6, held))) ev =
      task.evaluator(aida::tasks::draw_questions(generator, 6, held));
  run_record record;

  explicit tiny_run(const setup& su) : ml(model_config(task, su)), adv(adversary_config(task, su)) {}
  tiny_run(const tiny_run&) = delete;
  tiny_run& operator=(const tiny_run&) = delete;

  template <class H, class Comm = void>
  void train(H& h, const aida::train_options& opt, std::uint64_t rng_seed, Comm* comm = nullptr) {
    aida::sampler rng(rng_seed);
    recorder rec{&record, &ml, &adv};
    if constexpr (std::is_same_v<Comm, void>)
      record.final_state = aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt, rec);
    else
      record.final_state =
          aida::train(*comm, generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt, rec);
  }
};

// One run of `su` with its failing overseer; `comm` null: aida::train of one process.
template <class Comm>
run_record run(const setup& su, Comm* comm) {
  tiny_run t(su);
  failing_overseer h;
  h.fail_at = su.fail_at;
  t.train(h, options_of(su), su.rng_seed, comm);
  return t.record;
}

inline run_record run_alone(const setup& su) { return run<void>(su, nullptr); }

// Every count a step sums over the ranks.
inline void expect_same_counts(const aida::train_state& a, const aida::train_state& b, const std::string& where) {
  EXPECT_EQ(a.episodes, b.episodes) << where;
  EXPECT_EQ(a.distill_episodes, b.distill_episodes) << where;
  EXPECT_EQ(a.overseer, b.overseer) << where;
  EXPECT_EQ(a.deferred, b.deferred) << where;
  EXPECT_EQ(a.cached, b.cached) << where;
  EXPECT_EQ(a.model_calls, b.model_calls) << where;
  EXPECT_EQ(a.adversary_calls, b.adversary_calls) << where;
  EXPECT_EQ(a.fallbacks, b.fallbacks) << where;
  EXPECT_EQ(a.targets, b.targets) << where;
}

inline double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    d = std::max(d, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return a.size() == b.size() ? d : std::numeric_limits<double>::infinity();
}

// A data-parallel run (`ranked`, any rank's record) against one process with the same seed
// and the same episodes per step (`alone`).
inline void expect_close_to_one_process(const run_record& ranked, const run_record& alone) {
  ASSERT_EQ(ranked.steps.size(), alone.steps.size());
  ASSERT_FALSE(alone.steps.empty());
  // The first step's episodes are one process's (the learners start equal): every count.
  expect_same_counts(ranked.steps[0], alone.steps[0], "step 1 against one process");
  // Its update sums the same gradients in another order: the parameters differ in the last
  // bits only. Adam's first step moves each parameter by about its learning rate (1e-3)
  // times g/(|g| + ε), which rounding can change where g is within rounding of 0: hence a
  // bound on the mean difference and a looser one on the largest.
  const std::vector<float>& a = ranked.ml_after[0];
  const std::vector<float>& b = alone.ml_after[0];
  ASSERT_EQ(a.size(), b.size());
  double mean = 0;
  for (std::size_t i = 0; i < a.size(); ++i) mean += std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
  mean /= static_cast<double>(a.size());
  EXPECT_LT(mean, 1e-6);
  EXPECT_LT(max_abs_difference(a, b), 2e-3);
  // The loss curves stay close: each step's ML loss within 0.5% of one process's.
  for (std::size_t s = 0; s < alone.steps.size(); ++s)
    EXPECT_NEAR(ranked.steps[s].model_loss, alone.steps[s].model_loss, 0.005 * alone.steps[s].model_loss)
        << "step " << s + 1;
}

}  // namespace aida_test::ranks
