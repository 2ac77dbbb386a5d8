/// \file
/// The recursion's own cost, without any learning: Gumbel draws, each recursion policy's
/// decision, and `amplify` / `distill` driven by O(1) integer test doubles for the
/// overseer, the model, the adversary and the codec, so that what is timed is aida's
/// bookkeeping (the tree, the rounds, the targets, the counts, spec §2, §3, §8) and nothing
/// else. Heap allocations inside the timed loop are counted with a replaced global
/// `operator new` (support/alloc_counter.hpp).
///
/// Targets (benchmarks/README.md): at most 100 ns per tree node and zero heap allocations
/// per node once the reused episode has grown (`amplify_into` steady state).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/distill.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/sampler.hpp"
#include "support/alloc_counter.hpp"

namespace {

using u64 = std::uint64_t;

// ---------------------------------------------------------------------------------------
// O(1) test doubles. Questions and answers are 64-bit integers; nothing allocates.

/// Questions are heap-numbered nodes of a binary tree (the root is 1, the children of `q`
/// are `2q` and `2q + 1`), so a split never repeats an ancestor. The codec tags the
/// structured queries of spec §1 in the top bits and packs a split into one answer.
/// Domain: questions below 2^31 (trees up to depth 30).
struct int_codec {
  using question_type = u64;
  using answer_type = u64;
  static constexpr u64 fan_out_tag = u64{1} << 62;
  static constexpr u64 fan_in_tag = u64{1} << 61;

  [[nodiscard]] u64 fan_out_question(u64 q) const noexcept { return q | fan_out_tag; }
  /// Symmetric in the two subanswers (sums commute), as the Codec laws ask.
  [[nodiscard]] u64 fan_in_question(u64 q, const aida::Subanswer<u64, u64>& s1,
                                    const aida::Subanswer<u64, u64>& s2) const noexcept {
    const u64 mixed = q * 0x9e3779b97f4a7c15ULL ^ (s1.question + s2.question) ^
                      ((s1.answer + s2.answer) << 7);
    return (mixed & (fan_in_tag - 1)) | fan_in_tag;
  }
  /// An answer `a` as `a << 1`; a split as its ordered pair, `(lo << 32 | hi) << 1 | 1`.
  [[nodiscard]] u64 encode(const aida::Move<u64, u64>& m) const noexcept {
    if (m.is_answer()) return m.get_answer() << 1;
    const auto& s = m.get_split();
    const u64 lo = std::min(s.first(), s.second()), hi = std::max(s.first(), s.second());
    return (((lo & 0x7fffffffULL) << 32 | (hi & 0x7fffffffULL)) << 1) | 1;
  }
  /// Total: every integer decodes to some move.
  [[nodiscard]] std::optional<aida::Move<u64, u64>> decode(u64 a) const noexcept {
    if (a & 1) return aida::Move<u64, u64>::split((a >> 33) & 0x7fffffffULL, (a >> 1) & 0x7fffffffULL);
    return aida::Move<u64, u64>::answer(a >> 1);
  }
};

/// H for a full binary tree of depth `depth`: a node above the leaves splits into its two
/// children, a leaf answers, and fan-in adds the two subanswers (one round per node).
struct tree_overseer {
  unsigned depth = 4;
  [[nodiscard]] u64 answer(u64 q) const noexcept { return q & 0xff; }
  [[nodiscard]] aida::Move<u64, u64> fan_out(u64 q) const noexcept {
    const auto level = static_cast<unsigned>(std::bit_width(q)) - 1;
    if (level < depth) return aida::Move<u64, u64>::split(2 * q, 2 * q + 1);
    return aida::Move<u64, u64>::answer(q & 0xff);
  }
  [[nodiscard]] aida::Move<u64, u64> fan_in(u64, const aida::Subanswer<u64, u64>& s1,
                                            const aida::Subanswer<u64, u64>& s2) const noexcept {
    return aida::Move<u64, u64>::answer((s1.answer + s2.answer) & 0xffff);
  }
};

/// ML: its output is the question itself; log-probabilities are small negative numbers.
/// On a fan-out or fan-in question it answers with a split into two fresh questions (so
/// that distillation runs its rounds), otherwise with a number.
struct int_model {
  [[nodiscard]] u64 predict(u64 q) const noexcept { return q; }
  [[nodiscard]] double log_prob(u64 o, u64 a) const noexcept {
    return -0.125 * static_cast<double>((o ^ a) & 7) - 0.01;
  }
  template <class S>
  [[nodiscard]] u64 sample(u64 o, S& rng) const noexcept {
    return respond(o, rng.next());
  }
  [[nodiscard]] u64 greedy(u64 o) const noexcept { return respond(o, 0); }

