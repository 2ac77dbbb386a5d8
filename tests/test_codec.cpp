// aida::string_codec, the transformation of spec §1: round trip of answers and splits, the
// symmetry laws, injectivity of the escaping, and totality of decode (malformed strings give
// std::nullopt, never a crash) over listed edge cases and many random byte strings.
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/error.hpp"
#include "aida/core/sampler.hpp"
#include "aida/core/string_codec.hpp"
#include "support/seed.hpp"

namespace {

using move_t = aida::Move<std::string, std::string>;
using sub_t = aida::Subanswer<std::string, std::string>;
const aida::string_codec codec;

// Strings with every character the format gives a meaning to, and the empty string.
const std::vector<std::string> tricky = {
    "",    "a",  "\\",  "|",     "=",   "^",    "&",   "/",     "\\\\", "||",     "a|b",
    "a=b", "=x", "/a|b", "\\|", "a\\", "^q",   "&q|a=b|c=d",   "x\\=y|z", "  ", std::string(1, '\0'),
};

/// A random string over `alphabet` of length 0..max_len, drawn from the sampler.
std::string random_string(aida::sampler& rng, std::string_view alphabet, std::size_t max_len) {
  std::string s(rng.below(max_len + 1), ' ');
  for (char& c : s) c = alphabet[rng.below(alphabet.size())];
  return s;
}

// ---- round trip ---------------------------------------------------------------------

TEST(CodecRoundTrip, Answers) {
  for (const auto& a : tricky) {
    const std::string encoded = codec.encode(move_t::answer(a));
    const auto decoded = codec.decode(encoded);
    ASSERT_TRUE(decoded) << "answer \"" << a << "\" encoded as \"" << encoded << "\"";
    EXPECT_EQ(*decoded, move_t::answer(a));
  }
}

TEST(CodecRoundTrip, Splits) {
  for (const auto& x : tricky)
    for (const auto& y : tricky) {
      if (x.empty() || y.empty()) continue;  // a subquestion is never empty
      const std::string encoded = codec.encode(move_t::split(x, y));
      const auto decoded = codec.decode(encoded);
      ASSERT_TRUE(decoded) << "split (\"" << x << "\", \"" << y << "\") encoded as \"" << encoded << "\"";
      ASSERT_TRUE(decoded->is_split());
      EXPECT_TRUE(decoded->get_split().same_pair({x, y})) << encoded;
    }
}

// A split with an empty subquestion cannot be told from a malformed one: it does not decode
// (documented in string_codec), so ML can never produce it as a move.
TEST(CodecRoundTrip, EmptySubquestionDoesNotDecode) {
  EXPECT_FALSE(codec.decode(codec.encode(move_t::split("", "b"))));
}

TEST(CodecRoundTrip, RandomStringsOverTheSpecialCharacters) {
  aida::sampler rng(aida_test::seed());
  for (int i = 0; i < 5000; ++i) {
    const std::string a = random_string(rng, "ab\\|=^&/", 8);
    EXPECT_EQ(codec.decode(codec.encode(move_t::answer(a))), move_t::answer(a));
    const std::string x = "x" + random_string(rng, "ab\\|=^&/", 6);
    const std::string y = random_string(rng, "ab\\|=^&/", 6) + "y";
    const auto split = codec.decode(codec.encode(move_t::split(x, y)));
    ASSERT_TRUE(split && split->is_split()) << x << " " << y;
    EXPECT_TRUE(split->get_split().same_pair({x, y}));
  }
}

// ---- symmetry (spec §1) ---------------------------------------------------------------

TEST(CodecSymmetry, SplitEncodingAndFanInQuestionIgnoreTheOrder) {
  aida::sampler rng(aida_test::seed());
  for (int i = 0; i < 3000; ++i) {
    const std::string q = random_string(rng, "qa\\|=", 5);
    const std::string x = random_string(rng, "ab\\|=", 5), y = random_string(rng, "ab\\|=", 5);
    const std::string ax = random_string(rng, "01\\|=", 4), ay = random_string(rng, "01\\|=", 4);
    EXPECT_EQ(codec.encode(move_t::split(x, y)), codec.encode(move_t::split(y, x)));
    EXPECT_EQ(codec.fan_in_question(q, {x, ax}, {y, ay}), codec.fan_in_question(q, {y, ay}, {x, ax}));
  }
}

// Symmetry must not buy collisions: different fan-in queries (up to the order of the two
// subanswers) give different questions, and different splits different encodings. Random
// strings over a small alphabet with the escaped characters make near-collisions frequent.
TEST(CodecSymmetry, FanInQuestionsAndSplitsAreInjectiveUpToOrder) {
  aida::sampler rng(aida_test::seed());
  using key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<std::string, key> fan_in_seen;
  std::map<std::string, std::pair<std::string, std::string>> split_seen;
  for (int i = 0; i < 20000; ++i) {
    const std::string q = random_string(rng, "a\\|=", 3);
    sub_t s1{random_string(rng, "a\\|=", 3), random_string(rng, "a\\|=", 2)};
    sub_t s2{random_string(rng, "a\\|=", 3), random_string(rng, "a\\|=", 2)};
    if (std::tie(s2.question, s2.answer) < std::tie(s1.question, s1.answer)) std::swap(s1, s2);
    const key k{q, s1.question, s1.answer, s2.question, s2.answer};
    const auto [it, fresh] = fan_in_seen.emplace(codec.fan_in_question(q, s1, s2), k);
    ASSERT_TRUE(fresh || it->second == k) << "two fan-in queries give the question " << it->first;

    auto x = s1.question, y = s2.question;
    if (y < x) std::swap(x, y);
    const auto [jt, fresh_split] = split_seen.emplace(codec.encode(move_t::split(x, y)), std::pair{x, y});
    ASSERT_TRUE(fresh_split || (jt->second == std::pair{x, y})) << "two splits encode as " << jt->first;
  }
  EXPECT_GT(fan_in_seen.size(), 1000u);  // the property was tested on many distinct queries
}

TEST(CodecFormat, QuestionsAndMarkers) {
  EXPECT_EQ(codec.fan_out_question("q"), "^q");
  EXPECT_EQ(codec.fan_in_question("q", {"b", "2"}, {"a", "1"}), "&q|a=1|b=2");
  EXPECT_EQ(codec.encode(move_t::split("b", "a")), "/a|b");
  EXPECT_EQ(codec.encode(move_t::answer("x|y")), "=x|y");  // answers are verbatim
  const aida::string_codec other('<', '>');
  EXPECT_EQ(other.fan_out_question("q"), "<q");
  EXPECT_EQ(other.fan_in_question("q", {"a", "1"}, {"b", "2"}), ">q|a=1|b=2");
}

// ---- totality of decode -------------------------------------------------------------

// alphabet() is exactly the characters the codec writes besides its input's: every string it
// writes from inputs over "ab:" and its own characters is over "ab:" + alphabet(), and each
// character of alphabet() is written.
TEST(CodecFormat, AlphabetIsWhatTheCodecWrites) {
  EXPECT_EQ(aida::string_codec{}.alphabet(), "&/=\\^|");
  EXPECT_EQ(aida::string_codec('<', '>').alphabet(), "/<=>\\|");
  EXPECT_EQ(aida::string_codec::with_context(':').alphabet(), "&/:=\\^|");
  aida::sampler rng(aida_test::seed());
  for (const auto& c : {aida::string_codec{}, aida::string_codec('<', '>'), aida::string_codec::with_context(':')}) {
    const std::string alphabet = c.alphabet();
    const std::string input = "ab:";
    std::string seen;
    auto check = [&](const std::string& s) {
      for (char ch : s) {
        const bool written = alphabet.find(ch) != std::string::npos;
        ASSERT_TRUE(written || input.find(ch) != std::string::npos) << "'" << ch << "' in " << s;
        if (written) seen += ch;
      }
    };
    // Inputs may hold the codec's own characters too: answers drawn from a model can, and the
    // codec escapes them.
    const std::string base = input + alphabet;
    for (int i = 0; i < 300; ++i) {
      const std::string q = "a:" + random_string(rng, base, 4), x = "a:" + random_string(rng, base, 3) + "a",
                        y = random_string(rng, base, 4) + "b", ax = random_string(rng, base, 3),
                        ay = random_string(rng, base, 3);
      check(c.fan_out_question(q));
      check(c.fan_in_question(q, {x, ax}, {y, ay}));
      check(c.encode(move_t::answer(ax)));
      check(c.encode(q, move_t::split(x, y)));
    }
    for (char ch : alphabet) EXPECT_NE(seen.find(ch), std::string::npos) << "'" << ch << "' is never written";
  }
}

TEST(CodecMalformed, ListedEdgeCasesDecodeToNullopt) {
  for (const std::string s : {"", "x", "/a", "/|b", "/a|b|c", "/a\\", "/a\\q|b", "/a=b|c", "/", "/|",
                              "/a|", "\\", "|a|b", "^q", "&q|a=1|b=2", "/a|b=", "/a|\\"})
    EXPECT_EQ(codec.decode(s), std::nullopt) << "\"" << s << "\"";
}

TEST(CodecMalformed, WellFormedEdgeCasesDecode) {
  EXPECT_EQ(codec.decode("="), move_t::answer(""));  // the empty answer
  EXPECT_EQ(codec.decode("=/a|b"), move_t::answer("/a|b"));
  EXPECT_EQ(codec.decode("/a\\|b|c"), move_t::split("a|b", "c"));
  EXPECT_EQ(codec.decode("/a\\=b|\\\\"), move_t::split("a=b", "\\"));
  // A non-canonical order still decodes (ML may produce it); the split is the same pair.
  EXPECT_EQ(codec.decode("/b|a"), move_t::split("b", "a"));
}

// Random byte strings (every byte value, and a bias to the format's characters so that the
// parser's branches are all reached): decode returns a move or nullopt and never crashes (a
// throw would terminate: decode is noexcept; the sanitizer build checks memory errors). A
// string that decodes re-encodes to a string that decodes to the same move.
TEST(CodecMalformed, RandomByteStringsNeverCrashAndDecodedMovesAreStable) {
  aida::sampler rng(aida_test::seed());
  int answers = 0, splits = 0, malformed = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string s(rng.below(12), '\0');
    for (char& c : s) {
      const auto r = rng.below(4);
      c = r == 0 ? "=/|\\"[rng.below(4)] : r == 1 ? "ab"[rng.below(2)] : static_cast<char>(rng.below(256));
    }
    if (i % 2 == 0 && !s.empty()) s[0] = "=/"[rng.below(2)];
    const std::optional<move_t> m = codec.decode(s);
    if (!m) {
      ++malformed;
      continue;
    }
    const auto again = codec.decode(codec.encode(*m));
    ASSERT_TRUE(again) << "re-encoding of \"" << s << "\" does not decode";
    if (m->is_answer()) {
      ++answers;
      EXPECT_EQ(codec.encode(*m), s);  // answers are verbatim
      EXPECT_EQ(*again, *m);
    } else {
      ++splits;
      EXPECT_TRUE(again->get_split().same_pair(m->get_split()));
    }
  }
  // Every outcome was exercised.
  EXPECT_GT(answers, 1000);
  EXPECT_GT(splits, 100);
  EXPECT_GT(malformed, 1000);
}

}  // namespace

