// aida::unfold and aida::audit (spec §7) on a synthetic world where the truth, the fault
// and a perfect adversary are known exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/audit.hpp"
#include "aida/algorithm/unfold.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/sampler.hpp"
#include "aida/core/string_codec.hpp"
#include "support/seed.hpp"

namespace {

using Q = std::string;
using A = std::string;
using move_t = aida::Move<Q, A>;
using sub_t = aida::Subanswer<Q, A>;

// ---------------------------------------------------------------------------------------
// The interval world: distinct values v[0..n), n = 2^d; the question "lo+len" asks for the
// sum of v over [lo, lo+len), indices mod n. The overseer halves an interval and adds; ML
// does the same except at one injected fault; the perfect adversary knows where ML's
// tree is wrong.

enum class fault_kind { none, leaf_answer, fan_in, split, direct_answer };

struct interval { long lo, len; };

interval parse(const Q& q) {
  const auto plus = q.find('+');
  return {std::stol(q.substr(0, plus)), std::stol(q.substr(plus + 1))};
}
Q question(long lo, long len) { return std::to_string(lo) + "+" + std::to_string(len); }

struct world {
  std::vector<long> v;
  int d = 0;               // the root question is 0+2^d
  std::size_t max_depth;   // the unfold's depth limit, so that ML's answers match its tree
  fault_kind kind = fault_kind::none;
  Q at;                    // the question of the faulty node
  mutable std::unordered_map<Q, long> cache;  // of tree_answer, for the fault above

  world(int depth, std::size_t max_d, aida::sampler& rng) : d(depth), max_depth(max_d) {
    v.resize(std::size_t{1} << d);
    std::iota(v.begin(), v.end(), 1L);
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);  // distinct values
  }
  long n() const { return static_cast<long>(v.size()); }
  Q root() const { return question(0, n()); }
  long value(long i) const { return v[static_cast<std::size_t>(((i % n()) + n()) % n())]; }
  long sum(interval x) const {
    long s = 0;
    for (long i = 0; i < x.len; ++i) s += value(x.lo + i);
    return s;
  }
  std::size_t depth_of(long len) const {  // every interval at depth k has length 2^(d-k)
    std::size_t k = 0;
    while ((n() >> k) > len) ++k;
    return k;
  }
  bool faulty(const Q& q, fault_kind k) const { return kind == k && q == at; }

  /// H_fan_out: one element is answered, longer intervals are halved.
  move_t true_fan_out(interval x) const {
    if (x.len == 1) return move_t::answer(std::to_string(value(x.lo)));
    return move_t::split(question(x.lo, x.len / 2), question(x.lo + x.len / 2, x.len - x.len / 2));
  }
  /// ML_fan_out: the same, but the split fault shifts the second half by one.
  move_t model_fan_out(const Q& q) const {
    const interval x = parse(q);
    if (x.len == 1)
      return move_t::answer(std::to_string(value(x.lo) + (faulty(q, fault_kind::leaf_answer) ? 1 : 0)));
    const long shift = faulty(q, fault_kind::split) ? 1 : 0;
    return move_t::split(question(x.lo, x.len / 2), question(x.lo + x.len / 2 + shift, x.len - x.len / 2));
  }
  void set_fault(fault_kind k, Q q) {
    kind = k;
    at = std::move(q);
    cache.clear();
  }
  /// The answer ML's unfolded tree gives for q (what its own answer ML(q) is trained to be).
  long tree_answer(const Q& q) const {
    if (auto it = cache.find(q); it != cache.end()) return it->second;
    return cache[q] = compute_tree_answer(q);
  }
  long compute_tree_answer(const Q& q) const {
    const interval x = parse(q);
    if (depth_of(x.len) >= max_depth) return sum(x) + (faulty(q, fault_kind::direct_answer) ? 1 : 0);
    const move_t m = model_fan_out(q);
    if (m.is_answer()) return std::stol(m.get_answer());
    return tree_answer(m.get_split().first()) + tree_answer(m.get_split().second()) +
           (faulty(q, fault_kind::fan_in) ? 1 : 0);
  }
};

