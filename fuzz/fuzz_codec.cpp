// Fuzz target: aida::string_codec (core/string_codec.hpp), plain and with a context
// separator. decode is noexcept and must never crash; and the round-trip laws hold:
// - whatever decodes re-encodes to a string that decodes to the same move (a split's
//   order carries no meaning: compared as a pair), and that string is a fixed point;
// - with a question q: the same for decode(q, ·) and encode(q, ·), and the full form
//   encode(m) decodes to m with or without q;
// - any move with nonempty subquestions, built from the input, encodes and decodes back;
// - a fan-in question does not depend on the order of its subanswers;
// - with a codec that decodes splits of up to aida::max_subquestions, the same for splits of
//   three (x, y, x + y) and fan-in questions of three subanswers.
//
// Input: byte 0 chooses the codec (none, ':', ',' or '#' as context separator; splits of two,
// or of up to aida::max_subquestions); the rest is split at '\n' into q, a (a move string to
// decode), x, y (subquestions of a split move to encode) and r, s (answers for the fan-in
// question).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aida/core/string_codec.hpp"
#include "fuzz_support.hpp"

namespace {

using aida::string_codec;
using move = string_codec::move_type;
using aida_fuzz::show;

bool equivalent(const move& m, const move& n) {
  if (m.is_answer() != n.is_answer()) return false;
  if (m.is_answer()) return m.get_answer() == n.get_answer();
  return m.get_split().same_questions(n.get_split());
}

std::string describe(const move& m) {
  if (m.is_answer()) return "answer " + show(m.get_answer());
  std::string out = "split";
  for (std::size_t i = 0; i < m.get_split().size(); ++i) out += (i == 0 ? " " : " / ") + show(m.get_split()[i]);
  return out;
}

/// decode(encode(m)) is m, and encode(decode(encode(m))) is encode(m); with `q` if given.
void check_round_trip(const string_codec& codec, const std::string* q, const move& m) {
  const std::string e = q != nullptr ? codec.encode(*q, m) : codec.encode(m);
  const std::optional<move> back = q != nullptr ? codec.decode(*q, e) : codec.decode(e);
  const std::string ctx = q != nullptr ? " for question " + show(*q) : std::string(" (full form)");
  AIDA_FUZZ_CHECK(back.has_value(), describe(m) + " encodes to " + show(e) + ", which does not decode" + ctx);
  AIDA_FUZZ_CHECK(equivalent(*back, m), describe(m) + " encodes to " + show(e) + ", which decodes to " + describe(*back) + ctx);
  const std::string again = q != nullptr ? codec.encode(*q, *back) : codec.encode(*back);
  AIDA_FUZZ_CHECK(again == e, show(e) + " decodes and re-encodes to " + show(again) + ctx);
  if (q != nullptr) {
    // The full form is understood with a question too.
    const std::string full = codec.encode(m);
    const auto with_q = codec.decode(*q, full);
    AIDA_FUZZ_CHECK(with_q.has_value() && equivalent(*with_q, m),
          "the full form " + show(full) + " of " + describe(m) + " does not decode to it for question " + show(*q));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const string_codec codecs[] = {
      string_codec{},
      string_codec::with_context(':'),
      string_codec::with_context(','),
      string_codec::with_context('#'),
      string_codec{}.with_max_split(aida::max_subquestions),
      string_codec::with_context(':').with_max_split(aida::max_subquestions),
      string_codec::with_context(',').with_max_split(aida::max_subquestions),
      string_codec::with_context('#').with_max_split(aida::max_subquestions)};
  const string_codec& codec = codecs[data[0] % 8];

  std::vector<std::string> field(6);
  std::size_t k = 0;
  for (std::size_t i = 1; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n' && k + 1 < field.size())
      ++k;
    else
      field[k] += c;
  }
  const std::string& q = field[0];
  const std::string& a = field[1];

  // Whatever decodes round-trips, in full form and relative to q.
  if (const auto m = codec.decode(a)) {
    check_round_trip(codec, nullptr, *m);
    check_round_trip(codec, &q, *m);
  }
  if (const auto m = codec.decode(q, a)) {
    check_round_trip(codec, &q, *m);
    check_round_trip(codec, nullptr, *m);
  }

  // Moves built from the input encode and decode back.
  check_round_trip(codec, nullptr, move::answer(a));
  check_round_trip(codec, &q, move::answer(a));
  if (!field[2].empty() && !field[3].empty()) {
    const move split = move::split(field[2], field[3]);
    check_round_trip(codec, nullptr, split);
    check_round_trip(codec, &q, split);
    if (codec.max_split() >= 3) {
      const move three = move::split({field[2], field[3], field[2] + field[3]});
      check_round_trip(codec, nullptr, three);
      check_round_trip(codec, &q, three);
    }
  }

  // A fan-in question is symmetric in its subanswers.
  const string_codec::subanswer_type s1{field[2], field[4]}, s2{field[3], field[5]};
  AIDA_FUZZ_CHECK(codec.fan_in_question(q, s1, s2) == codec.fan_in_question(q, s2, s1),
        "the fan-in question of " + show(q) + " depends on the order of its subanswers");
  const string_codec::subanswer_type s3{field[2] + field[3], field[4] + field[5]};
  const string_codec::subanswer_type order1[3] = {s1, s2, s3}, order2[3] = {s3, s1, s2};
  AIDA_FUZZ_CHECK(codec.fan_in_question(q, std::span<const string_codec::subanswer_type>(order1)) ==
                      codec.fan_in_question(q, std::span<const string_codec::subanswer_type>(order2)),
        "the fan-in question of " + show(q) + " with three subanswers depends on their order");
  return 0;
}