// ---- shared context (string_codec::with_context) -------------------------------------------

namespace {
const aida::string_codec ctx_codec = aida::string_codec::with_context(':');
}

TEST(CodecContext, SubquestionsSharingTheContextAreWrittenRelative) {
  const std::string q = "ab1ba2:a*";
  const auto m = move_t::split("ab1ba2:ab", "ab1ba2:aa");
  EXPECT_EQ(ctx_codec.encode(q, m), "/:aa|:ab");
  EXPECT_EQ(ctx_codec.fan_in_question(q, sub_t{"ab1ba2:ab", "2"}, sub_t{"ab1ba2:aa", "0"}), "&ab1ba2:a*|:aa=0|:ab=2");
  const auto back = ctx_codec.decode(q, "/:aa|:ab");
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->get_split().same_pair(m.get_split()));
  // Without the question, the relative form cannot be read.
  EXPECT_FALSE(ctx_codec.decode("/:aa|:ab"));
  // The plain pair writes the full form, separators escaped, and reads it back.
  EXPECT_EQ(ctx_codec.encode(m), "/ab1ba2\\:aa|ab1ba2\\:ab");
  const auto full = ctx_codec.decode(ctx_codec.encode(m));
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->get_split().same_pair(m.get_split()));
  // Answers are unchanged, and the codec without a separator writes everything in full.
  EXPECT_EQ(ctx_codec.encode(q, move_t::answer("7")), "=7");
  EXPECT_EQ(codec.encode(q, m), codec.encode(m));
  EXPECT_EQ(codec.context_separator(), '\0');
}

