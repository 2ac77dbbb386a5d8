// aida::train with the reference pair (char_model, adversary_model): a step is all or nothing,
// bit for bit. A learner whose update fails in step k leaves both learners' parameters and
// optimiser state, and the sampler, exactly as they were after step k − 1; and the models'
// snapshot()/restore() (aida::Restorable) put every bit back, also from a snapshot taken into
// an earlier one's storage (aida::SnapshotInto), as train does from step to step.
#include <gtest/gtest.h>

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "aida/nn/transformer_adversary.hpp"
#include "aida/nn/transformer_model.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace {

using aida_test::same_bits;
using aida_test::snapshot;

// A reference learner whose `fail_at`-th train_step (counting from 1) fails: it throws
// non_finite_error before changing anything, as the concepts ask, or (`returns_nan`) it takes
// the step and then returns NaN, as a user's step that met NaN and carried on would.
template <class Base>
struct failing : Base {
  using Base::Base;
  std::size_t calls = 0, fail_at = 0;
  bool returns_nan = false;
  double train_step(std::span<const typename Base::target_type> batch) {
    if (++calls == fail_at && !returns_nan) throw aida::non_finite_error("injected: the loss is nan");
    const double loss = Base::train_step(batch);
    return calls == fail_at ? std::numeric_limits<double>::quiet_NaN() : loss;
  }
};

using ml_type = failing<aida::nn::char_model>;
using adv_type = failing<aida::nn::adversary_model>;
static_assert(aida::Restorable<ml_type> && aida::Restorable<adv_type>);

// Every bit of both learners and the sampler after each completed step.
struct recorder {
  ml_type* ml;
  adv_type* adv;
  aida::sampler* rng;
  std::vector<std::vector<float>>* ml_bits;
  std::vector<std::vector<float>>* adv_bits;
  std::vector<aida::sampler>* rngs;
  void on_step(aida::train_state&) {
    ml_bits->push_back(snapshot(*ml)), adv_bits->push_back(snapshot(*adv)), rngs->push_back(*rng);
  }
};

struct pair_run {
  const aida::tasks::sum_task task{};
  aida::tasks::sum_generator generator = task.generator(2);
  ml_type ml;
  adv_type adv;
  std::vector<std::vector<float>> ml_bits, adv_bits;
  std::vector<aida::sampler> rngs;

  static aida::nn::char_model_config ml_config(const aida::tasks::sum_task& task, std::uint64_t seed) {
    aida::nn::char_model_config c;
    c.charset = task.charset();
    c.embedding = 8;
    c.hidden = 16;
    c.max_answer_length = 6;
    c.seed = seed;
    return c;
  }
  static aida::nn::adversary_config adv_config(const aida::tasks::sum_task& task, std::uint64_t seed) {
    aida::nn::adversary_config c;
    c.charset = task.charset();
    c.model_output_size = 16;
    c.seed = seed + 1;
    return c;
  }

  pair_run() : ml(ml_config(task, aida_test::seed())), adv(adv_config(task, aida_test::seed())) {}

  // Trains until something throws; returns what() of the non_finite_error ("" if none).
  std::string train(aida::sampler& rng, const aida::train_options& opt) {
    aida::sampler held(aida_test::seed() ^ 0x5eedULL);
    auto ev = task.evaluator(aida::tasks::draw_questions(generator, 10, held));
    auto h = task.overseer();
    try {
      aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt,
                  recorder{&ml, &adv, &rng, &ml_bits, &adv_bits, &rngs});
    } catch (const aida::non_finite_error& e) {
      return e.what();
    }
    return {};
  }
};

aida::train_options small_options() {
  aida::train_options opt;
  opt.steps = 10;
  opt.episodes_per_step = 2;
  opt.eval_every = 100;
  return opt;
}

// The adversary fails in step 3, after ML has taken its step 3 update: ML's parameters and
// Adam moments are bit-identical to those after step 2.
TEST(TrainReferencePair, AnAdversaryFailingInStep3LeavesBothAsAfterStep2) {
  for (const bool returns_nan : {false, true}) {
    pair_run run;
    run.adv.fail_at = 3;
    run.adv.returns_nan = returns_nan;
    aida::sampler rng(aida_test::seed());
    const std::string message = run.train(rng, small_options());
    ASSERT_FALSE(message.empty()) << "train did not throw non_finite_error";
    ASSERT_EQ(run.ml_bits.size(), 2u);
    EXPECT_EQ(run.ml.calls, 3u);  // ML did take its step 3 update before the adversary failed
    EXPECT_TRUE(same_bits(snapshot(run.ml), run.ml_bits[1])) << "ML moved; returns_nan " << returns_nan;
    EXPECT_TRUE(same_bits(snapshot(run.adv), run.adv_bits[1])) << "Adv moved; returns_nan " << returns_nan;
    EXPECT_EQ(rng, run.rngs[1]);
  }
}

