// aida::cached_overseer over aida::memory_cache (and store doubles): a hit returns H's earlier
// decision without asking H, is counted as cached (not as an overseer call, not against the
// budget); a warm cache replays an episode with no overseer calls; H′ over the cache counts
// its hits; conflicts keep the first value; a corrupt value is a clear error.
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/overseers/cached.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using calls = aida::overseer_calls;

/// digit_sum_overseer that counts the calls that reach it, by kind.
struct counting_overseer {
  digit_sum_overseer inner;
  calls reached;
  std::optional<std::string> throw_on;
  std::string answer(const std::string& q) {
    fail_if(q);
    ++reached.answer;
    return inner.answer(q);
  }
  move_t fan_out(const std::string& q) {
    fail_if(q);
    ++reached.fan_out;
    return inner.fan_out(q);
  }
  move_t fan_in(const std::string& q, const sub_t& s1, const sub_t& s2) {
    fail_if(q);
    ++reached.fan_in;
    return inner.fan_in(q, s1, s2);
  }
  void fail_if(const std::string& q) const {
    if (throw_on && *throw_on == q) throw user_failure("counting overseer fails on " + q);
  }
};

/// A store whose entries a test can read and change.
struct map_store {
  std::map<std::string, std::string> entries;
  std::optional<std::string> find(const std::string& k) const {
    const auto it = entries.find(k);
    return it == entries.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::string insert(const std::string& k, const std::string& v) { return entries.try_emplace(k, v).first->second; }
  std::string where() const { return "the test's map_store"; }
};

/// Everything about an episode except its counts, as text, to compare two episodes.
template <class Ep>
std::string render(const Ep& ep) {
  std::ostringstream os;
  const auto move = [&](const std::optional<move_t>& m) {
    if (!m) return std::string("-");
    if (m->is_answer()) return "=" + m->get_answer();
    return "/" + m->get_split().first() + "|" + m->get_split().second();
  };
  for (const auto& n : ep.nodes)
    os << n.question << " d" << n.depth << " p" << n.parent << " " << move(n.fan_out) << " by"
       << int(n.fan_out_by) << " -> " << n.answer.value_or("?") << " by" << int(n.answered_by) << " end"
       << int(n.end) << "\n";
  for (const auto& r : ep.rounds)
    os << r.questions.first() << "=" << r.answers[0] << "," << r.questions.second() << "=" << r.answers[1] << " "
       << move(r.move) << " by" << int(r.move_by) << "\n";
  for (const auto& t : ep.model_targets) os << t.query << " -> " << t.target << " k" << int(t.kind) << " " << t.loss << "\n";
  return os.str();
}

// ---- plain calls ----------------------------------------------------------------------

// The first call of each kind reaches H, the same call again is a hit with the same
// decision (an answer, a split, a fan-in answer); hits and misses equal the hand count.
TEST(CachedOverseer, PlainCallsHitAfterTheFirstAndCountHitsAndMisses) {
  counting_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);

  EXPECT_EQ(cache.answer(std::string("123")), "6");
  EXPECT_EQ(cache.answer(std::string("123")), "6");
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("12", "34"));
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("12", "34"));
  EXPECT_EQ(cache.fan_out(std::string("7")), move_t::answer("7"));
  EXPECT_EQ(cache.fan_out(std::string("7")), move_t::answer("7"));
  const sub_t a{"12", "3"}, b{"34", "7"};
  EXPECT_EQ(cache.fan_in(std::string("1234"), a, b), move_t::answer("10"));
  EXPECT_EQ(cache.fan_in(std::string("1234"), a, b), move_t::answer("10"));
  // The subanswers in the other order are another key: H is asked.
  EXPECT_EQ(cache.fan_in(std::string("1234"), b, a), move_t::answer("10"));
  // The same question asked as an answer, a fan-out and a fan-in are three keys.
  EXPECT_EQ(cache.answer(std::string("1234")), "10");

  EXPECT_EQ(h.reached, (calls{.answer = 2, .fan_out = 2, .fan_in = 2}));
  EXPECT_EQ(cache.usage().misses, h.reached);
  EXPECT_EQ(cache.usage().hits, (calls{.answer = 1, .fan_out = 2, .fan_in = 1}));
  EXPECT_EQ(cache.usage().passed, calls{});
  EXPECT_EQ(cache.usage().conflicts, 0u);
  EXPECT_EQ(store.size(), 6u);
}

