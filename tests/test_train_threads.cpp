// aida::train with train_options::threads: a step's episodes collected on several threads.
// - The same seed gives bit-identical counts, curves and final parameters with 1, 2 and 4
//   threads, with cheap doubles (every option that draws: H′, distillation, the adversarial
//   source, replay) and with the reference GRU pair at a tiny size.
// - An overseer that does not declare `concurrent_calls`, and learners that do not declare
//   `concurrent_inference`, are never called concurrently (an in-flight counter).
// - An exception in one episode, with 2 threads, leaves the learners and the sampler as they
//   were after the previous step, and the exception rethrown is that of the first failing
//   episode in episode order, the same as with 1 thread.
// The tsan preset runs this test under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "support/const_inference.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace {

using S = std::string;

// FNV-1a over bytes: the "parameters" of the doubles fold every target in.
struct fnv {
  std::uint64_t h = 1469598103934665603ULL;
  void add(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  }
  void add(const S& s) { add(s.data(), s.size()), add(std::uint64_t{s.size()}); }
  void add(std::uint64_t x) { add(&x, sizeof x); }
  void add(double x) { add(std::bit_cast<std::uint64_t>(x)); }
};

// Counts calls in flight across every object that shares it; `peak` is the most at once.
struct in_flight {
  std::atomic<int> now{0}, peak{0};
  struct scope {
    in_flight* f;
    explicit scope(in_flight* p) : f(p) {
      if (!f) return;
      const int n = ++f->now;
      for (int p2 = f->peak.load(); n > p2 && !f->peak.compare_exchange_weak(p2, n);) {
      }
      // Long enough that two threads making calls at the same time overlap in practice.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ~scope() {
      if (f) --f->now;
    }
  };
};

// ML: aida_test::random_model (draws from the episode's stream), trained by folding every
// target into a hash. `Concurrent` is what it declares.
template <bool Concurrent>
struct hashing_model : aida_test::random_model {
  static constexpr bool concurrent_inference = Concurrent;
  fnv state;
  std::size_t steps = 0;
  in_flight* watch = nullptr;
  S predict(const S& q) {
    in_flight::scope s(watch);
    return random_model::predict(q);
  }
  double train_step(std::span<const aida::model_target<S, S>> batch) {
    for (const auto& t : batch) state.add(t.query), state.add(t.target), state.add(t.loss);
    ++steps;
    return batch.empty() ? 0.0 : static_cast<double>(state.h % 1000) / 1000.0;
  }
};

template <bool Concurrent>
struct hashing_adversary : aida_test::hash_adversary {
  static constexpr bool concurrent_inference = Concurrent;
  fnv state;
  in_flight* watch = nullptr;
  double score(const S& q, const S& o) {
    in_flight::scope s(watch);
    return hash_adversary::score(q, o);
  }
  double train_step(std::span<const aida::adversary_target<S, S>> batch) {
    for (const auto& t : batch) state.add(t.query), state.add(t.output), state.add(t.target), state.add(t.prediction);
    return batch.empty() ? 0.0 : static_cast<double>(state.h % 997) / 997.0;
  }
};

// H: the digit-sum overseer; `Concurrent` is what it declares. Throws for the root questions
// "99999" and "88888" (which the source asks only when poisoned).
template <bool Concurrent>
struct watched_overseer : aida_test::digit_sum_overseer {
  static constexpr bool concurrent_calls = Concurrent;
  in_flight* watch = nullptr;
  std::size_t calls = 0;  // not atomic: ThreadSanitizer sees unserialised calls race on it
  S answer(const S& q) {
    in_flight::scope s(watch);
    if (!Concurrent) ++calls;
    return digit_sum_overseer::answer(q);
  }
  aida_test::move_t fan_out(const S& q) {
    in_flight::scope s(watch);
    if (!Concurrent) ++calls;
    if (q == "99999" || q == "88888") throw aida_test::user_failure("H refuses " + q);
    return digit_sum_overseer::fan_out(q);
  }
  aida_test::move_t fan_in(const S& q, const aida_test::sub_t& a, const aida_test::sub_t& b) {
    in_flight::scope s(watch);
    if (!Concurrent) ++calls;
    return digit_sum_overseer::fan_in(q, a, b);
  }
};