// With a replay memory, ML's 5th update (step 2, update 2 of 3) fails: its 4th is undone too.
TEST(TrainReferencePair, AFailingReplayUpdateUndoesItsStepBitForBit) {
  for (const bool returns_nan : {false, true}) {
    pair_run run;
    run.ml.fail_at = 5;
    run.ml.returns_nan = returns_nan;
    aida::sampler rng(aida_test::seed());
    auto opt = small_options();
    opt.replay_capacity = 200;
    opt.updates_per_step = 3;
    opt.replay_batch = 8;
    const std::string message = run.train(rng, opt);
    ASSERT_FALSE(message.empty()) << "train did not throw non_finite_error";
    ASSERT_EQ(run.ml_bits.size(), 1u);
    EXPECT_TRUE(same_bits(snapshot(run.ml), run.ml_bits[0])) << "ML moved; returns_nan " << returns_nan;
    EXPECT_TRUE(same_bits(snapshot(run.adv), run.adv_bits[0])) << "Adv moved; returns_nan " << returns_nan;
    EXPECT_EQ(rng, run.rngs[0]);
  }
}

// The law of aida::Restorable for the reference models: after snapshot, steps and restore,
// every bit is back, and the next step is the step the model would have taken.
TEST(TrainReferencePair, SnapshotAndRestorePutEveryBitBack) {
  pair_run run;
  const std::vector<aida::model_target<std::string, std::string>> batch{
      {"1234", "10", aida::target_kind::answer}, {"^1234", "/12|34", aida::target_kind::fan_out}};
  run.ml.train_step(batch);  // non-zero moments
  const auto before = snapshot(run.ml);
  auto saved = run.ml.snapshot();
  run.ml.train_step(batch);
  const auto after_one = snapshot(run.ml);
  run.ml.train_step(batch);
  run.ml.restore(std::move(saved));
  EXPECT_TRUE(same_bits(snapshot(run.ml), before));
  run.ml.train_step(batch);
  EXPECT_TRUE(same_bits(snapshot(run.ml), after_one));
}

// aida::SnapshotInto for the reference learners: `train` keeps one snapshot from step to step
// and takes each step's into it. Taken into an earlier snapshot, it holds what a new snapshot
// would (restoring it gives the same bits), in the same storage (no tensor moved).
static_assert(aida::SnapshotInto<aida::nn::char_model> && aida::SnapshotInto<aida::nn::adversary_model> &&
              aida::SnapshotInto<aida::nn::transformer_model> && aida::SnapshotInto<aida::nn::transformer_adversary>);

template <class Params>
std::vector<const float*> storage_of(const Params& params) {
  std::vector<const float*> at;
  aida::nn::for_each_parameter(params, [&](std::string_view, const aida::nn::parameter& p) {
    at.push_back(p.value.data());
    at.push_back(p.grad.data());
  });
  return at;
}

TEST(TrainReferencePair, SnapshotIntoAnEarlierSnapshotReusesItsStorageAndRestoresTheSameBits) {
  pair_run run;
  const std::vector<aida::model_target<std::string, std::string>> batch{
      {"1234", "10", aida::target_kind::answer}, {"^1234", "/12|34", aida::target_kind::fan_out}};
  run.ml.train_step(batch);
  auto saved = run.ml.snapshot();
  const auto first = snapshot(run.ml);
  const auto storage = storage_of(saved.parameters);
  run.ml.train_step(batch);
  run.ml.train_step(batch);
  const auto taken = snapshot(run.ml);
  ASSERT_FALSE(same_bits(taken, first));
  run.ml.snapshot_into(saved);
  EXPECT_EQ(storage_of(saved.parameters), storage);
  run.ml.train_step(batch);
  const auto after_one = snapshot(run.ml);
  run.ml.train_step(batch);
  run.ml.restore(std::move(saved));
  EXPECT_TRUE(same_bits(snapshot(run.ml), taken));
  run.ml.train_step(batch);
  EXPECT_TRUE(same_bits(snapshot(run.ml), after_one));

  // Into a snapshot that a restore has emptied (moved from): it is filled again.
  aida::nn::char_model::snapshot_type emptied = run.ml.snapshot();
  run.ml.restore(std::move(emptied));
  const auto now = snapshot(run.ml);
  run.ml.snapshot_into(emptied);
  run.ml.train_step(batch);
  run.ml.restore(std::move(emptied));
  EXPECT_TRUE(same_bits(snapshot(run.ml), now));
}

}  // namespace