 private:
  [[nodiscard]] static u64 respond(u64 o, u64 bits) noexcept {
    if (o & (int_codec::fan_out_tag | int_codec::fan_in_tag)) {
      const u64 sq = (1u << 20) + ((o ^ bits) & 0xffff) * 2;  // never the root's question
      return int_codec{}.encode(aida::Move<u64, u64>::split(sq, sq + 1));
    }
    return (o + bits) & 0xffff;  // an answer (even: decodes as an answer)
  }
};

/// Adv: a score in [-15/16, 0] that depends on question and output.
struct int_adversary {
  [[nodiscard]] double score(u64 q, u64 o) const noexcept {
    return -0.0625 * static_cast<double>((q ^ (o >> 3)) & 15);
  }
};

// ---------------------------------------------------------------------------------------
// Gumbel draws and policy decisions.

void BM_sampler_next(benchmark::State& state) {
  aida::sampler rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.next());
}
BENCHMARK(BM_sampler_next);

void BM_sampler_uniform(benchmark::State& state) {
  aida::sampler rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.uniform());
}
BENCHMARK(BM_sampler_uniform);

void BM_sampler_gumbel(benchmark::State& state) {
  aida::sampler rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.gumbel());
}
BENCHMARK(BM_sampler_gumbel);

/// One `select` per iteration, on scores that change every call (a table of 1024 pairs in
/// [-2, 0]) so that the compiler cannot hoist the decision out of the loop.
template <class P>
void BM_policy(benchmark::State& state, P policy) {
  std::array<double, 2048> scores{};
  aida::sampler init(7);
  for (auto& s : scores) s = -2.0 * init.uniform();
  aida::sampler rng(1);
  std::size_t i = 0;
  for (auto _ : state) {
    const aida::selection sel = aida::select_subquestions(policy, std::span<const double>(&scores[i], 2), rng);
    benchmark::DoNotOptimize(sel);
    i = (i + 2) & (scores.size() - 1);
  }
}
BENCHMARK_CAPTURE(BM_policy, gumbel_argmin, aida::gumbel_argmin{.temperature = 1.0});
BENCHMARK_CAPTURE(BM_policy, gumbel_argmin_t0, aida::gumbel_argmin{.temperature = 0.0});
BENCHMARK_CAPTURE(BM_policy, bernoulli_coins, aida::bernoulli_coins{});
BENCHMARK_CAPTURE(BM_policy, gumbel_threshold,
                  aida::gumbel_threshold{aida::constant_schedule{-1.0}, 1.0});
BENCHMARK_CAPTURE(BM_policy, uniform_one, aida::uniform_one{});
BENCHMARK_CAPTURE(BM_policy, recurse_all, aida::recurse_all{});
BENCHMARK_CAPTURE(BM_policy, recurse_none, aida::recurse_none{});

// ---------------------------------------------------------------------------------------
// amplify and distill per tree node.