// Questions of 1 to 6 digits; when `poisoned`, draws 2 and 4 of each step are questions H
// refuses (the trainer draws a step's questions in episode order on the calling thread).
struct digit_source {
  bool poisoned = false;
  std::size_t drawn = 0;
  S next(aida::sampler& rng) {
    ++drawn;
    if (poisoned && drawn % 4 == 2) return "99999";
    if (poisoned && drawn % 4 == 0) return "88888";
    S q(1 + rng.below(6), '0');
    for (auto& c : q) c = static_cast<char>('0' + rng.below(10));
    return q;
  }
};

struct digit_evaluator {
  std::vector<S> questions{"12", "345", "9", "5050"};
  double accuracy(const std::function<S(const S&)>& answer) const {
    int right = 0;
    for (const auto& q : questions) right += answer(q) == aida_test::digit_sum_overseer::sum(q);
    return static_cast<double>(right) / static_cast<double>(questions.size());
  }
};

// One line per step of everything train_state counts, the losses as bits.
struct curve_recorder {
  std::vector<S>* lines;
  void on_step(aida::train_state& s) {
    fnv f;
    f.add(s.model_loss), f.add(s.adversary_loss);
    lines->push_back(std::to_string(s.step) + " e" + std::to_string(s.episodes) + " d" +
                     std::to_string(s.distill_episodes) + " H" + std::to_string(s.overseer.total()) + " def" +
                     std::to_string(s.deferred.total()) + " m" + std::to_string(s.model_calls) + " a" +
                     std::to_string(s.adversary_calls) + " t" + std::to_string(s.targets) + " fb" +
                     std::to_string(s.fallbacks.malformed_moves + s.fallbacks.depth_limit +
                                    s.fallbacks.round_limit + s.fallbacks.overseer_budget) +
                     " loss" + std::to_string(f.h));
  }
  void on_evaluate(aida::train_state& s) {
    lines->push_back("eval " + std::to_string(s.step) + " " + std::to_string(s.accuracy));
  }
};

aida::train_options double_options(std::size_t threads) {
  aida::train_options opt;
  opt.threads = threads;
  opt.steps = 12;
  opt.episodes_per_step = 6;
  opt.distill_episodes_per_step = 2;
  opt.eval_every = 4;
  // H everywhere for 3 steps, then H′ defers where the hash adversary is confident.
  opt.threshold = [](std::size_t s) { return s < 3 ? std::numeric_limits<double>::infinity() : -2.0; };
  opt.adversarial_candidates = 3;
  opt.replay_capacity = 50;
  opt.updates_per_step = 2;
  opt.replay_batch = 5;
  opt.amplify.max_depth = 3;
  return opt;
}

struct double_run {
  std::vector<S> curve;
  std::uint64_t ml = 0, adv = 0;
  aida::sampler rng;
  aida::train_state end;
};

template <bool Concurrent>
double_run run_doubles(std::size_t threads) {
  watched_overseer<Concurrent> h;
  hashing_model<Concurrent> ml;
  hashing_adversary<Concurrent> adv;
  digit_source src;
  digit_evaluator ev;
  double_run r;
  r.rng = aida::sampler(aida_test::seed());
  r.end = aida::train(src, h, ml, adv, aida::string_codec{}, aida::gumbel_argmin{0.3}, ev, r.rng,
                      double_options(threads), curve_recorder{&r.curve});
  r.ml = ml.state.h;
  r.adv = adv.state.h;
  return r;
}