TEST(CodecContext, OtherContextsAndContextFreeQuestionsAreWrittenInFull) {
  const std::string q = "ab1:a*";
  // Another context, an empty context and no context at all: all in full, escaped, so that
  // none reads like the relative ":a" (which is "ab1:a").
  for (const std::string other : {"ba2:a", ":a", "a"}) {
    const auto m = move_t::split("ab1:a", other);
    const auto written = ctx_codec.encode(q, m);
    const auto back = ctx_codec.decode(q, written);
    ASSERT_TRUE(back) << written;
    EXPECT_TRUE(back->get_split().same_pair(m.get_split())) << written;
    EXPECT_NE(ctx_codec.fan_in_question(q, sub_t{"ab1:a", "1"}, sub_t{other, "1"}),
              ctx_codec.fan_in_question(q, sub_t{"ab1:a", "1"}, sub_t{"ab1:a", "1"}));
  }
  // A question without a separator has no context to share.
  EXPECT_EQ(ctx_codec.encode("ab1", move_t::split("ab1:a", "ab1:b")), "/ab1\\:a|ab1\\:b");
}

TEST(CodecContext, MalformedRelativeFormsDoNotDecode) {
  const std::string q = "xy:z";
  for (const std::string a : {"/:|:b", "/a:b|:c", "/::b|:c", "/:b|:c:d", "/:b\\", "/:b|"})
    EXPECT_FALSE(ctx_codec.decode(q, a)) << a;
  EXPECT_FALSE(ctx_codec.decode("nocontext", "/:a|:b"));  // q has no context to restore
  EXPECT_THROW((void)aida::string_codec::with_context('|'), aida::invalid_options);
  EXPECT_THROW((void)aida::string_codec::with_context('^'), aida::invalid_options);
  EXPECT_THROW((void)aida::string_codec::with_context('\0'), aida::invalid_options);
}