// Keys are length-prefixed: two fan-in calls whose parts concatenate to the same text are
// two entries, not one (a naive concatenation would make the second a wrong hit).
TEST(CachedOverseer, KeysOfDifferentCallsNeverCoincide) {
  counting_overseer h;
  map_store store;
  aida::cached_overseer cache(h, store);
  (void)cache.fan_in(std::string("1"), sub_t{"12", "3"}, sub_t{"4", "5"});
  (void)cache.fan_in(std::string("1"), sub_t{"1", "23"}, sub_t{"4", "5"});
  (void)cache.fan_in(std::string("11"), sub_t{"2", "3"}, sub_t{"4", "5"});
  (void)cache.fan_out(std::string(""));
  (void)cache.fan_out(std::string("0:"));
  EXPECT_EQ(h.reached.fan_in, 3u);
  EXPECT_EQ(h.reached.fan_out, 2u);
  EXPECT_EQ(cache.usage().hits, calls{});
  EXPECT_EQ(store.entries.size(), 5u);
}

// Questions and answers that are numbers go through plain_text; a hit reads them back.
TEST(CachedOverseer, NumbersAreWrittenAndReadBack) {
  struct int_overseer {
    int calls = 0;
    double answer(const int& q) { return ++calls, q / 4.0; }
    aida::Move<int, double> fan_out(const int& q) {
      ++calls;
      return q > 1 ? aida::Move<int, double>::split(q / 2, q - q / 2) : aida::Move<int, double>::answer(0.1 * q);
    }
    aida::Move<int, double> fan_in(const int&, const aida::Subanswer<int, double>& s1, const aida::Subanswer<int, double>& s2) {
      ++calls;
      return aida::Move<int, double>::answer(s1.answer + s2.answer);
    }
  } h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(cache.answer(-7), -1.75);
    EXPECT_EQ(cache.fan_out(9), (aida::Move<int, double>::split(4, 5)));
    EXPECT_EQ(cache.fan_out(1), (aida::Move<int, double>::answer(0.1)));  // shortest exact form
    EXPECT_EQ(cache.fan_in(9, aida::Subanswer<int, double>{4, 0.1}, aida::Subanswer<int, double>{5, 0.2}),
              (aida::Move<int, double>::answer(0.1 + 0.2)));
  }
  EXPECT_EQ(h.calls, 4);
  EXPECT_EQ(cache.usage().hits.total(), 4u);
}

// An exception of H stores and counts nothing; the next call asks H again.
TEST(CachedOverseer, AnOverseerThatThrowsLeavesNothingStored) {
  counting_overseer h;
  h.throw_on = "12";
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  EXPECT_THROW((void)cache.fan_out(std::string("12")), user_failure);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(cache.usage(), aida::cache_usage{});
  h.throw_on.reset();
  EXPECT_EQ(cache.fan_out(std::string("12")), move_t::split("1", "2"));
  EXPECT_EQ(cache.usage().misses.fan_out, 1u);
}