/// The overseer H: exact decompositions.
struct interval_overseer {
  const world* w;
  A answer(const Q& q) const { return std::to_string(w->sum(parse(q))); }
  move_t fan_out(const Q& q) const { return w->true_fan_out(parse(q)); }
  move_t fan_in(const Q&, const sub_t& a, const sub_t& b) const {
    return move_t::answer(std::to_string(std::stol(a.answer) + std::stol(b.answer)));
  }
};

/// ML: its output is the query itself; decoding reads the world, through the string codec.
struct interval_model {
  const world* w;
  aida::string_codec codec;
  Q predict(const Q& q) const { return q; }
  double log_prob(const Q&, const A&) const { return 0; }
  A sample(const Q& o, aida::sampler&) const { return greedy(o); }
  A greedy(const Q& o) const {
    if (o[0] == '^') return codec.encode(w->model_fan_out(o.substr(1)));
    if (o[0] == '&') {  // "&q|sq=a|sq=a": no escapes, the questions are digits and '+'
      const auto b1 = o.find('|'), b2 = o.find('|', b1 + 1);
      const Q q = o.substr(1, b1 - 1);
      const auto a1 = std::stol(o.substr(o.find('=', b1) + 1, b2 - o.find('=', b1) - 1));
      const auto a2 = std::stol(o.substr(o.find('=', b2) + 1));
      return codec.encode(move_t::answer(std::to_string(a1 + a2 + (w->faulty(q, fault_kind::fan_in) ? 1 : 0))));
    }
    return std::to_string(w->tree_answer(o));
  }
};

/// The perfect adversary: −1 where ML's tree answers wrong, 0 where it is right.
struct perfect_adversary {
  const world* w;
  double score(const Q& q, const Q&) const {
    if (q[0] == '^' || q[0] == '&') return 0;  // ML's moves (amplify scores them too): not audited here
    return w->tree_answer(q) == w->sum(parse(q)) ? 0.0 : -1.0;
  }
};

using checker_t = aida::overseer_checker<interval_overseer, aida::string_codec>;
static_assert(aida::Checker<checker_t, Q, A>);

// Archetypes: a checker that cannot check an answer, or returns no verdict, is not one.
struct no_check_answer {
  bool check_fan_out(const Q&, const move_t&) { return true; }
  bool check_fan_in(const Q&, const sub_t&, const sub_t&, const move_t&) { return true; }
};
struct no_verdict {
  void check_fan_out(const Q&, const move_t&) {}
  bool check_fan_in(const Q&, const sub_t&, const sub_t&, const move_t&) { return true; }
  bool check_answer(const Q&, const A&) { return true; }
};
static_assert(!aida::Checker<no_check_answer, Q, A>);
static_assert(!aida::Checker<no_verdict, Q, A>);

const aida::string_codec codec;

aida::unfolded<Q, A, Q> unfold_world(const world& w, aida::sampler& rng) {
  interval_model ml{&w, codec};
  perfect_adversary adv{&w};
  return aida::unfold(w.root(), ml, adv, codec, w.max_depth, rng);
}

std::size_t index_of(const aida::unfolded<Q, A, Q>& t, const Q& q) {
  for (std::size_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].question == q) return i;
  return aida::no_node;
}

// ---------------------------------------------------------------------------------------
// unfold