/// Sets the per-node counters: seconds per node of the recursion (`s_per_node`, shown
/// with an SI prefix: "35n" is 35 ns), heap allocations per node in the timed loop
/// (`allocs_per_node`) and, when given, seconds per question of the tree
/// (`s_per_question`): the nodes plus the subquestions that ML answered instead of a
/// recursion, `1 + 2 · rounds` (the same as the nodes for a full tree).
void report_per_node(benchmark::State& state, double nodes_per_iteration, std::uint64_t allocs,
                     double questions_per_iteration = 0) {
  const double nodes = nodes_per_iteration * static_cast<double>(state.iterations());
  state.counters["nodes"] = nodes_per_iteration;
  state.counters["s_per_node"] =
      benchmark::Counter(nodes, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (questions_per_iteration > 0)
    state.counters["s_per_question"] = benchmark::Counter(
        questions_per_iteration * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_node"] = static_cast<double>(allocs) / nodes;
  state.SetItemsProcessed(static_cast<std::int64_t>(nodes));
}

/// `amplify_into` from the root question 1 with overseer `h`, `codec` and `policy` and a reused
/// episode: one warm-up episode grows its vectors, then every timed episode is the steady
/// state. Per node, per question (the nodes plus the `k` − recursed subquestions of each round
/// that ML answered: `1 + k · rounds`) and allocations per node.
template <class H, class C, class P>
void steady_amplify(benchmark::State& state, H h, const C& codec, const P& policy, unsigned depth, unsigned k) {
  int_model ml;
  int_adversary adv;
  aida::sampler rng(42);
  aida::amplify_options opt;
  opt.max_depth = depth + 1;  // the tree ends by itself; the depth limit never fires
  aida::episode_for<C, int_model> ep;

  aida::amplify_into(ep, u64{1}, h, ml, adv, codec, policy, rng, opt);  // warm-up
  const double nodes = static_cast<double>(ep.counts.nodes);

  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    aida::amplify_into(ep, u64{1}, h, ml, adv, codec, policy, rng, opt);
    benchmark::DoNotOptimize(ep.answer);
    benchmark::ClobberMemory();
  }
  const auto allocs = aida_bench::allocations() - before;
  // A gumbel_argmin chain always has depth + 1 nodes; recurse_all a full tree. Either
  // way every episode has the warm-up's size, which the per-node figures rely on.
  if (static_cast<double>(ep.counts.nodes) != nodes) state.SkipWithError("episode size changed");
  report_per_node(state, nodes, allocs, 1.0 + static_cast<double>(k) * static_cast<double>(ep.counts.rounds));
}

/// `amplify_into` on the root of a binary tree of depth `state.range(0)` (`steady_amplify`).
template <class P>
void BM_amplify(benchmark::State& state, P policy) {
  const auto depth = static_cast<unsigned>(state.range(0));
  steady_amplify(state, tree_overseer{depth}, int_codec{}, policy, depth, 2);
}
BENCHMARK_CAPTURE(BM_amplify, recurse_all, aida::recurse_all{})->DenseRange(4, 16, 2);
BENCHMARK_CAPTURE(BM_amplify, gumbel_argmin, aida::gumbel_argmin{.temperature = 1.0})
    ->DenseRange(4, 16, 2);
// The same chains without exploration noise (τ = 0) and without scores (uniform_one skips
// the adversary), to split a chain node's cost into noise, scoring and bookkeeping.
BENCHMARK_CAPTURE(BM_amplify, gumbel_argmin_t0, aida::gumbel_argmin{.temperature = 0.0})
    ->Arg(4)->Arg(16);
BENCHMARK_CAPTURE(BM_amplify, uniform_one, aida::uniform_one{})->Arg(4)->Arg(16);

/// A proposal, not part of aida: for two subquestions, `argmin_i (S_i + τ·ε_i)` with
/// independent Gumbel ε_i picks the second iff `S_2 − S_1 < τ·(ε_1 − ε_2)`, and the
/// difference of two independent standard Gumbels is a standard logistic variate,
/// `log(u / (1 − u))`. One logarithm instead of the four of two Gumbel draws; the same
/// choice distribution, softmax(−S/τ) (a different random stream for a given seed).
struct logistic_argmin {
  double temperature = 1.0;
  template <aida::Sampler S>
  aida::selection select(double s1, double s2, S& rng) const {
    double noise = 0;
    if (temperature > 0) {
      const double u = rng.uniform_open();
      noise = temperature * std::log(u / (1 - u));
    }
    aida::selection r;
    r.recurse[s2 - s1 < noise ? 1 : 0] = true;
    return r;
  }
};
BENCHMARK_CAPTURE(BM_policy, logistic_argmin_proposal, logistic_argmin{.temperature = 1.0});
BENCHMARK_CAPTURE(BM_amplify, logistic_argmin_proposal, logistic_argmin{.temperature = 1.0})
    ->Arg(4)->Arg(16);

// ---------------------------------------------------------------------------------------
// k-ary splits: the same doubles with k subquestions per split.

/// The codec of k-ary splits: a split is encoded as a symmetric mix of its questions (an odd
/// number; `decode` of one gives a split of two, as `int_codec`'s), the fan-in question as a
/// symmetric mix of the question, the subquestions and their answers.
struct kary_int_codec : int_codec {
  [[nodiscard]] u64 fan_in_question(u64 q, std::span<const aida::Subanswer<u64, u64>> subs) const noexcept {
    u64 qs = 0, as = 0;
    for (const auto& s : subs) qs += s.question, as += s.answer;
    return ((q * 0x9e3779b97f4a7c15ULL ^ qs ^ (as << 7)) & (fan_in_tag - 1)) | fan_in_tag;
  }
  [[nodiscard]] u64 encode(const aida::Move<u64, u64>& m) const noexcept {
    if (m.is_answer()) return m.get_answer() << 1;
    u64 sum = 0, mix = 0;
    for (u64 q : m.get_split()) sum += q, mix ^= q * 0xbf58476d1ce4e5b9ULL;
    return ((sum * 0x94d049bb133111ebULL ^ mix) << 1) | 1;
  }
};

/// H for a full k-ary tree of depth `depth` (k a power of two): the children of `q` are
/// `k·q + i`, so the questions of level L are [k^L, 2·k^L), and a split never repeats an
/// ancestor; fan-in adds the k subanswers.
struct kary_tree_overseer {
  unsigned k = 2;
  unsigned depth = 4;
  [[nodiscard]] u64 answer(u64 q) const noexcept { return q & 0xff; }
  [[nodiscard]] aida::Move<u64, u64> fan_out(u64 q) const {
    const auto level = (static_cast<unsigned>(std::bit_width(q)) - 1) / static_cast<unsigned>(std::countr_zero(k));
    if (level >= depth) return aida::Move<u64, u64>::answer(q & 0xff);
    aida::Split<u64> s;
    for (unsigned i = 0; i < k; ++i) s.push_back(u64{k} * q + i);
    return aida::Move<u64, u64>::split(std::move(s));
  }
  [[nodiscard]] aida::Move<u64, u64> fan_in(u64, std::span<const aida::Subanswer<u64, u64>> subs) const noexcept {
    u64 total = 0;
    for (const auto& s : subs) total += s.answer;
    return aida::Move<u64, u64>::answer(total & 0xffff);
  }
};

/// `amplify_into` on a k-ary tree (k = `state.range(0)`, depth `state.range(1)`; `steady_amplify`).
template <class P>
void BM_amplify_kary(benchmark::State& state, P policy) {
  const auto k = static_cast<unsigned>(state.range(0));
  const auto depth = static_cast<unsigned>(state.range(1));
  if (k > aida::max_subquestions) return state.SkipWithError("k is above AIDA_MAX_SUBQUESTIONS");
  steady_amplify(state, kary_tree_overseer{k, depth}, kary_int_codec{}, policy, depth, k);
}
// The post's arg-min (a chain of depth + 1 nodes, k − 1 subquestions answered by ML per round)
// and Gumbel-top-2 (a binary tree of recursions inside the k-ary one), at depth 4 and 8.
BENCHMARK_CAPTURE(BM_amplify_kary, gumbel_argmin, aida::gumbel_argmin{.temperature = 1.0})
    ->ArgsProduct({{2, 4, 8}, {4, 8}});
BENCHMARK_CAPTURE(BM_amplify_kary, gumbel_top_2, aida::gumbel_top_m{.m = 2, .temperature = 1.0})
    ->ArgsProduct({{2, 4, 8}, {4, 8}});
BENCHMARK_CAPTURE(BM_policy, gumbel_top_2_of_2, aida::gumbel_top_m{.m = 2, .temperature = 1.0});

/// `amplify` returning a fresh episode each time: what a caller pays without reuse.
void BM_amplify_fresh_episode(benchmark::State& state) {
  const auto depth = static_cast<unsigned>(state.range(0));
  tree_overseer h{depth};
  int_model ml;
  int_adversary adv;
  const int_codec codec;
  aida::sampler rng(42);
  aida::amplify_options opt;
  opt.max_depth = depth + 1;
  const double nodes = std::exp2(depth + 1) - 1;

  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    auto ep = aida::amplify(u64{1}, h, ml, adv, codec, aida::recurse_all{}, rng, opt);
    benchmark::DoNotOptimize(ep.answer);
  }
  report_per_node(state, nodes, aida_bench::allocations() - before);
}
BENCHMARK(BM_amplify_fresh_episode)->Arg(4)->Arg(10)->Arg(16);

