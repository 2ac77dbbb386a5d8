// Trees of any depth (reliability issue #16, item 2): every procedure that walks a tree
// (amplify with H or the primed H′, unfold, audit) and every output of one (the episode
// record, the JSON and DOT exports) handles a chain 100,000 nodes deep, which a recursion
// of one stack frame per level cannot (it overflowed near 9,000 levels at -O2, near 3,000
// under AddressSanitizer). And the walk that replaced the recursion makes the same calls,
// in the same order, with the same draws, as the recursion did: the fingerprints of bushy
// trees below were taken from the recursive version.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;

constexpr std::size_t deep = 100'000;

// ---------------------------------------------------------------------------------------
// The chain: question "d<k>" splits into "d<k+1>" (the deep one) and "t<k>" (trivial, answered
// "t"), for ever; the depth limit ends it, where H answers "d<k>" with "0". The fan-in adds one
// to the deep subquestion's answer, so the root's answer is the depth at which the chain was
// answered, and it is right only if every level was walked.

std::size_t index_of(std::string_view q) { return static_cast<std::size_t>(std::stoull(std::string(q.substr(1)))); }
Q d(std::size_t k) { return "d" + std::to_string(k); }
Q t(std::size_t k) { return "t" + std::to_string(k); }

/// What H does on the chain, shared by the overseer and by the model that imitates it.
struct chain_rules {
  static A answer(const Q& q) { return q[0] == 'd' ? "0" : "t"; }
  static move_t fan_out(const Q& q) {
    if (q[0] != 'd') return move_t::answer("t");
    const std::size_t k = index_of(q);
    return move_t::split(d(k + 1), t(k));
  }
  /// One more than the answer to the deep subquestion; "?" when that answer is not a number.
  static A fan_in(const A& deep_answer) {
    if (deep_answer.empty() || deep_answer.find_first_not_of("0123456789") != A::npos) return "?";
    return std::to_string(std::stoull(deep_answer) + 1);
  }
};

struct chain_overseer {
  A answer(const Q& q) { return chain_rules::answer(q); }
  move_t fan_out(const Q& q) { return chain_rules::fan_out(q); }
  move_t fan_in(const Q&, const sub_t& s1, const sub_t& s2) {
    return move_t::answer(chain_rules::fan_in(s1.question[0] == 'd' ? s1.answer : s2.answer));
  }
};

/// The scripted model of the other tests (every call logged), except that it knows the
/// chain: it answers as H does, and on the codec's fan-out and fan-in questions makes H's
/// move, so that H′ can defer to it and `unfold` finds ML's own chain. `wrong` is a question
/// it answers wrongly (a fault for the audit to find).
struct chain_model : scripted_model {
  aida::string_codec codec;
  Q wrong;
  std::map<Q, move_t> fan_outs;  ///< moves other than H's, by question

  template <aida::Sampler S>
  A sample(const scripted_output& o, S&) {
    log->add("sample(" + o.question + ")");
    return respond(o.question);
  }
  A greedy(const scripted_output& o) {
    log->add("greedy(" + o.question + ")");
    return respond(o.question);
  }

 private:
  A respond(const Q& q) const {
    if (!q.empty() && q[0] == '^')
      if (const auto it = fan_outs.find(q.substr(1)); it != fan_outs.end()) return codec.encode(it->second);
    if (const auto m = move(q)) return codec.encode(*m);
    return q == wrong ? "wrong" : chain_rules::answer(q);
  }

  /// H's move for a fan-out or fan-in question of the string codec; none for a plain one.
  static std::optional<move_t> move(const Q& coded) {
    if (coded.empty()) return std::nullopt;
    if (coded[0] == '^') return chain_rules::fan_out(coded.substr(1));
    if (coded[0] != '&') return std::nullopt;
    // "&q|sq1=a1|sq2=a2" (the chain's questions and answers need no escapes): the answer to
    // the subquestion that starts with 'd'.
    const std::size_t at = coded.find("|d");
    if (at == Q::npos) return move_t::answer("?");
    const std::size_t eq = coded.find('=', at), end = coded.find('|', at + 1);
    return move_t::answer(chain_rules::fan_in(coded.substr(eq + 1, end == Q::npos ? Q::npos : end - eq - 1)));
  }
};