TEST(Unfold, BuildsMlsWholeTreeWithEveryAnswerFromTheModel) {
  aida::sampler rng(aida_test::seed());
  const int d = 3;
  world w(d, d + 1, rng);
  interval_model ml{&w, codec};
  // An adversary whose score identifies the question, to see where scores are recorded.
  struct length_adversary {
    double score(const Q& q, const Q&) const { return -static_cast<double>(parse(q).len); }
  } adv;
  const auto t = aida::unfold(w.root(), ml, adv, codec, w.max_depth, rng);

  const std::size_t n = std::size_t{1} << d;
  ASSERT_EQ(t.nodes.size(), 2 * n - 1);
  ASSERT_EQ(t.scores.size(), t.nodes.size());
  EXPECT_EQ(t.rounds.size(), n - 1);
  EXPECT_EQ(t.counts.nodes, 2 * n - 1);
  EXPECT_EQ(t.counts.rounds, n - 1);
  EXPECT_EQ(t.counts.depth_reached, std::size_t(d));
  EXPECT_EQ(t.counts.overseer.total(), 0u);
  EXPECT_EQ(t.counts.adversary_calls, t.nodes.size());
  // ML(Q) for the score, ML_fan_out at every node, ML_fan_in at every internal node.
  EXPECT_EQ(t.counts.model_calls, 2 * (2 * n - 1) + (n - 1));
  EXPECT_TRUE(t.model_targets.empty());
  EXPECT_TRUE(t.adversary_targets.empty());
  ASSERT_TRUE(t.answer.has_value());
  EXPECT_EQ(*t.answer, std::to_string(w.sum({0, long(n)})));

  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const auto& node = t.nodes[i];
    EXPECT_EQ(node.answered_by, aida::producer::model);
    EXPECT_EQ(node.fan_out_by, aida::producer::model);
    EXPECT_DOUBLE_EQ(t.scores[i], -static_cast<double>(parse(node.question).len));
    EXPECT_EQ(node.depth, w.depth_of(parse(node.question).len));
    ASSERT_TRUE(node.answer.has_value());
    EXPECT_EQ(*node.answer, std::to_string(w.sum(parse(node.question))));
    if (parse(node.question).len == 1) {
      EXPECT_EQ(node.end, aida::node_end::fan_out_answer);
      EXPECT_EQ(node.round_count, 0u);
    } else {
      EXPECT_EQ(node.end, aida::node_end::fan_in_answer);
      ASSERT_EQ(node.round_count, 1u);
      const auto& r = t.rounds[node.first_round];
      for (int k = 0; k < 2; ++k) {
        ASSERT_NE(r.child[k], aida::no_node);
        EXPECT_TRUE(r.recursed[k]);
        EXPECT_EQ(r.answered_by[k], aida::producer::recursion);
        EXPECT_EQ(t.nodes[r.child[k]].parent, i);
        EXPECT_EQ(r.answers[k], *t.nodes[r.child[k]].answer);
        EXPECT_DOUBLE_EQ(r.scores[k], t.scores[r.child[k]]);
      }
      EXPECT_EQ(r.move_by, aida::producer::model);
    }
  }
}

TEST(Unfold, NodesAtTheDepthLimitAreAnsweredByMlDirectly) {
  aida::sampler rng(aida_test::seed());
  world w(3, 1, rng);
  const auto t = unfold_world(w, rng);
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[0].end, aida::node_end::fan_in_answer);
  for (std::size_t i : {1u, 2u}) {
    EXPECT_EQ(t.nodes[i].end, aida::node_end::depth_limit);
    EXPECT_FALSE(t.nodes[i].fan_out.has_value());
    EXPECT_EQ(*t.nodes[i].answer, std::to_string(w.sum(parse(t.nodes[i].question))));
  }
  EXPECT_EQ(t.counts.fallbacks.depth_limit, 2u);

  world w0(3, 0, rng);
  const auto t0 = unfold_world(w0, rng);
  ASSERT_EQ(t0.nodes.size(), 1u);
  EXPECT_EQ(t0.nodes[0].end, aida::node_end::depth_limit);
  EXPECT_EQ(*t0.answer, std::to_string(w0.sum({0, 8})));
}