/// `distill_into` with ML always splitting: `state.range(0)` rounds (the round limit), each
/// two subanswer draws and one fan-in move, then ML's own answer. Per round and per episode.
void BM_distill(benchmark::State& state) {
  const auto rounds = static_cast<std::size_t>(state.range(0));
  int_model ml;
  int_adversary adv;
  const int_codec codec;
  aida::sampler rng(42);
  aida::distill_options opt;
  opt.max_rounds = rounds;
  aida::episode_for<int_codec, int_model> ep;

  aida::distill_into(ep, u64{5}, ml, adv, codec, rng, opt);  // warm-up
  if (ep.counts.rounds != rounds) state.SkipWithError("the model did not split every round");

  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    aida::distill_into(ep, u64{5}, ml, adv, codec, rng, opt);
    benchmark::DoNotOptimize(ep.answer);
    benchmark::ClobberMemory();
  }
  const auto allocs = aida_bench::allocations() - before;
  const double total_rounds = static_cast<double>(rounds) * static_cast<double>(state.iterations());
  state.counters["s_per_round"] =
      benchmark::Counter(total_rounds, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_episode"] = static_cast<double>(allocs) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_distill)->Arg(1)->Arg(4)->Arg(8);

}  // namespace

BENCHMARK_MAIN();