/// Recurses on the first subquestion only (the chain's deep one); asks for scores all the
/// same, so that step 3 of spec §2 runs at every level.
struct first_only {
  template <aida::Sampler S>
  aida::selection select(double, double, S&) const {
    aida::selection r;
    r.recurse[0] = true;
    return r;
  }
};

struct chain_world {
  call_log log;
  chain_overseer h;
  chain_model ml{{&log, {}, {}, {}, std::log(0.5), {}, false, {}, {}}, {}, {}, {}};
  scripted_adversary adv{&log, {}, 0.0, {}};
  aida::string_codec codec;
};

// ---- amplify ----------------------------------------------------------------------------

// H splits for ever; the node at depth 100,000 is answered by H(Q) (spec §8). Before the
// explicit stack this overflowed the stack.
TEST(DeepTrees, AmplifyWalksAChain100000Deep) {
  chain_world w;
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(d(0), w.h, w.ml, w.adv, w.codec, first_only{}, rng, {.max_depth = deep});

  ASSERT_TRUE(ep.answer);
  EXPECT_EQ(*ep.answer, std::to_string(deep));
  EXPECT_EQ(ep.counts.nodes, deep + 1);
  EXPECT_EQ(ep.nodes.size(), deep + 1);
  EXPECT_EQ(ep.counts.depth_reached, deep);
  EXPECT_EQ(ep.counts.rounds, deep);
  EXPECT_EQ(ep.counts.overseer, (aida::overseer_calls{.answer = 1, .fan_out = deep, .fan_in = deep}));
  EXPECT_EQ(ep.counts.fallbacks, (aida::fallback_counts{.depth_limit = 1}));
  // Targets: a fan-out, a fan-in and an answer per node above the limit; an answer at it.
  EXPECT_EQ(ep.model_targets.size(), 3 * deep + 1);
  EXPECT_EQ(ep.counts.model_calls, w.log.starting_with("ML(").size());
  EXPECT_EQ(ep.counts.adversary_calls, w.log.starting_with("Adv(").size());
  const auto& last = ep.nodes.back();
  EXPECT_EQ(last.question, d(deep));
  EXPECT_EQ(last.depth, deep);
  EXPECT_EQ(last.end, aida::node_end::depth_limit);
  EXPECT_EQ(last.parent, deep - 1);
  // The middle of the chain, as a shallow episode records it.
  const auto& mid = ep.nodes[deep / 2];
  EXPECT_EQ(mid.question, d(deep / 2));
  EXPECT_EQ(mid.answer, std::to_string(deep - deep / 2));
  ASSERT_EQ(mid.round_count, 1u);
  const auto& r = ep.rounds[mid.first_round];
  EXPECT_EQ(r.child[0], deep / 2 + 1);
  EXPECT_EQ(r.answers[1], "t");
  // The calls at the top of the chain, in spec §2's order (as test_amplify pins them for a
  // shallow tree): the recursion on d1 comes before the draw for t0 and the fan-in of d0.
  const std::vector<std::string> head(w.log.calls.begin(), w.log.calls.begin() + 8);
  EXPECT_EQ(head, (std::vector<std::string>{"ML(^d0)", "Adv(^d0)", "ML(d1)", "ML(t0)", "Adv(d1)", "Adv(t0)",
                                            "ML(^d1)", "Adv(^d1)"}));
  EXPECT_EQ(w.log.starting_with("sample(").front(), "sample(" + t(deep - 1) + ")");
}

// The same chain through the primed overseer H′ (spec §4), which defers about two decisions
// in three to the model (noise 0.1 around a threshold of 0, scores 0) and asks H for the rest.
TEST(DeepTrees, AmplifyWithThePrimedOverseerWalksAChain100000Deep) {
  chain_world w;
  auto h_prime = aida::prime(w.h, w.ml, w.adv, w.codec, /*c=*/0.0, /*noise=*/0.1);
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(d(0), h_prime, w.ml, w.adv, w.codec, first_only{}, rng, {.max_depth = deep});

  ASSERT_TRUE(ep.answer);
  EXPECT_EQ(*ep.answer, std::to_string(deep));
  EXPECT_EQ(ep.counts.nodes, deep + 1);
  EXPECT_EQ(ep.counts.depth_reached, deep);
  const aida::overseer_calls all = [&] {
    aida::overseer_calls c = ep.counts.overseer;
    c += ep.counts.deferred;
    return c;
  }();
  EXPECT_EQ(all, (aida::overseer_calls{.answer = 1, .fan_out = deep, .fan_in = deep}));
  // Both kinds of decision at every scale: P(defer) = P(Gumbel ≥ 0) = 1 − 1/e.
  EXPECT_GT(ep.counts.deferred.fan_out, deep / 2);
  EXPECT_GT(ep.counts.overseer.fan_out, deep / 4);
  EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 0u);
}