void expect_same(const double_run& a, const double_run& b, std::size_t threads) {
  EXPECT_EQ(a.curve, b.curve) << threads << " threads";
  EXPECT_EQ(a.ml, b.ml) << threads << " threads";
  EXPECT_EQ(a.adv, b.adv) << threads << " threads";
  EXPECT_EQ(a.rng, b.rng) << threads << " threads";
  EXPECT_EQ(a.end.overseer.total(), b.end.overseer.total());
  EXPECT_EQ(a.end.targets, b.end.targets);
}

TEST(TrainThreads, DoublesGiveTheSameRunWithOneTwoAndFourThreads) {
  const double_run one = run_doubles<true>(1);
  // The run does something: H and H′'s deferrals, distillation, replay.
  ASSERT_EQ(one.end.step, 12u);
  EXPECT_GT(one.end.overseer.total(), 0u);
  EXPECT_GT(one.end.deferred.total(), 0u);
  EXPECT_EQ(one.end.distill_episodes, 24u);
  for (std::size_t threads : {2u, 4u}) expect_same(one, run_doubles<true>(threads), threads);
  // Learners and an overseer that do not declare concurrency: called under mutexes, same run.
  for (std::size_t threads : {1u, 2u, 4u}) expect_same(one, run_doubles<false>(threads), threads);
}

// The mutexes of train: an overseer that does not declare `concurrent_calls` never has two
// calls in flight (with learners that declare `concurrent_inference`, so that no other mutex
// orders its calls), nor do ML and Adv together when they do not declare it (with an
// overseer that declares `concurrent_calls`). The overseer's plain call counter would be a
// data race for ThreadSanitizer (the tsan preset) without the mutex.
TEST(TrainThreads, UndeclaredOverseerAndLearnersAreNeverCalledConcurrently) {
  digit_source src;
  digit_evaluator ev;
  auto opt = double_options(4);
  opt.steps = 6;
  {
    in_flight overseer_calls;
    watched_overseer<false> h;
    h.watch = &overseer_calls;
    hashing_model<true> ml;
    hashing_adversary<true> adv;
    aida::sampler rng(aida_test::seed());
    const auto end = aida::train(src, h, ml, adv, aida::string_codec{}, aida::gumbel_argmin{0.3}, ev, rng, opt);
    EXPECT_EQ(h.calls, end.overseer.total());  // every call that reached H, none lost to a race
    EXPECT_EQ(overseer_calls.peak.load(), 1);
  }
  {
    in_flight learner_calls;
    watched_overseer<true> h;
    hashing_model<false> ml;
    hashing_adversary<false> adv;
    ml.watch = adv.watch = &learner_calls;
    aida::sampler rng(aida_test::seed());
    aida::train(src, h, ml, adv, aida::string_codec{}, aida::gumbel_argmin{0.3}, ev, rng, opt);
    EXPECT_EQ(learner_calls.peak.load(), 1);
  }
}

// An episode of step 3 fails (H refuses the question of episodes 1 and 3): with 2 threads as
// with 1, train rethrows episode 1's exception, with the learners, the sampler and the counts
// as they were after step 2.
TEST(TrainThreads, AFailingEpisodeLeavesTheLearnersAsAfterThePreviousStep) {
  struct poison_after_step_2 {
    digit_source* src;
    std::vector<std::uint64_t>* ml_after;
    hashing_model<true>* ml;
    hashing_adversary<true>* adv;
    aida::sampler* rng;
    std::vector<aida::sampler>* rngs;
    void on_step(aida::train_state& s) {
      ml_after->push_back(ml->state.h), ml_after->push_back(adv->state.h), rngs->push_back(*rng);
      if (s.step == 2) src->poisoned = true, src->drawn = 0;
    }
  };
  std::vector<S> messages;
  for (std::size_t threads : {1u, 2u}) {
    watched_overseer<true> h;
    hashing_model<true> ml;
    hashing_adversary<true> adv;
    digit_source src;
    digit_evaluator ev;
    aida::sampler rng(aida_test::seed());
    auto opt = double_options(threads);
    opt.adversarial_candidates = 1;
    opt.distill_episodes_per_step = 0;
    std::vector<std::uint64_t> after;
    std::vector<aida::sampler> rngs;
    try {
      aida::train(src, h, ml, adv, aida::string_codec{}, aida::gumbel_argmin{0.3}, ev, rng, opt,
                  poison_after_step_2{&src, &after, &ml, &adv, &rng, &rngs});
      ADD_FAILURE() << "train did not throw with " << threads << " threads";
    } catch (const aida_test::user_failure& e) {
      messages.push_back(e.what());
    }
    ASSERT_EQ(rngs.size(), 2u) << threads << " threads";
    EXPECT_EQ(ml.steps, 2u * opt.updates_per_step);
    EXPECT_EQ(ml.state.h, after[2]);
    EXPECT_EQ(adv.state.h, after[3]);
    EXPECT_EQ(rng, rngs[1]);
  }
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "H refuses 99999");
  EXPECT_EQ(messages[1], messages[0]);
}