// Another writer stored a different decision between the lookup and the store (another
// process, or a non-deterministic H): the first value is kept, returned and counted.
TEST(CachedOverseer, AConflictKeepsTheFirstValueAndIsCounted) {
  struct racing_store : map_store {
    std::string racer_value;
    std::optional<std::string> find(const std::string&) const { return std::nullopt; }  // always too late
    std::string insert(const std::string& k, const std::string& v) {
      entries.try_emplace(k, racer_value);  // the other writer got there first
      return map_store::insert(k, v);
    }
  };
  counting_overseer h;
  racing_store store;
  store.racer_value = "s1:92:34";  // the split "9" | "34", written by the other writer
  aida::cached_overseer cache(h, store);
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("9", "34"));
  EXPECT_EQ(cache.usage().conflicts, 1u);
  EXPECT_EQ(cache.usage().misses.fan_out, 1u);
  EXPECT_EQ(h.reached.fan_out, 1u);
  // The same value is not a conflict.
  store.entries.clear();
  store.racer_value = "s2:122:34";
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("12", "34"));
  EXPECT_EQ(cache.usage().conflicts, 1u);
}

// Splits of k subquestions are stored and read back whole, fan-ins of k subanswers have
// their own keys (order included, as for two), and a fan-in of two keeps the key it had.
TEST(CachedOverseer, SplitsAndFanInsOfMoreThanTwoAreStoredWhole) {
  aida::tasks::sum_overseer h(3);
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  const auto m = cache.fan_out(std::string("123456"));
  ASSERT_TRUE(m.is_split());
  EXPECT_EQ(m.get_split(), (aida::Split<std::string>{"12", "34", "56"}));
  EXPECT_EQ(cache.fan_out(std::string("123456")), m);
  const sub_t subs[3] = {{"12", "3"}, {"34", "7"}, {"56", "11"}};
  const auto a = cache.fan_in(std::string("123456"), std::span<const sub_t>(subs));
  EXPECT_EQ(a, move_t::answer("21"));
  EXPECT_EQ(cache.fan_in(std::string("123456"), std::span<const sub_t>(subs)), a);
  EXPECT_EQ(cache.usage().hits, (calls{.answer = 0, .fan_out = 1, .fan_in = 1}));
  EXPECT_EQ(cache.usage().misses, (calls{.answer = 0, .fan_out = 1, .fan_in = 1}));
  // The binary form and the span of two make one key.
  aida::tasks::sum_overseer h2;
  aida::memory_cache store2;
  aida::cached_overseer cache2(h2, store2);
  (void)cache2.fan_in(std::string("1234"), sub_t{"12", "3"}, sub_t{"34", "7"});
  const sub_t two[2] = {{"12", "3"}, {"34", "7"}};
  (void)cache2.fan_in(std::string("1234"), std::span<const sub_t>(two));
  EXPECT_EQ(cache2.usage().hits.fan_in, 1u);
  EXPECT_EQ(store2.size(), 1u);
}

/// Whether the cached overseer `C` has forget members (its store has erase(key)).
template <class C>
constexpr bool can_forget = requires(C& c, const std::string& q) {
  c.forget_answer(q);
  c.forget_fan_out(q);
};

/// counting_overseer that gets every decision wrong while `wrong` is set.
struct erring_overseer {
  counting_overseer h;
  bool wrong = true;
  std::string answer(const std::string& q) { return wrong ? "wrong" : h.answer(q); }
  move_t fan_out(const std::string& q) { return wrong ? move_t::answer("wrong") : h.fan_out(q); }
  move_t fan_in(const std::string& q, const sub_t& s1, const sub_t& s2) {
    return wrong ? move_t::answer("wrong") : h.fan_in(q, s1, s2);
  }
};