/// The chain's overseer with moves of its own at some questions, and fan-outs it reports as
/// a model's (as H′ does when it defers to ML).
struct twisted_overseer {
  std::map<Q, move_t> fan_outs;
  std::vector<Q> by_model;
  A answer(const Q& q) { return chain_rules::answer(q); }
  move_t fan_out(const Q& q) {
    const auto it = fan_outs.find(q);
    return it != fan_outs.end() ? it->second : chain_rules::fan_out(q);
  }
  move_t fan_in(const Q& q, const sub_t& s1, const sub_t& s2) { return chain_overseer{}.fan_in(q, s1, s2); }
  template <aida::Sampler R>
  A answer(const Q& q, aida::overseer_context<R>&) { return answer(q); }
  template <aida::Sampler R>
  move_t fan_out(const Q& q, aida::overseer_context<R>& ctx) {
    if (std::find(by_model.begin(), by_model.end(), q) != by_model.end()) ctx.by = aida::producer::model;
    return fan_out(q);
  }
  template <aida::Sampler R>
  move_t fan_in(const Q& q, const sub_t& s1, const sub_t& s2, aida::overseer_context<R>&) { return fan_in(q, s1, s2); }
};

// Spec §8 deep in a chain (where the path's questions are looked up in a hash map, not
// walked): a split that repeats an ancestor 50,000 levels up is the overseer's error, named;
// unless a model's split lies between the two, which makes it the model's malformed move.
TEST(DeepTrees, ARepeatDeepInTheChainIsFoundAndBlamedOnItsMaker) {
  const std::size_t at = deep / 2;
  auto amplify = [&](twisted_overseer& h) {
    chain_world w;
    aida::sampler rng(aida_test::seed());
    return aida::amplify(d(0), h, w.ml, w.adv, w.codec, first_only{}, rng, {.max_depth = deep});
  };
  auto message = [&](twisted_overseer& h) -> std::string {
    try {
      (void)amplify(h);
    } catch (const aida::overseer_error& e) {
      return e.what();
    }
    return "no overseer_error";
  };
  {
    twisted_overseer h{{{d(at), move_t::split(d(at + 1), d(7))}}, {}};
    EXPECT_NE(message(h).find("question \"" + d(at) + "\" into a subquestion that repeats its ancestor \"d7\""),
              std::string::npos)
        << message(h);
  }
  {
    twisted_overseer h{{{d(at), move_t::split(d(at), t(at))}}, {}};
    EXPECT_NE(message(h).find("repeats the question itself"), std::string::npos) << message(h);
  }
  {  // d10's split (d11, t10) is the model's; below it, H's split back into d11 is H's own cycle
    twisted_overseer h{{{d(at), move_t::split(d(at + 1), d(11))}}, {d(10)}};
    EXPECT_NE(message(h).find("its ancestor \"d11\""), std::string::npos) << message(h);
  }
  {  // ... but back into d5, above the model's split, it is the model's doing
    twisted_overseer h{{{d(at), move_t::split(d(at + 1), d(5))}}, {d(10)}};
    const auto ep = amplify(h);
    EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 1u);
    EXPECT_EQ(ep.nodes[at].end, aida::node_end::malformed_move);
    EXPECT_EQ(ep.counts.depth_reached, at);
  }
  {  // ML's own repeat in its unfolded tree is a malformed move, and the chain ends there
    chain_world w;
    w.ml.fan_outs.emplace(d(at), move_t::split(d(at + 1), d(3)));
    aida::sampler rng(aida_test::seed());
    const auto tree = aida::unfold(d(0), w.ml, w.adv, w.codec, deep, rng);
    EXPECT_EQ(tree.counts.fallbacks.malformed_moves, 1u);
    EXPECT_EQ(tree.nodes[at].end, aida::node_end::malformed_move);
    EXPECT_EQ(tree.counts.depth_reached, at);
  }
}