/// ML with scripted misbehaviour on top of the interval model.
struct scripted_model : interval_model {
  enum { fine, garbage_fan_out, repeat_split, resplit_forever, garbage_fan_in } mode = fine;
  Q target;  // the question the misbehaviour is at
  A greedy(const Q& o) const {
    if (o[0] == '^' && o.substr(1) == target) {
      if (mode == garbage_fan_out) return "?not a move";
      if (mode == repeat_split) return codec.encode(move_t::split(target, "0+1"));
    }
    if (o[0] == '&' && o.substr(1, target.size() + 1) == target + "|") {
      if (mode == resplit_forever) return codec.encode(w->true_fan_out(parse(target)));
      if (mode == garbage_fan_in) return "";
    }
    return interval_model::greedy(o);
  }
  A sample(const Q& o, aida::sampler&) const { return greedy(o); }
};

TEST(Unfold, MalformedMovesAndRoundLimitsFallBackToMlsOwnAnswer) {
  aida::sampler rng(aida_test::seed());
  world w(3, 4, rng);
  perfect_adversary adv{&w};
  for (auto mode : {scripted_model::garbage_fan_out, scripted_model::repeat_split,
                    scripted_model::garbage_fan_in, scripted_model::resplit_forever}) {
    scripted_model ml{{&w, codec}, mode, "0+4"};
    aida::unfold_options opt;
    opt.max_rounds = 3;
    const auto t = aida::unfold(w.root(), ml, adv, codec, w.max_depth, rng, opt);
    const std::size_t i = index_of(t, "0+4");
    ASSERT_NE(i, aida::no_node);
    const auto& node = t.nodes[i];
    EXPECT_EQ(*node.answer, std::to_string(w.sum({0, 4}))) << "ML's own answer is used";
    EXPECT_EQ(node.answered_by, aida::producer::model);
    switch (mode) {
      case scripted_model::garbage_fan_out:
      case scripted_model::repeat_split:
        EXPECT_EQ(node.end, aida::node_end::malformed_move);
        EXPECT_FALSE(node.fan_out.has_value());
        EXPECT_EQ(node.round_count, 0u);
        EXPECT_EQ(t.counts.fallbacks.malformed_moves, 1u);
        EXPECT_EQ(t.nodes.size(), 15u - 6u);  // the subtree of 0+4 is not unfolded
        break;
      case scripted_model::garbage_fan_in:
        EXPECT_EQ(node.end, aida::node_end::malformed_move);
        ASSERT_EQ(node.round_count, 1u);
        EXPECT_FALSE(t.rounds[node.first_round].move.has_value());
        EXPECT_EQ(t.counts.fallbacks.malformed_moves, 1u);
        break;
      case scripted_model::resplit_forever:
        EXPECT_EQ(node.end, aida::node_end::round_limit);
        EXPECT_EQ(node.round_count, 3u);
        EXPECT_EQ(t.counts.fallbacks.round_limit, 1u);
        EXPECT_EQ(t.counts.fallbacks.malformed_moves, 0u);
        break;
      default: break;
    }
  }
}

/// A model whose answers to plain questions are draws: sampling is reproducible.
struct noisy_model : interval_model {
  A sample(const Q& o, aida::sampler& s) const {
    if (o[0] == '^' || o[0] == '&') return greedy(o);
    return std::to_string(w->sum(parse(o)) + long(s.below(3)));
  }
};

TEST(Unfold, RejectsBadOptionsAndOversizedTreesLeavingNothingChanged) {
  aida::sampler rng(aida_test::seed());
  world w(3, 4, rng);
  noisy_model ml{{&w, codec}};
  perfect_adversary adv{&w};
  aida::unfold_options bad;
  bad.max_rounds = 0;
  EXPECT_THROW((void)aida::unfold(w.root(), ml, adv, codec, 4, rng, bad), aida::invalid_options);

  auto out = aida::unfold(w.root(), ml, adv, codec, 4, rng);
  ASSERT_EQ(out.nodes.size(), 15u);
  aida::unfold_options small;
  small.max_nodes = 5;  // the depth-2 tree has 7 nodes; ML draws at the depth limit first
  small.greedy = false;
  const aida::sampler before = rng;
  try {
    aida::unfold_into(out, w.root(), ml, adv, codec, 2, rng, small);
    FAIL() << "expected aida::error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("max_nodes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rng, before);
  EXPECT_TRUE(out.nodes.empty());
  EXPECT_TRUE(out.scores.empty());
}

