// aida::train with train_options::threads and the reference Transformer pair
// (transformer_model, transformer_adversary), which declare `concurrent_inference`: at a tiny
// size on 2-digit sums, every parameter and optimiser bit and the per-step counts are the same
// with 1, 2 and 4 threads. The tsan preset runs it under ThreadSanitizer, which would report
// scratch space (the decoder's key/value cache, attention workspaces) shared between threads.
// Data-parallel training over two ranks (threads, support/thread_group.hpp) keeps the pair's
// bits the same on both ranks, as tests/test_train_ranks.cpp shows for the GRU pair.
// (A file of its own: the Transformer's headers take several times longer to compile.)
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/transformer.hpp"
#include "support/const_inference.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"
#include "support/thread_group.hpp"

namespace {

struct run_result {
  std::vector<std::string> curve;
  std::vector<float> ml, adv;
};

struct counts_recorder {
  std::vector<std::string>* lines;
  void on_step(aida::train_state& s) {
    lines->push_back(std::to_string(s.step) + " H" + std::to_string(s.overseer.total()) + " def" +
                     std::to_string(s.deferred.total()) + " m" + std::to_string(s.model_calls) + " t" +
                     std::to_string(s.targets) + " " + std::to_string(s.model_loss) + " " +
                     std::to_string(s.adversary_loss));
  }
};

// With `comm`, data-parallel over its ranks; the model seeds differ by rank (rank 0's win).
run_result run(std::size_t threads, aida_test::thread_rank* comm = nullptr) {
  const aida::tasks::sum_task task;
  auto generator = task.generator(2);
  aida::nn::transformer_config mc;
  mc.charset = task.charset();
  mc.width = 16;
  mc.heads = 2;
  mc.encoder_layers = 1;
  mc.decoder_layers = 1;
  mc.feed_forward = 32;
  mc.max_question_length = 64;
  mc.max_answer_length = 8;
  mc.seed = aida_test::seed() + (comm ? 100 * static_cast<std::uint64_t>(comm->rank()) : 0);
  aida::nn::transformer_model ml(mc);
  aida::nn::transformer_adversary_config ac;
  ac.charset = task.charset();
  ac.width = 8;
  ac.heads = 2;
  ac.feed_forward = 16;
  ac.mlp_hidden = 8;
  ac.max_question_length = 64;
  ac.model_output_size = ml.output_size();
  ac.seed = aida_test::seed() + 1;
  aida::nn::transformer_adversary adv(ac);
  aida::sampler held(aida_test::seed() ^ 0x5eedULL);
  auto ev = task.evaluator(aida::tasks::draw_questions(generator, 4, held));
  auto h = task.overseer();
  aida::train_options opt;
  opt.threads = threads;
  opt.steps = 3;
  opt.episodes_per_step = 4;
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 3;
  // H everywhere in the first step, then H′ deferring where the adversary is confident.
  opt.threshold = [](std::size_t s) { return s < 1 ? std::numeric_limits<double>::infinity() : 0.0; };
  aida::sampler rng(aida_test::seed());
  run_result r;
  if (comm)
    aida::train(*comm, generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt,
                counts_recorder{&r.curve});
  else
    aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt, counts_recorder{&r.curve});
  r.ml = aida_test::snapshot(ml);
  r.adv = aida_test::snapshot(adv);
  return r;
}

TEST(TrainThreadsTransformer, ThePairGivesTheSameParametersWithOneTwoAndFourThreads) {
  static_assert(aida::concurrent_inference<aida::nn::transformer_model> &&
                aida::concurrent_inference<aida::nn::transformer_adversary>);
  // The members the procedures call are const: the episodes' threads share them read-only.
  static_assert(aida_test::const_inference<aida::nn::transformer_model, aida::nn::encoder_states> &&
                aida_test::const_scoring<aida::nn::transformer_adversary, aida::nn::encoder_states>);
  const run_result one = run(1);
  ASSERT_EQ(one.curve.size(), 3u);
  for (std::size_t threads : {2u, 4u}) {
    const run_result r = run(threads);
    EXPECT_EQ(one.curve, r.curve) << threads << " threads";
    EXPECT_TRUE(aida_test::same_bits(one.ml, r.ml)) << threads << " threads";
    EXPECT_TRUE(aida_test::same_bits(one.adv, r.adv)) << threads << " threads";
  }
}

TEST(TrainRanksTransformer, TwoRanksHoldTheSameBitsAndCountLikeOneProcess) {
  static_assert(aida::DataParallelModel<aida::nn::transformer_model, std::string, std::string> &&
                aida::DataParallelAdversary<aida::nn::transformer_adversary, std::string, aida::nn::encoder_states>);
  aida_test::thread_group group(2, std::chrono::seconds(120));
  std::vector<run_result> ranks(2);
  aida_test::run_ranks(group, [&](int r) {
    aida_test::thread_rank comm{&group, r};
    ranks[static_cast<std::size_t>(r)] = run(1, &comm);
  });
  EXPECT_EQ(ranks[0].curve, ranks[1].curve);
  EXPECT_TRUE(aida_test::same_bits(ranks[0].ml, ranks[1].ml));
  EXPECT_TRUE(aida_test::same_bits(ranks[0].adv, ranks[1].adv));
  // The first step's counts are one process's (the losses, summed in another order, may not be).
  const run_result alone = run(1);
  ASSERT_EQ(ranks[0].curve.size(), 3u);
  const auto counts = [](const std::string& line) { return line.substr(0, line.find(" t") + 1); };
  EXPECT_EQ(counts(ranks[0].curve[0]), counts(alone.curve[0]));
}

}  // namespace