// ---- distill ----------------------------------------------------------------------------

/// ML splits "r" into "a0", "b0", and every fan-in on "ak" into "a(k+1)", "b(k+1)".
struct splitting_model {
  Q predict(const Q& q) { return q; }
  double log_prob(const Q&, const A&) { return -1.0; }
  template <aida::Sampler S>
  A sample(const Q& o, S&) { return greedy(o); }
  A greedy(const Q& o) {
    const aida::string_codec codec;
    if (o == "^r") return codec.encode(move_t::split("a0", "b0"));
    const std::size_t at = o.find("|a");
    if (o[0] != '&' || at == Q::npos) return "=x";
    const std::size_t k = std::stoull(o.substr(at + 2, o.find('=', at) - at - 2));
    return codec.encode(move_t::split("a" + std::to_string(k + 1), "b" + std::to_string(k + 1)));
  }
};

// Distillation records one node whatever ML does (spec §3): 100,000 fan-in rounds are a loop,
// not a recursion. (Not a fix: it never recursed; this pins that it stays so.)
TEST(DeepTrees, DistillRuns100000RoundsAtItsOneNode) {
  splitting_model ml;
  struct {
    double score(const Q&, const Q&) { return 0; }
  } adv;
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::distill(Q("r"), ml, adv, aida::string_codec{}, rng, {.max_rounds = deep});
  EXPECT_EQ(ep.counts.rounds, deep);
  EXPECT_EQ(ep.nodes.size(), 1u);
  EXPECT_EQ(ep.nodes[0].round_count, deep);
  EXPECT_EQ(ep.counts.fallbacks.round_limit, 1u);
  EXPECT_EQ(ep.rounds.back().questions, (aida::Split<Q>{"a" + std::to_string(deep - 1), "b" + std::to_string(deep - 1)}));
}

// ---- unfold and audit ---------------------------------------------------------------------

/// ML's own chain, unfolded to depth 100,000: both subquestions of every round, so 2·100,000 + 1
/// nodes. Before the explicit stack this overflowed the stack.
TEST(DeepTrees, UnfoldWalksAChain100000Deep) {
  chain_world w;
  aida::sampler rng(aida_test::seed());
  const auto tree = aida::unfold(d(0), w.ml, w.adv, w.codec, deep, rng);

  ASSERT_TRUE(tree.answer);
  EXPECT_EQ(*tree.answer, std::to_string(deep));
  EXPECT_EQ(tree.nodes.size(), 2 * deep + 1);
  EXPECT_EQ(tree.counts.depth_reached, deep);
  EXPECT_EQ(tree.counts.rounds, deep);
  EXPECT_EQ(tree.counts.fallbacks, (aida::fallback_counts{.depth_limit = 2}));  // d(deep) and t(deep - 1)
  EXPECT_EQ(tree.scores.size(), tree.nodes.size());
  // Depth first, the deep subquestion first: node k + 1 is d(k + 1), and the t's come after.
  EXPECT_EQ(tree.nodes[deep].question, d(deep));
  EXPECT_EQ(tree.nodes[deep].end, aida::node_end::depth_limit);
  EXPECT_EQ(tree.nodes[deep + 1].question, t(deep - 1));
  EXPECT_EQ(tree.nodes.back().question, t(0));
  EXPECT_EQ(tree.rounds[tree.nodes[0].first_round].child[1], 2 * deep);
}