TEST(Unfold, DrawsAreReproducibleForASeed) {
  aida::sampler rng(aida_test::seed());
  world w(4, 2, rng);
  noisy_model ml{{&w, codec}};
  perfect_adversary adv{&w};
  aida::unfold_options opt;
  opt.greedy = false;
  aida::sampler a(aida_test::seed() + 1), b(aida_test::seed() + 1);
  const auto ta = aida::unfold(w.root(), ml, adv, codec, 2, a, opt);
  const auto tb = aida::unfold(w.root(), ml, adv, codec, 2, b, opt);
  ASSERT_EQ(ta.nodes.size(), tb.nodes.size());
  for (std::size_t i = 0; i < ta.nodes.size(); ++i) EXPECT_EQ(ta.nodes[i].answer, tb.nodes[i].answer);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, aida::sampler(aida_test::seed() + 1)) << "the draws used the sampler";
}

// ---------------------------------------------------------------------------------------
// The checker adapter

TEST(OverseerChecker, ComparesMovesInCanonicalFormSoSubquestionOrderDoesNotMatter) {
  aida::sampler rng(aida_test::seed());
  world w(3, 4, rng);
  interval_overseer h{&w};
  checker_t k(h, codec);
  EXPECT_TRUE(k.check_fan_out("0+4", move_t::split("0+2", "2+2")));
  EXPECT_TRUE(k.check_fan_out("0+4", move_t::split("2+2", "0+2")));
  EXPECT_FALSE(k.check_fan_out("0+4", move_t::split("0+2", "3+2")));
  EXPECT_FALSE(k.check_fan_out("0+4", move_t::answer(h.answer("0+4"))));
  const sub_t s1{"0+2", "5"}, s2{"2+2", "7"};
  EXPECT_TRUE(k.check_fan_in("0+4", s1, s2, move_t::answer("12")));
  EXPECT_TRUE(k.check_fan_in("0+4", s2, s1, move_t::answer("12")));
  EXPECT_FALSE(k.check_fan_in("0+4", s1, s2, move_t::answer("13")));
  EXPECT_TRUE(k.check_answer("1+3", h.answer("1+3")));
  EXPECT_FALSE(k.check_answer("1+3", "-1"));
}

// ---------------------------------------------------------------------------------------
// audit

const aida::audit_strategy all_strategies[] = {aida::audit_strategy::adversary_guided,
                                               aida::audit_strategy::breadth_first,
                                               aida::audit_strategy::random};

TEST(Audit, WithoutAFaultEveryNodeIsCheckedOnceAndNothingIsFound) {
  aida::sampler rng(aida_test::seed());
  world w(4, 5, rng);
  const auto t = unfold_world(w, rng);
  interval_overseer h{&w};
  checker_t k(h, codec);
  for (auto s : all_strategies) {
    const auto r = aida::audit(t, k, s, rng);
    EXPECT_FALSE(r.found());
    EXPECT_EQ(r.checks, t.nodes.size());
    EXPECT_EQ(std::set<std::size_t>(r.checked.begin(), r.checked.end()).size(), t.nodes.size());
    // One fan-out check per node, one fan-in check per internal node.
    EXPECT_EQ(r.queries, t.nodes.size() + t.rounds.size());
  }
  const aida::unfolded<Q, A, Q> empty;
  EXPECT_THROW((void)aida::audit(empty, k, aida::audit_strategy::breadth_first, rng), aida::error);
  EXPECT_THROW((void)aida::audit(t, k, aida::audit_strategy::breadth_first, rng, t.nodes.size()), aida::error);
  auto damaged = t;  // a child that points back up would make the search go round forever
  damaged.rounds[damaged.nodes[1].first_round].child[1] = 0;
  EXPECT_THROW((void)aida::audit(damaged, k, aida::audit_strategy::adversary_guided, rng), aida::error);
}

