// Splits of two stay bit for bit what they were before splits could hold k subquestions: the
// episodes (trees, targets, losses, counts) of amplify with each policy, with H and with H′,
// of distill, unfold and audit, and a short aida::train run with every part of the method, all
// from the reference GRU backend on `sum`, are digested and compared with the digests the code
// wrote before the change (tests/support/binary_golden.inc, written by this file's digests built
// at commit 2665213, the last one with binary-only splits, where the coverage count below read
// `answered_by` as the two-element array it was: AIDA_WRITE_GOLDEN=<path> writes it).
// A difference in any case means that a recorded result would not reproduce.
//
// The digests are of exact bits, so they hold for one build of the reference backend on one ISA
// (the CI machine's and this project's: x86-64 with AVX-512, g++ 12, the `test` preset);
// Eigen's GEMM blocking is pinned by the backend, so cache sizes do not matter.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/io/tree_json.hpp"
#include "aida/nn/nn.hpp"
#include "support/snapshot.hpp"

namespace {

using S = std::string;

struct digest {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 1099511628211ULL;
  }
  void text(const std::string& s) {
    const std::uint64_t n = s.size();
    bytes(&n, sizeof n);
    bytes(s.data(), s.size());
  }
  template <class T>
  void value(const T& v) {
    bytes(&v, sizeof v);
  }
};

// What the cases exercised, so that a digest of trivial episodes cannot pass unnoticed.
struct coverage_counts {
  std::size_t rounds = 0, deferred = 0, consulted = 0, model_answered = 0, malformed = 0;
} coverage;

// Everything an episode recorded, including each target's loss and the adversary's
// prediction to the bit.
template <class Ep>
void add_episode(digest& d, const Ep& ep) {
  d.text(aida::io::to_json(ep));
  for (const auto& t : ep.model_targets) {
    d.text(t.query);
    d.text(t.target);
    d.value(t.kind);
    d.value(t.loss);
  }
  for (const auto& t : ep.adversary_targets) {
    d.value(t.target);
    d.value(t.prediction);
    d.bytes(t.output.value.data(), static_cast<std::size_t>(t.output.value.size()) * sizeof(float));
  }
  const auto& c = ep.counts;
  coverage.rounds += c.rounds;
  coverage.deferred += c.deferred.total();
  coverage.consulted += c.overseer.total();
  coverage.malformed += c.fallbacks.malformed_moves;
  for (const auto& r : ep.rounds)
    for (std::size_t i = 0; i < r.questions.size(); ++i)
      coverage.model_answered += r.answered_by[i] == aida::producer::model ? 1 : 0;
  for (std::size_t v : {c.overseer.total(), c.deferred.total(), c.model_calls, c.adversary_calls, c.nodes, c.rounds,
                        c.depth_reached, c.fallbacks.malformed_moves, c.fallbacks.overseer_budget})
    d.value(v);
}

aida::nn::char_model_config model_config(const aida::tasks::sum_task& task) {
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.embedding = 8;
  mc.hidden = 16;
  mc.max_answer_length = 8;
  mc.seed = 11;
  return mc;
}

aida::nn::adversary_config adversary_config(const aida::tasks::sum_task& task) {
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.hidden = 8;
  ac.mlp_hidden = 8;
  ac.model_output_size = 16;
  ac.seed = 12;
  return ac;
}

struct learners {
  aida::tasks::sum_task task;
  aida::nn::char_model ml{model_config(task)};
  aida::nn::adversary_model adv{adversary_config(task)};
};

// Amplification episodes on 6-digit questions with `policy`, with H or with H′ (c = −1.5:
// an untrained adversary's scores straddle it, so H′ both defers and consults).
template <class P>
std::uint64_t amplify_case(const P& policy, bool primed) {
  learners l;
  auto gen = l.task.generator(6);
  aida::sampler rng(101);
  auto h = l.task.overseer();
  auto hp = aida::prime(h, l.ml, l.adv, l.task.codec(), -1.5);
  digest d;
  aida::amplify_options opt;
  opt.max_depth = 3;
  for (int i = 0; i < 6; ++i) {
    const S q = gen.next(rng);
    if (primed) add_episode(d, aida::amplify(q, hp, l.ml, l.adv, l.task.codec(), policy, rng, opt));
    else add_episode(d, aida::amplify(q, h, l.ml, l.adv, l.task.codec(), policy, rng, opt));
  }
  d.value(rng.next());
  return d.h;
}