// The audit of that tree (spec §7): ML answers the deepest question wrongly and every other
// step as H would, so the adversary-guided search goes straight down the chain (ties keep the
// rounds' order: the deep subquestion first) and the breadth-first one checks every node
// above the fault. The combined form unfolds first, like the tree above.
TEST(DeepTrees, AuditFindsAFault100000Deep) {
  chain_world w;
  w.ml.wrong = d(deep);
  aida::sampler rng(aida_test::seed());
  chain_overseer truth;
  aida::overseer_checker checker(truth, w.codec);
  const auto both = aida::audit(d(0), w.ml, w.adv, w.codec, deep, checker, aida::audit_strategy::adversary_guided, rng);
  ASSERT_TRUE(both.result.found());
  EXPECT_EQ(both.tree.nodes[both.result.faulty].question, d(deep));
  EXPECT_EQ(both.result.step, aida::audit_step::answer);
  EXPECT_EQ(both.result.checks, deep + 1);

  const auto breadth = aida::audit(both.tree, checker, aida::audit_strategy::breadth_first, rng);
  ASSERT_TRUE(breadth.found());
  EXPECT_EQ(breadth.faulty, both.result.faulty);
  EXPECT_EQ(breadth.checks, 2 * deep);  // every node but the last t
}

// ---- the record and its exports -----------------------------------------------------------

// The episode is flat (nodes and rounds in vectors, linked by index), so copying and
// destroying a deep one is a loop too; the JSON and DOT exports list its nodes in order.
TEST(DeepTrees, ExportsAndCopiesOfAChain100000Deep) {
  chain_world w;
  aida::sampler rng(aida_test::seed());
  const auto tree = aida::unfold(d(0), w.ml, w.adv, w.codec, deep, rng);
  {
    const auto copy = tree;  // destroyed at the end of the block
    EXPECT_EQ(copy.nodes.size(), tree.nodes.size());
  }
  const std::string json = aida::io::to_json(tree);
  std::size_t ids = 0;
  for (std::size_t at = json.find("\n{\"id\":"); at != std::string::npos; at = json.find("\n{\"id\":", at + 1)) ++ids;
  EXPECT_EQ(ids, tree.nodes.size());
  EXPECT_NE(json.find("\"depth\":100000,"), std::string::npos);

  const std::string dot = aida::io::to_dot(tree);
  std::size_t edges = 0;
  for (std::size_t at = dot.find(" -> n"); at != std::string::npos; at = dot.find(" -> n", at + 1)) ++edges;
  EXPECT_EQ(edges, tree.nodes.size() - 1);
}

// ---------------------------------------------------------------------------------------
// The same calls as the recursion: fingerprints of bushy trees (two-round nodes, every
// fallback of spec §8, H′'s deferrals and malformed moves, sampled unfolds), each a hash of
// every call made to the overseer, model and adversary, in order, with its arguments and
// results, of the whole record, and of the sampler's state after. The values were computed
// with the recursive implementation (before the explicit stack); a change of behaviour on
// purpose must update them.

/// FNV-1a over strings, numbers and doubles (doubles to 9 significant digits, so that a
/// compiler's fused multiply-adds cannot change a fingerprint).
struct fingerprint {
  std::uint64_t h = 1469598103934665603ULL;
  void add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;  // a separator
  }
  void add(std::size_t n) { add(std::string_view(std::to_string(n))); }
  void add(int n) { add(std::string_view(std::to_string(n))); }
  void add(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", x);
    add(std::string_view(buf));
  }
};

/// Digit strings. H splits a question into halves; on a question of three digits or more whose
/// digit sum is odd, the first fan-in asks again, split as its first digit and the rest (so
/// that nodes have two rounds); then it answers the sum of the subanswers. Lengths decrease,
/// so no split repeats an ancestor.
struct rounds_overseer {
  fingerprint* fp;
  static long value(const A& a) {
    if (a.empty() || a.size() > 9 || a.find_first_not_of("0123456789") != A::npos) return 0;
    return std::stol(a);
  }
  static long digit_sum(const Q& q) {
    long v = 0;
    for (char c : q) v += c - '0';
    return v;
  }
  A answer(const Q& q) {
    fp->add("H"), fp->add(q);
    return std::to_string(digit_sum(q));
  }
  move_t fan_out(const Q& q) {
    fp->add("H_fan_out"), fp->add(q);
    if (q.size() < 2) return move_t::answer(q);
    return move_t::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  move_t fan_in(const Q& q, const sub_t& s1, const sub_t& s2) {
    fp->add("H_fan_in"), fp->add(q), fp->add(s1.question), fp->add(s1.answer), fp->add(s2.question),
        fp->add(s2.answer);
    const bool halves = s1.question.size() + s2.question.size() == q.size() && s1.question.size() == q.size() / 2;
    if (halves && q.size() >= 3 && digit_sum(q) % 2 == 1) return move_t::split(q.substr(0, 1), q.substr(1));
    return move_t::answer(std::to_string(value(s1.answer) + value(s2.answer)));
  }
};

/// ML draws from the sampler: on a fan-out question an answer, a malformed string, or the
/// halves split; on a fan-in question an answer or a split into the first digit and the rest
/// (a new round); on a plain one a number.
struct drawing_model {
  fingerprint* fp;
  Q predict(const Q& q) {
    fp->add("ML"), fp->add(q);
    return q;
  }
  double log_prob(const Q& o, const A& a) {
    fp->add("log_prob"), fp->add(o), fp->add(a);
    return -0.05 * static_cast<double>(1 + (o.size() * 7 + a.size()) % 11);
  }
  template <aida::Sampler S>
  A sample(const Q& o, S& rng) {
    const A a = respond(o, rng.next());
    fp->add("sample"), fp->add(o), fp->add(a);
    return a;
  }
  A greedy(const Q& o) {
    const A a = respond(o, 3);
    fp->add("greedy"), fp->add(o), fp->add(a);
    return a;
  }