// A wrong decision of H is repeated from the store until it is forgotten; then H is asked
// again and its new decision stored. Forgetting what was never stored says so; the other
// entries stay. A store without erase(key) has no forget members.
TEST(CachedOverseer, AForgottenDecisionIsAskedOfHAgain) {
  erring_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  const sub_t a{"12", "3"}, b{"34", "7"};
  EXPECT_EQ(cache.answer(std::string("123")), "wrong");
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::answer("wrong"));
  EXPECT_EQ(cache.fan_in(std::string("1234"), a, b), move_t::answer("wrong"));
  EXPECT_EQ(cache.answer(std::string("55")), "wrong");
  h.wrong = false;  // H would now decide right, but the store answers
  EXPECT_EQ(cache.answer(std::string("123")), "wrong");
  EXPECT_EQ(cache.fan_in(std::string("1234"), a, b), move_t::answer("wrong"));
  EXPECT_EQ(h.h.reached, calls{});

  EXPECT_TRUE(cache.forget_answer(std::string("123")));
  EXPECT_TRUE(cache.forget_fan_out(std::string("1234")));
  EXPECT_TRUE(cache.forget_fan_in(std::string("1234"), a, b));
  EXPECT_FALSE(cache.forget_answer(std::string("123")));                 // already forgotten
  EXPECT_FALSE(cache.forget_fan_in(std::string("1234"), b, a));          // never stored (order)
  EXPECT_FALSE(cache.forget_answer(std::string("1234")));                // a fan-out's question
  EXPECT_EQ(store.size(), 1u);                                           // "55" stays
  EXPECT_EQ(cache.answer(std::string("123")), "6");
  EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("12", "34"));
  const sub_t both[2] = {a, b};
  EXPECT_EQ(cache.fan_in(std::string("1234"), std::span<const sub_t>(both)), move_t::answer("10"));
  EXPECT_EQ(cache.answer(std::string("123")), "6");                      // stored again
  EXPECT_EQ(cache.answer(std::string("55")), "wrong");                   // not forgotten
  EXPECT_EQ(h.h.reached, (calls{.answer = 1, .fan_out = 1, .fan_in = 1}));

  static_assert(can_forget<aida::cached_overseer<erring_overseer, aida::memory_cache>>);
  static_assert(!can_forget<aida::cached_overseer<erring_overseer, map_store>>);
}

// A stored value that does not read back is a cache_error naming the store, the kind of
// decision and the question; nothing is counted.
TEST(CachedOverseer, ACorruptValueIsAClearError) {
  counting_overseer h;
  map_store store;
  aida::cached_overseer cache(h, store);
  (void)cache.fan_out(std::string("1234"));
  (void)cache.answer(std::string("55"));
  ASSERT_EQ(store.entries.size(), 2u);
  const auto expect_error = [&](const std::string& value, const std::string& why) {
    for (auto& [k, v] : store.entries) v = value;
    const aida::cache_usage before = cache.usage();
    try {
      (void)cache.fan_out(std::string("1234"));
      ADD_FAILURE() << "no error for " << value;
    } catch (const aida::cache_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("the test's map_store"), std::string::npos) << msg;
      EXPECT_NE(msg.find("fan-out move for question \"1234\""), std::string::npos) << msg;
      EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
    EXPECT_EQ(cache.usage(), before);
  };
  expect_error("", "does not start with 'a' (answer) or 's' (split)");
  expect_error("x2:12", "does not start with");
  expect_error("a5:12", "'<length>:<text>'");
  expect_error("s2:12", "a split has fewer than two subquestions");
  expect_error("s1:11:21:3x", "'<length>:<text>'");
  expect_error("s1:11:21:31:41:51:61:71:81:9", "text after the last field");  // nine: past aida::max_subquestions
  expect_error("a2:12junk", "text after the last field");
  expect_error("a02:12", "'<length>:<text>'");
  // An answer key holding a split.
  store.entries.clear();
  (void)cache.answer(std::string("55"));
  store.entries.begin()->second = "s1:51:5";
  EXPECT_THROW((void)cache.answer(std::string("55")), aida::cache_error);
  // A number that is not one: plain_text's error, wrapped.
  struct int_overseer {
    int answer(const int& q) { return q; }
    aida::Move<int, int> fan_out(const int& q) { return aida::Move<int, int>::answer(q); }
    aida::Move<int, int> fan_in(const int& q, const aida::Subanswer<int, int>&, const aida::Subanswer<int, int>&) {
      return aida::Move<int, int>::answer(q);
    }
  } hi;
  map_store istore;
  aida::cached_overseer icache(hi, istore);
  (void)icache.answer(3);
  istore.entries.begin()->second = "a3:abc";
  try {
    (void)icache.answer(3);
    ADD_FAILURE() << "no error";
  } catch (const aida::cache_error& e) {
    EXPECT_NE(std::string(e.what()).find("'abc' is not an integer"), std::string::npos) << e.what();
  }
}

