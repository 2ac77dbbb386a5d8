// aida::train with a Communicator: data-parallel training, here over ranks that are threads of
// one process (support/thread_group.hpp); test_mpi_train.cpp runs the same over MPI.
// - Two ranks whose learners and samplers start from different seeds end every step with the
//   same bits in every parameter and optimiser moment, and the same counts, on both ranks.
// - Against one process with the same seed: the first step's counts are equal exactly, every
//   count total is equal (same episodes per step), and the parameters after the first step
//   differ only by the order of summation; the loss curves stay close (tolerances below).
// - One rank is `train` of one process bit for bit.
// - A failure on one rank (its overseer throws) makes every rank throw, none waits, and each
//   rank's learners are as the previous step left them; so does a callback or the evaluator
//   that throws on one rank, after the step it follows; options that differ are refused on
//   every rank before any work; models of different sizes are refused by `synchronize`.
// - `aida::exchange_mean` weighs each rank's mean by its count, and skips the gradient
//   exchange, on every rank, when a rank failed or no rank has a target.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "support/seed.hpp"
#include "support/rank_runs.hpp"
#include "support/snapshot.hpp"
#include "support/thread_group.hpp"

namespace {

using S = std::string;
using namespace aida_test::ranks;

static_assert(aida::DataParallelModel<aida::nn::char_model, S, S> &&
              aida::DataParallelAdversary<aida::nn::adversary_model, S, aida::nn::embedding_vector>);
// The Transformer pair's: tests/test_train_threads_transformer.cpp.

// Runs `su` on `ranks` thread ranks, rank r with model seed + 1000 r (rank 0's wins).
std::vector<run_record> run_on_ranks(int ranks, setup su, std::vector<std::exception_ptr>* errors = nullptr) {
  aida_test::thread_group group(ranks, std::chrono::seconds(120));
  std::vector<run_record> out(static_cast<std::size_t>(ranks));
  std::vector<std::exception_ptr> errs(static_cast<std::size_t>(ranks));
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    setup mine = su;
    mine.model_seed += 1000 * static_cast<std::uint64_t>(r);
    mine.rng_seed += 7 * static_cast<std::uint64_t>(r);
    if (r != 1) mine.fail_at = std::numeric_limits<std::size_t>::max();
    try {
      out[static_cast<std::size_t>(r)] = run(mine, &comm);
    } catch (...) {
      errs[static_cast<std::size_t>(r)] = std::current_exception();
    }
  });
  if (errors) *errors = errs;
  else
    for (std::size_t r = 0; r < errs.size(); ++r)
      if (errs[r]) ADD_FAILURE() << "rank " << r << " threw";
  return out;
}


TEST(TrainRanks, TwoRanksHoldTheSameBitsAfterEveryStepAndCountLikeOneProcess) {
  const setup su;
  const auto ranks = run_on_ranks(2, su);
  const run_record alone = run_alone(su);
  ASSERT_EQ(ranks[0].steps.size(), alone.steps.size());
  ASSERT_EQ(ranks[1].steps.size(), alone.steps.size());
  for (std::size_t s = 0; s < alone.steps.size(); ++s) {
    const std::string where = "step " + std::to_string(s + 1);
    EXPECT_TRUE(aida_test::same_bits(ranks[0].ml_after[s], ranks[1].ml_after[s])) << where;
    EXPECT_TRUE(aida_test::same_bits(ranks[0].adv_after[s], ranks[1].adv_after[s])) << where;
    expect_same_counts(ranks[0].steps[s], ranks[1].steps[s], where);
    EXPECT_EQ(ranks[0].steps[s].model_loss, ranks[1].steps[s].model_loss) << where;
    EXPECT_EQ(ranks[0].steps[s].rank, 0u);
    EXPECT_EQ(ranks[1].steps[s].rank, 1u);
    EXPECT_EQ(ranks[1].steps[s].ranks, 2u);
    // The same episodes per step as one process.
    EXPECT_EQ(ranks[0].steps[s].episodes, alone.steps[s].episodes) << where;
    EXPECT_EQ(ranks[0].steps[s].distill_episodes, alone.steps[s].distill_episodes) << where;
  }
  EXPECT_EQ(ranks[0].accuracies, ranks[1].accuracies);
  expect_close_to_one_process(ranks[0], alone);
}