 private:
  static A respond(const Q& o, std::uint64_t bits) {
    const aida::string_codec codec;
    if (!o.empty() && o[0] == '^') {
      const Q q = o.substr(1);
      switch (bits % 8) {
        case 0: return "=" + std::to_string(bits % 19);
        case 1: return "#garbage";
        default:
          if (q.size() < 2) return "=" + q;
          return codec.encode(move_t::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2)));
      }
    }
    if (!o.empty() && o[0] == '&') {
      const Q q = o.substr(1, o.find('|') - 1);  // digit strings need no escapes
      if (bits % 3 == 0 && q.size() >= 2) return codec.encode(move_t::split(q.substr(0, 1), q.substr(1)));
      return "=" + std::to_string(bits % 37);
    }
    return std::to_string(bits % 19);
  }
};

struct hashing_adversary {
  fingerprint* fp;
  double score(const Q& q, const Q& o) {
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : q) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    const double s = -static_cast<double>(h % 1000) / 400.0;
    fp->add("Adv"), fp->add(q), fp->add(o), fp->add(s);
    return s;
  }
};

void add_move(fingerprint& fp, const std::optional<move_t>& m) {
  if (!m) fp.add("none");
  else if (m->is_answer()) fp.add("answer"), fp.add(m->get_answer());
  else fp.add("split"), fp.add(m->get_split().first()), fp.add(m->get_split().second());
}

template <class Ep>
void add_record(fingerprint& fp, const Ep& ep) {
  fp.add(ep.answer.value_or("<none>"));
  for (const auto& n : ep.nodes) {
    fp.add(n.question), fp.add(n.depth), fp.add(n.parent), add_move(fp, n.fan_out);
    fp.add(int(n.fan_out_by)), fp.add(n.first_round), fp.add(n.round_count);
    fp.add(n.answer.value_or("<none>")), fp.add(int(n.answered_by)), fp.add(int(n.end));
  }
  for (const auto& r : ep.rounds) {
    fp.add(r.questions.first()), fp.add(r.questions.second()), add_move(fp, r.move), fp.add(int(r.move_by));
    fp.add(r.next_round);
    for (int i = 0; i < 2; ++i)
      fp.add(r.answers[i]), fp.add(int(r.answered_by[i])), fp.add(r.scores[i]), fp.add(int(r.recursed[i])),
          fp.add(r.child[i]);
  }
  for (const auto& m : ep.model_targets) fp.add(m.query), fp.add(m.target), fp.add(int(m.kind)), fp.add(m.loss);
  for (const auto& a : ep.adversary_targets)
    fp.add(a.query), fp.add(a.output), fp.add(a.target), fp.add(a.prediction), fp.add(int(a.kind));
  const auto& c = ep.counts;
  for (std::size_t v : {c.overseer.answer, c.overseer.fan_out, c.overseer.fan_in, c.deferred.answer,
                        c.deferred.fan_out, c.deferred.fan_in, c.model_calls, c.adversary_calls, c.depth_reached,
                        c.nodes, c.rounds, c.fallbacks.depth_limit, c.fallbacks.round_limit,
                        c.fallbacks.overseer_budget, c.fallbacks.malformed_moves})
    fp.add(v);
  for (int k = 0; k < 3; ++k) fp.add(ep.losses.ml[k]), fp.add(ep.losses.adv[k]), fp.add(ep.losses.count[k]);
}