TEST(Audit, EachKindOfFaultIsFoundAtItsNodeAndStep) {
  aida::sampler rng(aida_test::seed());
  struct expectation { fault_kind kind; Q at; std::size_t max_depth; aida::audit_step step; };
  const expectation cases[] = {
      {fault_kind::leaf_answer, "5+1", 4, aida::audit_step::fan_out},
      {fault_kind::split, "4+4", 4, aida::audit_step::fan_out},
      {fault_kind::fan_in, "2+2", 4, aida::audit_step::fan_in},
      {fault_kind::direct_answer, "6+2", 2, aida::audit_step::answer},  // at the depth limit
  };
  for (const auto& c : cases) {
    world w(3, c.max_depth, rng);
    w.set_fault(c.kind, c.at);
    const auto t = unfold_world(w, rng);
    ASSERT_NE(*t.answer, std::to_string(w.sum({0, 8}))) << "the fault reaches the root";
    interval_overseer h{&w};
    checker_t k(h, codec);
    for (auto s : all_strategies) {
      const auto r = aida::audit(t, k, s, rng);
      ASSERT_TRUE(r.found());
      EXPECT_EQ(t.nodes[r.faulty].question, c.at);
      EXPECT_EQ(r.step, c.step);
      EXPECT_EQ(r.checked.back(), r.faulty);
      if (s == aida::audit_strategy::adversary_guided) {
        EXPECT_EQ(r.checks, t.nodes[r.faulty].depth + 1);
      }
      // From the fault's parent (its answer is wrong too): one check less.
      const std::size_t parent = t.nodes[r.faulty].parent;
      const auto sub = aida::audit(t, k, s, rng, parent);
      EXPECT_EQ(sub.faulty, r.faulty);
      EXPECT_EQ(sub.checked.front(), parent);
      if (s == aida::audit_strategy::adversary_guided) {
        EXPECT_EQ(sub.checks, 2u);
      }
      // From a sibling subtree there is nothing to find.
      const auto& round = t.rounds[t.nodes[parent].first_round];
      const std::size_t sibling = round.child[0] == r.faulty ? round.child[1] : round.child[0];
      EXPECT_FALSE(aida::audit(t, k, s, rng, sibling).found());
    }
  }
}

TEST(Audit, TheCombinedFormUnfoldsThenAudits) {
  aida::sampler rng(aida_test::seed());
  world w(4, 5, rng);
  w.set_fault(fault_kind::fan_in, "8+4");
  interval_model ml{&w, codec};
  perfect_adversary adv{&w};
  interval_overseer h{&w};
  checker_t k(h, codec);
  const auto out = aida::audit(w.root(), ml, adv, codec, w.max_depth, k, aida::audit_strategy::adversary_guided, rng);
  EXPECT_EQ(out.tree.nodes.size(), 31u);
  ASSERT_TRUE(out.result.found());
  EXPECT_EQ(out.tree.nodes[out.result.faulty].question, "8+4");
  EXPECT_EQ(out.result.checks, 3u);
}

// Under sanitizers (ASan is ~10x slower) the study is smaller; the claims are the same.
#if defined(__SANITIZE_ADDRESS__)
constexpr int study_trials = 60, study_max_d = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int study_trials = 60, study_max_d = 8;
#else
constexpr int study_trials = 100, study_max_d = 10;
#endif
#else
constexpr int study_trials = 100, study_max_d = 10;
#endif

/// The standard deviation of a uniform draw from {1..m}.
double uniform_sd(double m) { return std::sqrt((m * m - 1) / 12); }