// ---- markers ------------------------------------------------------------------------

// The message of the aida::invalid_options that `make` throws ("" if it throws none).
template <class F>
std::string refusal(F&& make) {
  try {
    (void)make();
  } catch (const aida::invalid_options& e) {
    return e.what();
  }
  return {};
}

// Equal markers make a fan-out question and a fan-in question the same string; markers from
// the format's own characters are refused too. Each refusal names the character and its role.
TEST(CodecMarkers, CollidingOrReservedMarkersAreRefusedByName) {
  EXPECT_NE(refusal([] { return aida::string_codec('&', '&'); }).find("markers are both '&'"), std::string::npos);
  EXPECT_NE(refusal([] { return aida::string_codec('^', '^'); }).find("markers are both '^'"), std::string::npos);
  EXPECT_NE(refusal([] { return aida::string_codec('|', '&'); }).find("'|' cannot be the fan-out marker"),
            std::string::npos);
  EXPECT_NE(refusal([] { return aida::string_codec('^', '|'); }).find("'|' cannot be the fan-in marker"),
            std::string::npos);
  for (const char reserved : {'\\', '|', '=', '/'}) {
    EXPECT_FALSE(refusal([&] { return aida::string_codec(reserved, '&'); }).empty()) << reserved;
    EXPECT_FALSE(refusal([&] { return aida::string_codec('^', reserved); }).empty()) << reserved;
    EXPECT_FALSE(refusal([&] { return aida::string_codec::with_context(':', reserved, '&'); }).empty()) << reserved;
  }
  EXPECT_FALSE(refusal([] { return aida::string_codec::with_context(':', '&', '&'); }).empty());
  EXPECT_NE(refusal([] { return aida::string_codec::with_context('<', '<', '>'); }).find("the fan-out marker"),
            std::string::npos);
  // Other markers are fine.
  EXPECT_TRUE(refusal([] { return aida::string_codec('<', '>'); }).empty());
  EXPECT_TRUE(refusal([] { return aida::string_codec('a', 'b'); }).empty());
  EXPECT_TRUE(refusal([] { return aida::string_codec::with_context(':', '<', '>'); }).empty());
}

