// Training with aida::train: the program of docs/training.md.
//
// The reference backend's GRU pair learns `sum` (the sum of a string of digits; two digits
// here, so that it takes seconds) by adversarial IDA: the post's recursion policy with the
// primed overseer H′, a replay memory for ML, H consulted everywhere during a warm-up and then
// only where the adversary predicts a loss above 0.03 nats. Labels exist only inside the
// evaluator, which hands the trainer an accuracy.
//
// It checks its result and exits non-zero unless held-out accuracy reached 90% within 4,000
// overseer calls and H′ left some decisions to ML. Usage: training [--seed N]

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <string_view>
#include <system_error>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"

namespace {

/// A callback of one's own: any object with some of on_begin, on_step, on_evaluate, on_end.
struct print_evaluations {
  void on_evaluate(aida::train_state& s) const {
    std::cout << "step " << std::setw(3) << s.step << ": held-out " << std::setw(3) << 100 * s.accuracy
              << "%, overseer calls " << std::setw(4) << s.overseer.total() << " (H′ deferred "
              << s.deferred.total() << "), threshold c " << s.threshold << "\n";
  }
};

/// `--seed N` from the command line, or 2026; anything else is an error that says so.
std::uint64_t parse_seed(int argc, char** argv) {
  std::uint64_t seed = 2026;
  if (argc == 1) return seed;
  const std::string_view flag = argv[1], value = argc == 3 ? argv[2] : "";
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seed);
  if (argc != 3 || flag != "--seed" || error != std::errc{} || end != value.data() + value.size()) {
    std::cerr << "usage: training [--seed N], with N a whole number\n";
    std::exit(2);
  }
  return seed;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t seed = parse_seed(argc, argv);
  std::cout << "training: seed " << seed << "\n";

  // The task: its question generator, overseer and codec; a held-out set with its labels.
  const aida::tasks::sum_task task;
  auto questions = task.generator(/*difficulty=*/2);
  auto h = task.overseer();
  aida::sampler held_out_rng(seed ^ 0x5eedULL);
  auto evaluator = task.evaluator(aida::tasks::draw_questions(questions, 100, held_out_rng));

  // ML and Adv: the reference backend's GRU pair, small.
  aida::nn::char_model_config mc;
  mc.charset = task.charset();  // the task's characters and the codec's
  mc.hidden = 64;
  mc.max_answer_length = 8;
  mc.seed = seed;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.seed = seed + 1;
  aida::nn::adversary_model adv(ac);

  // The options: 8 amplification episodes a step with H′ (the defaults), a replay memory
  // (off by default) from which ML makes 8 updates of 32 targets a step, and H′'s threshold:
  // +∞ (H everywhere) while the adversary learns, then c = −0.03 nats, i.e. H only where the
  // adversary predicts a loss above 0.03 nats. The default warm-up, 100 steps, would be the
  // whole of this small run; here it is 40.
  aida::train_options options;
  options.steps = 1000;
  options.eval_every = 20;
  options.replay_capacity = 4000;
  options.updates_per_step = 8;
  options.replay_batch = 32;
  options.threshold = aida::warmup_schedule{.warmup = 40, .during = HUGE_VAL, .after = -0.03};

  constexpr std::size_t budget = 4000;  // overseer calls
  aida::sampler rng(seed);
  const aida::train_state end =
      aida::train(questions, h, ml, adv, task.codec(), aida::gumbel_argmin{}, evaluator, rng, options,
                  print_evaluations{}, aida::callbacks::stop_at_accuracy{0.9},
                  aida::callbacks::stop_at_overseer_calls{budget});

  std::cout << "result: held-out accuracy " << end.accuracy << " after " << end.step << " steps and "
            << end.overseer.total() << " overseer calls; H′ deferred " << end.deferred.total()
            << " decisions to ML; stopped: " << (end.stop ? end.stop_reason : "all steps done") << "\n";
  if (end.accuracy < 0.9 || end.deferred.total() == 0) {
    std::cout << "FAILED: expected 90% held-out accuracy within " << budget << " overseer calls, with deferrals\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