// ---- inside amplify -------------------------------------------------------------------

// A first episode asks H once per distinct decision (the digit "1" appears twice in the
// question, so its second fan-out is already a hit); a second episode over the same question
// with the same seed asks H nothing, and is the same episode, with every decision cached.
TEST(CachedOverseer, ASecondAmplifyOfTheSameQuestionMakesNoOverseerCalls) {
  counting_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  const std::string q = "31415926";  // 15 nodes, 14 distinct questions, 7 fan-ins

  aida::sampler r1(aida_test::seed());
  const auto e1 = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, r1);
  EXPECT_EQ(*e1.answer, "31");
  EXPECT_EQ(e1.counts.overseer, (calls{.answer = 0, .fan_out = 14, .fan_in = 7}));
  EXPECT_EQ(e1.counts.cached, (calls{.answer = 0, .fan_out = 1, .fan_in = 0}));
  EXPECT_EQ(h.reached, e1.counts.overseer);

  aida::sampler r2(aida_test::seed());
  const auto e2 = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, r2);
  EXPECT_EQ(h.reached, e1.counts.overseer);  // H was not asked again
  EXPECT_EQ(e2.counts.overseer, calls{});
  EXPECT_EQ(e2.counts.cached, (calls{.answer = 0, .fan_out = 15, .fan_in = 7}));
  EXPECT_EQ(render(e2), render(e1));
  EXPECT_EQ(r2, r1);
  EXPECT_EQ(e2.counts.model_calls, e1.counts.model_calls);
  // usage() counts every call through the cache, episodes included.
  EXPECT_EQ(cache.usage().misses, e1.counts.overseer);
  EXPECT_EQ(cache.usage().hits, (calls{.answer = 0, .fan_out = 16, .fan_in = 7}));
}

// Hits are not counted against max_overseer_calls: with a warm cache, a budget of one call
// is never reached and the episode is the unlimited one; the cold run hits the budget.
TEST(CachedOverseer, HitsDoNotConsumeTheOverseerBudget) {
  counting_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  const std::string q = "27182818";
  aida::amplify_options tight;
  tight.max_overseer_calls = 1;

  aida::sampler cold_rng(aida_test::seed());
  const auto cold = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, cold_rng, tight);
  EXPECT_GT(cold.counts.fallbacks.overseer_budget, 0u);
  EXPECT_EQ(cold.counts.overseer.total(), 1u);

  aida::sampler full_rng(aida_test::seed());
  const auto full = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, full_rng);  // warms the cache
  EXPECT_EQ(full.counts.fallbacks.overseer_budget, 0u);

  aida::sampler warm_rng(aida_test::seed());
  const auto warm = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, warm_rng, tight);
  EXPECT_EQ(warm.counts.fallbacks.overseer_budget, 0u);
  EXPECT_EQ(warm.counts.overseer.total(), 0u);
  EXPECT_EQ(warm.counts.cached.total(), full.counts.overseer.total() + full.counts.cached.total());
  EXPECT_EQ(render(warm), render(full));
  EXPECT_EQ(*warm.answer, "37");
}

// ---- H′ over the cache ------------------------------------------------------------------