// Every exception aida throws derives from aida::error (core/error.hpp).
TEST(CodecMarkers, BadSeparatorsAndMarkersAreAidaErrors) {
  EXPECT_THROW((void)aida::string_codec::with_context('|'), aida::error);
  EXPECT_THROW((void)aida::string_codec::with_context('\0'), aida::error);
  EXPECT_THROW((void)aida::string_codec('&', '&'), aida::error);
  try {
    (void)aida::string_codec::with_context('|');
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("'|' cannot be the context separator"), std::string::npos) << e.what();
  }
}

// Random questions and subquestions over the format's characters, with shared, other and no
// contexts: the relative round trip holds, the encoding is symmetric, and fan-in questions
// of different subanswers differ. Random strings decoded relative to q never crash, and a
// decoded move re-encodes to a string that decodes to the same move.
TEST(CodecContext, RandomRoundTripsSymmetryAndTotality) {
  aida::sampler rng(aida_test::seed());
  const std::string_view alphabet = "ab:\\|=^&";
  int relative = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string context = random_string(rng, "ab:", 3);
    const std::string q = context + ":" + random_string(rng, alphabet, 3);
    auto sub = [&] {
      switch (rng.below(3)) {
        case 0: return context + ":" + random_string(rng, "ab|=\\", 3) + "a";
        case 1: return random_string(rng, alphabet, 6) + "b";
        default: return random_string(rng, "ab", 2) + ":" + random_string(rng, alphabet, 3) + "a";
      }
    };
    const std::string x = sub(), y = sub();
    const auto m = move_t::split(x, y);
    const auto written = ctx_codec.encode(q, m);
    if (written.size() > 1 && written[1] == ':') ++relative;
    EXPECT_EQ(written, ctx_codec.encode(q, move_t::split(y, x)));
    const auto back = ctx_codec.decode(q, written);
    ASSERT_TRUE(back) << q << " " << written;
    EXPECT_TRUE(back->get_split().same_pair(m.get_split())) << q << " " << written;
    // Injective: a different subquestion gives a different fan-in question.
    const std::string z = sub();
    if (z != y) {
      EXPECT_NE(ctx_codec.fan_in_question(q, sub_t{x, "1"}, sub_t{y, "1"}),
                ctx_codec.fan_in_question(q, sub_t{x, "1"}, sub_t{z, "1"}))
          << q << " " << x << " " << y << " " << z;
    }
    // Totality on arbitrary strings.
    std::string s = "/" + random_string(rng, alphabet, 10);
    if (const auto d = ctx_codec.decode(q, s)) {
      const auto again = ctx_codec.decode(q, ctx_codec.encode(q, *d));
      ASSERT_TRUE(again) << s;
      if (d->is_split()) {
        EXPECT_TRUE(again->get_split().same_pair(d->get_split())) << s;
      }
    }
  }
  EXPECT_GT(relative, 2000);  // the relative form was exercised
}