TEST(TrainRanks, ThreeRanksWithAReplayMemoryStayInStep) {
  setup su;
  su.replay = 40;
  const auto ranks = run_on_ranks(3, su);
  for (std::size_t s = 0; s < ranks[0].steps.size(); ++s)
    for (std::size_t r = 1; r < 3; ++r) {
      EXPECT_TRUE(aida_test::same_bits(ranks[0].ml_after[s], ranks[r].ml_after[s])) << "rank " << r << " step " << s;
      EXPECT_TRUE(aida_test::same_bits(ranks[0].adv_after[s], ranks[r].adv_after[s])) << "rank " << r;
    }
  EXPECT_EQ(ranks[2].final_state.episodes, options_of(su).steps * 5);
  EXPECT_EQ(ranks[2].final_state.targets, ranks[0].final_state.targets);
}

TEST(TrainRanks, OneRankIsOneProcessBitForBit) {
  const setup su;
  aida_test::thread_group group(1);
  aida_test::thread_rank comm{&group, 0};
  const run_record one = run(su, &comm);
  const run_record alone = run_alone(su);
  ASSERT_EQ(one.steps.size(), alone.steps.size());
  for (std::size_t s = 0; s < alone.steps.size(); ++s) {
    EXPECT_TRUE(aida_test::same_bits(one.ml_after[s], alone.ml_after[s])) << s;
    EXPECT_TRUE(aida_test::same_bits(one.adv_after[s], alone.adv_after[s])) << s;
    expect_same_counts(one.steps[s], alone.steps[s], std::to_string(s));
  }
  EXPECT_EQ(one.accuracies, alone.accuracies);
  EXPECT_EQ(group.collectives(), 0u);  // one rank never communicates
}

TEST(TrainRanks, AFailureOnOneRankMakesEveryRankThrowWithItsLearnersAsBefore) {
  setup su;
  su.steps = 3;
  // Rank 1's overseer throws in its second step or so (after a few fan-outs), rank 0's never.
  su.fail_at = 6;
  std::vector<std::exception_ptr> errors;
  const auto ranks = run_on_ranks(2, su, &errors);
  ASSERT_TRUE(errors[0] && errors[1]);
  std::string message0, message1;
  try {
    std::rethrow_exception(errors[0]);
  } catch (const aida::error& e) {
    message0 = e.what();
  }
  try {
    std::rethrow_exception(errors[1]);
  } catch (const aida::error& e) {
    message1 = e.what();
  }
  EXPECT_EQ(message1, "H of rank 1 fails");
  EXPECT_NE(message0.find("failed on rank 1"), std::string::npos) << message0;
}

TEST(TrainRanks, AFailedStepLeavesEachRanksLearnersAsThePreviousStepLeftThem) {
  // The run of the test above, its learners looked at after the throw: they equal their
  // snapshot after the last completed step.
  setup su;
  su.fail_at = 6;
  aida_test::thread_group group(2, std::chrono::seconds(120));
  std::vector<std::vector<float>> last(2), after(2);
  std::vector<std::size_t> completed(2);
  std::vector<char> threw(2, 0);  // not vector<bool>: two threads write neighbouring elements
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    tiny_run t(su);
    failing_overseer h;
    if (r == 1) h.fail_at = su.fail_at;
    const auto u = static_cast<std::size_t>(r);
    try {
      t.train(h, options_of(su), su.rng_seed, &comm);
    } catch (const aida::error&) {
      threw[u] = 1;
    }
    completed[u] = t.record.steps.size();
    last[u] = t.record.ml_after.empty() ? std::vector<float>{} : t.record.ml_after.back();
    after[u] = aida_test::snapshot(t.ml);
  });
  ASSERT_TRUE(threw[0] && threw[1]);
  EXPECT_EQ(completed[0], completed[1]);
  ASSERT_GT(completed[0], 0u) << "the overseer should fail after the first step";
  EXPECT_TRUE(aida_test::same_bits(last[0], after[0]));
  EXPECT_TRUE(aida_test::same_bits(last[1], after[1]));
  EXPECT_TRUE(aida_test::same_bits(after[0], after[1]));
}

// What a short run on a thread rank needs: `sum` at 2 digits, the small models of `setup`, 3
// held-out questions.
struct small_run {
  aida::tasks::sum_task task;
  decltype(aida::tasks::sum_task{}.generator(2)) generator = task.generator(2);
  setup su;
  aida::nn::char_model ml{model_config(task, su)};
  aida::nn::adversary_model adv{adversary_config(task, su)};
  std::vector<std::string> held = [this] {
    aida::sampler s(1);
    return aida::tasks::draw_questions(generator, 3, s);
  }();
};