struct study_row { double guided = 0, breadth = 0, random = 0; };

/// Audits `trials` trees with one fault each (at a uniformly random node, or a uniformly
/// random leaf) with each strategy; every audit must find the injected node, and the
/// guided one within depth + 1 checks.
study_row run_study(int d, bool leaves_only, int trials, aida::sampler& rng) {
  world w(d, std::size_t(d) + 1, rng);
  const auto clean = unfold_world(w, rng);
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < clean.nodes.size(); ++i)
    if (!leaves_only || clean.nodes[i].end == aida::node_end::fan_out_answer) positions.push_back(i);

  study_row mean;
  for (int trial = 0; trial < trials; ++trial) {
    const auto& fault = clean.nodes[positions[rng.below(positions.size())]];
    w.set_fault(fault.round_count == 0 ? fault_kind::leaf_answer
                                       : (rng.below(2) == 0 ? fault_kind::fan_in : fault_kind::split),
                fault.question);
    const auto t = unfold_world(w, rng);
    const std::size_t expected = index_of(t, w.at);
    interval_overseer h{&w};
    checker_t k(h, codec);
    for (auto s : all_strategies) {
      const auto r = aida::audit(t, k, s, rng);
      EXPECT_EQ(r.faulty, expected) << "d=" << d << " strategy " << int(s);
      if (s == aida::audit_strategy::adversary_guided) {
        EXPECT_LE(r.checks, std::size_t(d) + 1);
        EXPECT_EQ(r.checks, fault.depth + 1) << "straight down to the fault";
        mean.guided += double(r.checks) / trials;
      } else if (s == aida::audit_strategy::breadth_first) {
        mean.breadth += double(r.checks) / trials;
      } else {
        mean.random += double(r.checks) / trials;
      }
    }
  }
  return mean;
}

// A fault at a uniformly random node of a tree of N = 2n - 1 nodes. Any order that ignores
// the scores (breadth first, random) checks on average (N + 1) / 2 = n nodes: the fault's
// position in a fixed order is uniform on 1..N. The guided search takes depth + 1 <= d + 1.
TEST(Audit, PerfectAdversaryFindsAUniformFaultInDepthPlusOneChecks) {
  aida::sampler rng(aida_test::seed());
  const int trials = study_trials;
  std::printf("  d     n   guided  breadth-first  random   (fault at a uniform node, %d trials)\n", trials);
  for (int d = 3; d <= study_max_d; ++d) {
    const double n = std::ldexp(1.0, d), nodes = 2 * n - 1;
    const study_row m = run_study(d, false, trials, rng);
    std::printf("%3d %5.0f %8.2f %14.1f %7.1f\n", d, n, m.guided, m.breadth, m.random);
    // Tolerance: 4 standard errors of the mean of `trials` uniform positions on 1..N
    // (a false failure about once in 15000 runs for a random seed).
    const double tol = 4 * uniform_sd(nodes) / std::sqrt(double(trials));
    EXPECT_NEAR(m.breadth, (nodes + 1) / 2, tol) << "d=" << d;
    EXPECT_NEAR(m.random, (nodes + 1) / 2, tol) << "d=" << d;
    EXPECT_LE(m.guided, d + 1.0);
  }
}