// The reference GRU pair at a tiny size on 2-digit sums: every parameter and optimiser bit,
// and the curve, are the same with 1, 2 and 4 threads.
struct gru_run {
  std::vector<S> curve;
  std::vector<float> ml, adv;
};

gru_run run_gru(std::size_t threads) {
  const aida::tasks::sum_task task;
  auto generator = task.generator(2);
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.embedding = 8;
  mc.hidden = 16;
  mc.max_answer_length = 6;
  mc.seed = aida_test::seed();
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.hidden = 8;
  ac.mlp_hidden = 8;
  ac.model_output_size = 16;
  ac.seed = aida_test::seed() + 1;
  aida::nn::adversary_model adv(ac);
  aida::sampler held(aida_test::seed() ^ 0x5eedULL);
  auto ev = task.evaluator(aida::tasks::draw_questions(generator, 6, held));
  auto h = task.overseer();
  aida::train_options opt;
  opt.threads = threads;
#ifdef AIDA_SANITIZED
  opt.steps = 3;  // sanitizers slow everything down; the property holds for any count
#else
  opt.steps = 6;
#endif
  opt.episodes_per_step = 4;
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 3;
  opt.threshold = [](std::size_t s) { return s < 1 ? std::numeric_limits<double>::infinity() : 0.0; };
  aida::sampler rng(aida_test::seed());
  gru_run r;
  aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt, curve_recorder{&r.curve});
  r.ml = aida_test::snapshot(ml);
  r.adv = aida_test::snapshot(adv);
  return r;
}

// The members the procedures call on ML and Adv are const on the reference learners: the
// episodes' threads share them read-only.
static_assert(aida_test::const_inference<aida::nn::char_model, aida::nn::embedding_vector> &&
              aida_test::const_scoring<aida::nn::adversary_model, aida::nn::embedding_vector>);

TEST(TrainThreads, TheGruPairGivesTheSameParametersWithOneTwoAndFourThreads) {
  static_assert(aida::concurrent_inference<aida::nn::char_model> &&
                aida::concurrent_inference<aida::nn::adversary_model> &&
                aida::concurrent_calls<aida::tasks::sum_overseer>);
  const gru_run one = run_gru(1);
  for (std::size_t threads : {2u, 4u}) {
    const gru_run r = run_gru(threads);
    EXPECT_EQ(one.curve, r.curve) << threads << " threads";
    EXPECT_TRUE(aida_test::same_bits(one.ml, r.ml)) << threads << " threads";
    EXPECT_TRUE(aida_test::same_bits(one.adv, r.adv)) << threads << " threads";
  }
}

TEST(TrainThreads, ThreadsOutOfRangeAreNamed) {
  for (std::size_t threads : {std::size_t{0}, aida::train_options::max_threads + 1}) {
    aida::train_options opt;
    opt.threads = threads;
    try {
      opt.validate();
      ADD_FAILURE() << "threads = " << threads << " was accepted";
    } catch (const aida::invalid_options& e) {
      EXPECT_NE(S(e.what()).find("aida::train_options::threads = " + std::to_string(threads)), S::npos) << e.what();
    }
  }
}

}  // namespace