TEST(TrainRanks, OptionsThatDifferAreRefusedOnEveryRankBeforeAnyWork) {
  aida_test::thread_group group(2);
  std::vector<std::string> messages(2);
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    small_run t;
    auto ev = t.task.evaluator(t.held);
    auto h = t.task.overseer();
    aida::train_options opt = options_of(t.su);
    if (r == 1) opt.episodes_per_step = 4;
    aida::sampler rng(1);
    try {
      aida::train(comm, t.generator, h, t.ml, t.adv, t.task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt);
    } catch (const aida::invalid_options& e) {
      messages[static_cast<std::size_t>(r)] = e.what();
    }
  });
  for (const auto& m : messages) EXPECT_NE(m.find("every rank must pass the same options"), std::string::npos) << m;
}

// ---- A callback or the evaluator that throws on one rank --------------------------------

enum class throw_in { nothing, on_begin, on_step, evaluator };

struct rank_outcome {
  std::string message;           // what `train` threw on this rank ("" if it returned)
  bool own = false;              // it was this rank's own exception (std::runtime_error)
  std::vector<std::size_t> steps;  // the steps this rank's on_step saw
  std::size_t evaluations = 0;     // the evaluations this rank's on_evaluate saw
};

// Trains 3 steps (evaluations after steps 2 and 3) on two thread ranks; on rank `who`, the
// callback or the evaluator throws at `where` (on_step: after step 2; the evaluator: at its
// first evaluation, after step 2). The group's timeout turns a rank left waiting into its
// own error ("waited over"), which the tests tell from train's.
std::vector<rank_outcome> throw_on_one_rank(throw_in where, int who) {
  aida_test::thread_group group(2, std::chrono::seconds(30));
  std::vector<rank_outcome> out(2);
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    auto& mine = out[static_cast<std::size_t>(r)];
    const bool fails = r == who;
    small_run t;
    struct evaluator_t {
      aida::tasks::evaluator inner;
      bool fails;
      double accuracy(const std::function<std::string(const std::string&)>& f) {
        if (fails) throw std::runtime_error("the evaluator fails");
        return inner.accuracy(f);
      }
    } ev{t.task.evaluator(t.held), fails && where == throw_in::evaluator};
    struct callback_t {
      rank_outcome* seen;
      throw_in where;
      void on_begin(aida::train_state&) const {
        if (where == throw_in::on_begin) throw std::runtime_error("on_begin fails");
      }
      void on_step(aida::train_state& s) const {
        seen->steps.push_back(s.step);
        if (where == throw_in::on_step && s.step == 2) throw std::runtime_error("on_step fails");
      }
      void on_evaluate(aida::train_state&) const { ++seen->evaluations; }
    } cb{&mine, fails ? where : throw_in::nothing};
    auto h = t.task.overseer();
    aida::train_options opt = options_of(t.su);
    opt.steps = 3;
    aida::sampler rng(1);
    try {
      aida::train(comm, t.generator, h, t.ml, t.adv, t.task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt, cb);
    } catch (const std::runtime_error& e) {
      mine.message = e.what();
      mine.own = dynamic_cast<const aida::error*>(&e) == nullptr;
    }
  });
  return out;
}