std::uint64_t distill_unfold_audit_case() {
  learners l;
  auto gen = l.task.generator(4);
  aida::sampler rng(202);
  auto h = l.task.overseer();
  aida::overseer_checker checker(h, l.task.codec());
  digest d;
  for (int i = 0; i < 6; ++i) {
    const S q = gen.next(rng);
    add_episode(d, aida::distill(q, l.ml, l.adv, l.task.codec(), rng));
    const auto t = aida::unfold(q, l.ml, l.adv, l.task.codec(), 3, rng);
    d.text(aida::io::to_json(t));
    for (double s : t.scores) d.value(s);
    for (auto strategy : {aida::audit_strategy::adversary_guided, aida::audit_strategy::random}) {
      const auto r = aida::audit(t, checker, strategy, rng);
      d.value(r.checks);
      d.value(r.faulty);
      for (std::size_t n : r.checked) d.value(n);
    }
  }
  d.value(rng.next());
  return d.h;
}

// A short run of every part of the method: H′ after one step of H, the adversarial source,
// distillation, replay, the arg-min.
std::uint64_t train_case() {
  learners l;
  auto gen = l.task.generator(4);
  aida::sampler held(303);
  auto ev = l.task.evaluator(aida::tasks::draw_questions(gen, 8, held));
  auto h = l.task.overseer();
  aida::train_options opt;
  opt.steps = 6;
  opt.episodes_per_step = 3;
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 3;
  opt.adversarial_candidates = 3;
  opt.replay_capacity = 64;
  opt.updates_per_step = 2;
  opt.replay_batch = 8;
  opt.threshold = [](std::size_t s) { return s < 1 ? std::numeric_limits<double>::infinity() : -1.5; };
  aida::sampler rng(404);
  const aida::train_state st = aida::train(gen, h, l.ml, l.adv, l.task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt);
  digest d;
  for (std::size_t v : {st.episodes, st.distill_episodes, st.overseer.total(), st.deferred.total(), st.model_calls,
                        st.adversary_calls, st.fallbacks.malformed_moves})
    d.value(v);
  d.value(st.accuracy);
  d.value(st.model_loss);
  d.value(st.adversary_loss);
  const auto ml = aida_test::snapshot(l.ml), adv = aida_test::snapshot(l.adv);
  d.bytes(ml.data(), ml.size() * sizeof(float));
  d.bytes(adv.data(), adv.size() * sizeof(float));
  d.value(rng.next());
  return d.h;
}

std::map<std::string, std::uint64_t> compute() {
  std::map<std::string, std::uint64_t> out;
  for (bool primed : {false, true}) {
    const std::string h = primed ? "/H'" : "/H";
    out["amplify/argmin" + h] = amplify_case(aida::gumbel_argmin{0.3}, primed);
    out["amplify/uniform" + h] = amplify_case(aida::uniform_one{}, primed);
    out["amplify/threshold" + h] = amplify_case(aida::gumbel_threshold{aida::constant_schedule{-1.5}, 0.5}, primed);
    out["amplify/coins" + h] = amplify_case(aida::bernoulli_coins{}, primed);
    out["amplify/all" + h] = amplify_case(aida::recurse_all{}, primed);
  }
  out["distill+unfold+audit"] = distill_unfold_audit_case();
  out["train"] = train_case();
  return out;
}

#if __has_include("support/binary_golden.inc")
#define AIDA_HAVE_GOLDEN 1
const std::map<std::string, std::uint64_t> golden = {
#include "support/binary_golden.inc"
};
#endif

TEST(BinarySplits, EpisodesAreBitForBitThoseOfTheBinaryOnlyCode) {
  const auto now = compute();
  EXPECT_GT(coverage.rounds, 50u);
  EXPECT_GT(coverage.deferred, 0u) << "H' should defer in some episodes";
  EXPECT_GT(coverage.consulted, 100u);
  EXPECT_GT(coverage.model_answered, 0u);
  if (const char* path = std::getenv("AIDA_WRITE_GOLDEN")) {
    std::ofstream f(path);
    for (const auto& [name, h] : now) {
      char line[128];
      std::snprintf(line, sizeof line, "{\"%s\", 0x%016llxULL},\n", name.c_str(), static_cast<unsigned long long>(h));
      f << line;
    }
    GTEST_SKIP() << "wrote " << path;
  }
#ifdef AIDA_HAVE_GOLDEN
  ASSERT_EQ(now.size(), golden.size());
  for (const auto& [name, h] : golden) {
    ASSERT_TRUE(now.count(name)) << name;
    EXPECT_EQ(now.at(name), h) << name << ": the episodes differ from those of the binary-only code";
  }
#else
  GTEST_FAIL() << "tests/support/binary_golden.inc is missing";
#endif
}

}  // namespace