struct scenario {
  const char* name;
  std::uint64_t expected;
};

/// Amplification episodes, four seeds each: policies that recurse on one, both or a random
/// subset, each budget of spec §8, and H′.
std::uint64_t amplify_fingerprint(int which) {
  fingerprint fp;
  rounds_overseer h{&fp};
  drawing_model ml{&fp};
  hashing_adversary adv{&fp};
  const aida::string_codec codec;
  const Q question = "9182736450192837465";
  aida::episode_for<aida::string_codec, drawing_model> ep;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    aida::sampler rng(seed * 1000 + static_cast<std::uint64_t>(which));
    switch (which) {
      case 0: aida::amplify_into(ep, question, h, ml, adv, codec, aida::gumbel_argmin{.temperature = 1.0}, rng); break;
      case 1: aida::amplify_into(ep, question, h, ml, adv, codec, aida::recurse_all{}, rng, {.max_depth = 3}); break;
      case 2:
        aida::amplify_into(ep, question, h, ml, adv, codec, aida::bernoulli_coins{}, rng,
                           {.max_depth = 5, .max_rounds = 1, .max_overseer_calls = 20});
        break;
      case 3: {
        auto h_prime = aida::prime(h, ml, adv, codec, /*c=*/-1.0, /*noise=*/0.5);
        aida::amplify_into(ep, question, h_prime, ml, adv, codec, aida::recurse_all{}, rng, {.max_depth = 4});
        break;
      }
      case 4: {
        auto h_prime = aida::prime(h, ml, adv, codec, /*c=*/-1.2, /*noise=*/1.0);
        aida::amplify_into(ep, question, h_prime, ml, adv, codec, aida::gumbel_threshold{}, rng,
                           {.max_rounds = 2, .max_overseer_calls = 12, .greedy_subanswers = true});
        break;
      }
    }
    add_record(fp, ep);
    fp.add(static_cast<std::size_t>(rng.next()));
  }
  return fp.h;
}

/// ML's unfolded trees, eight seeds each: moves drawn (or greedy), with the round and depth
/// limits.
std::uint64_t unfold_fingerprint(int which) {
  fingerprint fp;
  drawing_model ml{&fp};
  hashing_adversary adv{&fp};
  const aida::string_codec codec;
  aida::unfolded_for<aida::string_codec, drawing_model> tree;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    aida::sampler rng(seed * 1000 + static_cast<std::uint64_t>(which));
    aida::unfold_into(tree, Q("91827364501928374"), ml, adv, codec, which == 0 ? 4 : 6, rng,
                      {.max_rounds = which == 0 ? 1u : 2u, .greedy = which == 1});
    add_record(fp, tree);
    for (double s : tree.scores) fp.add(s);
    fp.add(static_cast<std::size_t>(rng.next()));
  }
  return fp.h;
}

TEST(DeepTrees, TheWalkMakesTheRecursionsCallsInItsOrder) {
  const scenario amplify_cases[] = {
      {"gumbel_argmin", 0x9f9d48b2049e074a},
      {"recurse_all, depth limit", 0xa87af958c44f0903},
      {"coins, every budget", 0x76e9b1cdd3d06830},
      {"primed, recurse_all", 0x3c3450f8d0ac0c54},
      {"primed, threshold policy, budgets", 0x372646649c5d9bb}};
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t got = amplify_fingerprint(i);
    EXPECT_EQ(got, amplify_cases[i].expected) << "amplify " << amplify_cases[i].name << ": 0x" << std::hex << got;
  }
  const scenario unfold_cases[] = {{"drawn, 1 round", 0x843d35e1a54a8a00},
                                   {"greedy, 2 rounds", 0xc84396fbd3435d29},
                                   {"drawn, 2 rounds", 0x141216a14619edc8}};
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t got = unfold_fingerprint(i);
    EXPECT_EQ(got, unfold_cases[i].expected) << "unfold " << unfold_cases[i].name << ": 0x" << std::hex << got;
  }
}

}  // namespace