TEST(TrainRanks, ACallbackThatThrowsOnOneRankEndsEveryRankAfterThatStep) {
  const auto out = throw_on_one_rank(throw_in::on_step, 1);
  EXPECT_TRUE(out[1].own);
  EXPECT_EQ(out[1].message, "on_step fails");
  EXPECT_FALSE(out[0].own);
  EXPECT_NE(out[0].message.find("threw on rank 1 after step 2 of 3"), std::string::npos) << out[0].message;
  // Both ranks completed steps 1 and 2 and stopped there; rank 1 called none of its callbacks
  // after its failure (the evaluation after step 2), rank 0 all of that step's.
  for (const auto& o : out) EXPECT_EQ(o.steps, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(out[0].evaluations, 1u);
  EXPECT_EQ(out[1].evaluations, 0u);
}

TEST(TrainRanks, AnEvaluatorThatThrowsOnRankZeroEndsEveryRankAndNoRankIsToldOfTheEvaluation) {
  const auto out = throw_on_one_rank(throw_in::evaluator, 0);
  EXPECT_TRUE(out[0].own);
  EXPECT_EQ(out[0].message, "the evaluator fails");
  EXPECT_FALSE(out[1].own);
  EXPECT_NE(out[1].message.find("threw on rank 0 after step 2 of 3"), std::string::npos) << out[1].message;
  for (const auto& o : out) {
    EXPECT_EQ(o.steps, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(o.evaluations, 0u);
  }
}

TEST(TrainRanks, AnOnBeginThatThrowsOnOneRankEndsEveryRankBeforeAnyStep) {
  const auto out = throw_on_one_rank(throw_in::on_begin, 1);
  EXPECT_TRUE(out[1].own);
  EXPECT_EQ(out[1].message, "on_begin fails");
  EXPECT_NE(out[0].message.find("threw on rank 1 before the first step"), std::string::npos) << out[0].message;
  for (const auto& o : out) EXPECT_TRUE(o.steps.empty());
}

TEST(TrainRanks, WithNothingThrownTheCallbacksSeeEveryStepAndEvaluation) {
  // The runs above without a failure: they would end with a message only because of one.
  const auto out = throw_on_one_rank(throw_in::nothing, 0);
  for (const auto& o : out) {
    EXPECT_EQ(o.message, "");
    EXPECT_EQ(o.steps, (std::vector<std::size_t>{1, 2, 3}));
    EXPECT_EQ(o.evaluations, 2u);
  }
}

TEST(TrainRanks, ModelsOfDifferentSizesAreRefusedBySynchronize) {
  aida_test::thread_group group(2);
  std::vector<std::string> messages(2);
  std::vector<std::vector<float>> before(2), after(2);
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    const aida::tasks::sum_task task;
    setup su;
    su.hidden = r == 0 ? 16 : 12;
    aida::nn::char_model ml(model_config(task, su));
    aida::gradient_exchange ex(comm);
    const auto u = static_cast<std::size_t>(r);
    before[u] = aida_test::snapshot(ml);
    try {
      ml.synchronize(ex, 0);
    } catch (const aida::error& e) {
      messages[u] = e.what();
    }
    after[u] = aida_test::snapshot(ml);
  });
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_NE(messages[r].find("hold a model of another size"), std::string::npos) << messages[r];
    EXPECT_TRUE(aida_test::same_bits(before[r], after[r]));
  }
}

TEST(ExchangeMean, WeighsEachRanksMeanByItsCount) {
  aida_test::thread_group group(2);
  std::vector<std::vector<float>> grads = {{1.0f, -2.0f}, {4.0f, 0.5f}};
  std::vector<aida::exchange_result> results(2);
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    aida::gradient_exchange ex(comm);
    const auto u = static_cast<std::size_t>(r);
    // Rank 0: mean loss 2 over 1 target; rank 1: mean loss 4 over 3 targets.
    results[u] = aida::exchange_mean(ex, grads[u], r == 0 ? 2.0 : 4.0, r == 0 ? 1 : 3, true);
  });
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(results[r].count, 4.0);
    EXPECT_DOUBLE_EQ(results[r].loss, (2.0 + 12.0) / 4.0);
    EXPECT_EQ(results[r].failed, 0);
    EXPECT_FLOAT_EQ(grads[r][0], (1.0f + 12.0f) / 4.0f);
    EXPECT_FLOAT_EQ(grads[r][1], (-2.0f + 1.5f) / 4.0f);
  }
}

TEST(ExchangeMean, SkipsTheGradientsOnEveryRankWhenARankFailedOrNoneHasATarget) {
  for (const bool rank1_ok : {false, true}) {
    aida_test::thread_group group(2);
    std::vector<std::vector<float>> grads = {{1.0f}, {2.0f}};
    std::vector<aida::exchange_result> results(2);
    aida_test::run_ranks(group, [&](int r) {
      aida_test::thread_rank comm{&group, r};
      aida::gradient_exchange ex(comm);
      const auto u = static_cast<std::size_t>(r);
      // Failing: rank 1 fails, rank 0 has a target. Not failing: neither has a target.
      const std::size_t count = rank1_ok ? 0 : (r == 0 ? 1 : 5);
      results[u] = aida::exchange_mean(ex, grads[u], 1.0, count, r == 0 || rank1_ok);
    });
    EXPECT_EQ(group.collectives(), 1u) << "only the counts are exchanged";
    for (std::size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(results[r].failed, rank1_ok ? 0 : 1);
      EXPECT_EQ(results[r].count, rank1_ok ? 0.0 : 1.0);
      EXPECT_EQ(grads[r][0], r == 0 ? 1.0f : 2.0f) << "gradients untouched";
    }
  }
}

}  // namespace