// H′ = prime(cached H, ...) consults the cache where it would consult H: its plain calls
// count the cache's hits in usage().cached, and in amplify the episode counts them as cached.
TEST(CachedOverseer, PrimedOverTheCacheCountsHits) {
  counting_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  random_model ml;
  hash_adversary adv;  // scores in (-4, 0]: threshold 1 without noise consults H everywhere
  aida::string_codec codec;
  auto primed = aida::prime(cache, ml, adv, codec, /*c=*/1.0, /*noise=*/0.0);

  EXPECT_EQ(primed.answer(std::string("123")), "6");
  EXPECT_EQ(primed.answer(std::string("123")), "6");
  EXPECT_EQ(primed.fan_out(std::string("1234")), move_t::split("12", "34"));
  EXPECT_EQ(primed.fan_out(std::string("1234")), move_t::split("12", "34"));
  EXPECT_EQ(primed.usage().overseer, (calls{.answer = 1, .fan_out = 1, .fan_in = 0}));
  EXPECT_EQ(primed.usage().cached, (calls{.answer = 1, .fan_out = 1, .fan_in = 0}));
  EXPECT_EQ(primed.usage().deferred, calls{});

  const std::string q = "31415926";
  aida::sampler r1(aida_test::seed());
  const auto e1 = aida::amplify(q, primed, ml, adv, codec, aida::recurse_all{}, r1);
  EXPECT_EQ(e1.counts.overseer, (calls{.answer = 0, .fan_out = 14, .fan_in = 7}));
  EXPECT_EQ(e1.counts.cached.fan_out, 1u);
  aida::sampler r2(aida_test::seed());
  const auto e2 = aida::amplify(q, primed, ml, adv, codec, aida::recurse_all{}, r2);
  EXPECT_EQ(e2.counts.overseer, calls{});
  EXPECT_EQ(e2.counts.cached, (calls{.answer = 0, .fan_out = 15, .fan_in = 7}));
  EXPECT_EQ(render(e2), render(e1));
  EXPECT_EQ(h.reached, (calls{.answer = 1, .fan_out = 15, .fan_in = 7}));
}

// H′ with noise over the cache: some decisions defer to ML, and a hit is counted as cached
// exactly where H′ consulted H and the cache held the decision; the three tallies add up to
// every decision of the tree.
TEST(CachedOverseer, PrimedWithDeferralsOverTheCacheSplitsItsCountsThreeWays) {
  counting_overseer h;
  aida::memory_cache store;
  aida::cached_overseer cache(h, store);
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  auto primed = aida::prime(cache, ml, adv, codec, -1.0, 1.0);
  aida::sampler rng(aida_test::seed());
  calls overseer, cached, deferred;
  for (int rep = 0; rep < 3; ++rep)
    for (const char* q : {"12345678", "8765", "99887766", "1029"}) {
      const auto ep = aida::amplify(std::string(q), primed, ml, adv, codec, aida::recurse_all{}, rng);
      std::size_t decisions = 0;
      for (const auto& n : ep.nodes) decisions += n.fan_out.has_value();
      for (const auto& r : ep.rounds) decisions += r.move.has_value();
      EXPECT_EQ(ep.counts.overseer.total() + ep.counts.cached.total() + ep.counts.deferred.total(), decisions);
      overseer += ep.counts.overseer, cached += ep.counts.cached, deferred += ep.counts.deferred;
    }
  EXPECT_EQ(h.reached, overseer);
  EXPECT_EQ(cache.usage().misses, overseer);
  EXPECT_EQ(cache.usage().hits, cached);
  EXPECT_GT(cached.total(), 0u);
  EXPECT_GT(deferred.total(), 0u);
}

// A cache over H′ (which the docs say not to do) at least stores none of H′'s deferrals:
// they come back with ctx.by = producer::model and are counted as passed.
TEST(CachedOverseer, OverAPrimedOverseerDeferralsAreNotStored) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  auto primed = aida::prime(h, ml, adv, codec, /*c=*/-100.0, /*noise=*/0.0);  // always defers
  aida::memory_cache store;
  aida::cached_overseer cache(primed, store);
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(std::string("1234"), cache, ml, adv, codec, aida::recurse_all{}, rng);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(cache.usage().passed.total(), ep.counts.deferred.total());
  EXPECT_GT(ep.counts.deferred.total(), 0u);
  EXPECT_EQ(ep.counts.cached, calls{});
}

}  // namespace