// A fault at a uniformly random leaf: breadth first checks all n - 1 internal nodes first,
// (n - 1) + (n + 1)/2 on average; the random depth-first order first exhausts the
// sibling subtree at each level with probability 1/2: (d + 1) + (2^(d+1) - 2 - d)/2
// = n + d/2 on average; the guided search exactly d + 1. So random lies in between.
TEST(Audit, LeafFaultsSeparateBreadthFirstRandomAndGuided) {
  aida::sampler rng(aida_test::seed());
  const int trials = study_trials;
  std::printf("  d     n   guided  breadth-first  random   (fault at a uniform leaf, %d trials)\n", trials);
  for (int d = 3; d <= study_max_d; ++d) {
    const double n = std::ldexp(1.0, d);
    const study_row m = run_study(d, true, trials, rng);
    std::printf("%3d %5.0f %8.2f %14.1f %7.1f\n", d, n, m.guided, m.breadth, m.random);
    EXPECT_NEAR(m.guided, d + 1.0, 1e-9);
    // Tolerances: 4 standard errors of the mean (exact variances of the two counts).
    EXPECT_NEAR(m.breadth, (n - 1) + (n + 1) / 2, 4 * uniform_sd(n) / std::sqrt(double(trials))) << "d=" << d;
    double var = 0;  // independent coin flips: each level adds a whole sibling subtree or nothing
    for (int k = 1; k <= d; ++k) var += std::pow(std::ldexp(1.0, d - k + 1) - 1, 2) / 4;
    EXPECT_NEAR(m.random, n + d / 2.0, 4 * std::sqrt(var / trials)) << "d=" << d;
    EXPECT_LT(m.guided, m.random);
    EXPECT_LT(m.random, m.breadth);
  }
}

// With an uninformative or even misleading adversary the guided search is still complete:
// it backtracks, and finds the fault; a misleading one costs more checks than a perfect one.
TEST(Audit, ImperfectAdversariesStillFindTheFault) {
  aida::sampler rng(aida_test::seed());
  world w(6, 7, rng);
  interval_overseer h{&w};
  checker_t k(h, codec);
  for (int trial = 0; trial < 20; ++trial) {
    w.set_fault(fault_kind::leaf_answer, question(long(rng.below(64)), 1));
    auto t = unfold_world(w, rng);
    const std::size_t expected = index_of(t, w.at);
    // Misleading: the scores of wrong answers are the highest.
    for (auto& r : t.rounds)
      for (double& s : r.scores) s = -s;
    const auto misled = aida::audit(t, k, aida::audit_strategy::adversary_guided, rng);
    EXPECT_EQ(misled.faulty, expected);
    EXPECT_GT(misled.checks, 7u);
    // Uninformative: random scores.
    for (auto& r : t.rounds)
      for (double& s : r.scores) s = rng.uniform();
    const auto blind = aida::audit(t, k, aida::audit_strategy::adversary_guided, rng);
    EXPECT_EQ(blind.faulty, expected);
  }
}

// An amplification episode is a tree too: its steps are the overseer's own, so none is
// wrong; subanswers drawn from ML have no node and are not descended into.
TEST(Audit, AnAmplificationEpisodeCanBeAuditedToo) {
  aida::sampler rng(aida_test::seed());
  world w(4, 8, rng);
  interval_overseer h{&w};
  interval_model ml{&w, codec};
  perfect_adversary adv{&w};
  const auto ep = aida::amplify(w.root(), h, ml, adv, codec, aida::gumbel_argmin{.temperature = 1}, rng);
  ASSERT_EQ(ep.nodes.size(), 5u) << "one recursion per round: a path of 5 nodes";
  checker_t k(h, codec);
  for (auto s : all_strategies) {
    const auto r = aida::audit(ep, k, s, rng);
    EXPECT_FALSE(r.found());
    EXPECT_EQ(r.checks, ep.nodes.size());
  }
}

TEST(Audit, TheRandomOrderIsReproducibleForASeed) {
  aida::sampler rng(aida_test::seed());
  world w(5, 6, rng);
  w.set_fault(fault_kind::leaf_answer, "17+1");
  const auto t = unfold_world(w, rng);
  interval_overseer h{&w};
  checker_t k(h, codec);
  aida::sampler a(7), b(7);
  const auto ra = aida::audit(t, k, aida::audit_strategy::random, a);
  const auto rb = aida::audit(t, k, aida::audit_strategy::random, b);
  EXPECT_EQ(ra.checked, rb.checked);
  EXPECT_EQ(ra.faulty, index_of(t, "17+1"));
}

}  // namespace
