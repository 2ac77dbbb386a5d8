// End to end (issue: tasks, training loop): on `sum` at a small size, adversarial IDA (the
// post's policy with the primed overseer H′) trains the reference model to at least 90%
// held-out accuracy within a fixed overseer-call budget, and the trainer never touches
// ground truth: labels live only in the evaluator, which hands the trainer a number.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "support/seed.hpp"

namespace {

// Labels cannot become training data by accident.
static_assert(!std::is_convertible_v<aida::label<std::string>, std::string>);
static_assert(!std::is_constructible_v<std::string, aida::label<std::string>>);
static_assert(!std::is_constructible_v<aida::model_target<std::string, std::string>, std::string,
                                       aida::label<std::string>>);

// Wraps the task's evaluator and counts what the trainer asks of it: it can only ask for an
// accuracy, through a function that answers questions.
struct watched_evaluator {
  aida::tasks::evaluator inner;
  int accuracy_calls = 0;
  double accuracy(const std::function<std::string(const std::string&)>& answer) {
    ++accuracy_calls;
    return inner.accuracy(answer);
  }
};

TEST(EndToEnd, AdversarialIdaLearnsSumWithinABudgetWithoutLabels) {
  const std::uint64_t seed = aida_test::seed();
  std::cout << "seed " << seed << '\n';
  const aida::tasks::sum_task task;
  auto generator = task.generator(2);  // two digits
  aida::sampler held_rng(seed ^ 0x5eedULL);
  watched_evaluator ev{task.evaluator(aida::tasks::draw_questions(generator, 100, held_rng))};

  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.hidden = 64;
  mc.max_answer_length = 8;
  mc.seed = seed;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.seed = seed + 1;
  aida::nn::adversary_model adv(ac);
  auto h = task.overseer();

  constexpr std::size_t budget = 4000;  // overseer calls
  aida::train_options opt;
  opt.steps = 1000;
  opt.episodes_per_step = 8;
  opt.eval_every = 20;
  opt.replay_capacity = 4000;
  opt.updates_per_step = 4;
  opt.threshold = [](std::size_t step) { return step < 50 ? std::numeric_limits<double>::infinity() : -0.3; };
  opt.prime_noise = 0.1;
  aida::sampler rng(seed);
  const auto st = aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt,
                              aida::callbacks::stop_at_accuracy{0.9},
                              aida::callbacks::stop_at_overseer_calls{budget});
  std::cout << "held-out accuracy " << st.accuracy << " after " << st.overseer.total() << " overseer calls, "
            << st.step << " steps\n";
  EXPECT_GE(st.accuracy, 0.9) << "stopped because: " << st.stop_reason;
  EXPECT_LE(st.overseer.total(), budget + 200);  // the last step may overshoot by one step's calls
  EXPECT_EQ(static_cast<std::size_t>(ev.accuracy_calls), st.evaluations);
  // H′ deferred to ML somewhere: fewer overseer calls than the full three per episode.
  EXPECT_LT(st.overseer.total(), 3 * st.episodes);
}

}  // namespace
