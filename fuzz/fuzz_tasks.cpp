// Fuzz target: the four task parsers (tasks/: sum, wildcard, assignments, permutation),
// reached through their overseers. For any question string, fan_out and fan_in either work
// or throw an aida::error (no crash, no other exception), and:
// - fan_out throws exactly when well_formed(q) is false;
// - a split (from fan_out, or a new round from fan_in) asks well-formed questions of the
//   task other than q, and the task's codec writes it relative to q and reads it back;
// - for a well-formed q, the overseer's own recursion answer(q) is the ground truth that the
//   task's evaluator holds, and fan_in given the true subanswers round after round ends in it.
//
// Input: byte 0 chooses the task (bits 0-1) and the mode (bit 2); the rest is split at '\n'
// into fields, the first of which is the question q.
// - mode 0: the other fields are answers to the subquestions the overseer asks, two a round
//   (missing ones are the true answers); up to 4 rounds of fan_in.
// - mode 1: fields 2-5 are two arbitrary subanswers (question, answer, question, answer)
//   handed to fan_in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aida/tasks/tasks.hpp"
#include "fuzz_support.hpp"

namespace {

using aida_fuzz::show;
using move = aida::Move<std::string, std::string>;
using subanswer = aida::Subanswer<std::string, std::string>;

template <class Task, class H>
void check_split(const Task& task, const H& h, const std::string& q, const move& m, const char* where) {
  if (!m.is_split()) return;
  const auto& s = m.get_split();
  const std::string what = std::string(task.name()) + " " + where + " of " + show(q);
  for (const std::string& sq : s) {
    AIDA_FUZZ_CHECK(sq != q, what + " asks the question itself again");
    AIDA_FUZZ_CHECK(h.well_formed(sq), what + " asks " + show(sq) + ", not a question of the task");
  }
  const aida::string_codec codec = task.codec();
  const std::string written = codec.encode(q, m);
  const auto back = codec.decode(q, written);
  AIDA_FUZZ_CHECK(back.has_value() && back->is_split() && back->get_split().same_pair(s),
        what + ": the task's codec writes its split as " + show(written) + " and does not read it back");
}

template <class Task>
void run(const Task& task, const std::vector<std::string>& field, bool arbitrary_subanswers) {
  const auto h = task.overseer();
  const std::string& q = field[0];
  const std::string name(task.name());

  move m = move::answer("");
  const bool parsed = aida_fuzz::works_or_aida_error(name + " fan_out", [&] { m = h.fan_out(q); });
  AIDA_FUZZ_CHECK(parsed == h.well_formed(q), name + ": fan_out and well_formed disagree on " + show(q));
  if (!parsed) {
    // fan_in parses the question first, whatever the subanswers.
    const subanswer s1{field[1], field[2]}, s2{field[3], field[4]};
    const bool fan_in_ok = aida_fuzz::works_or_aida_error(name + " fan_in", [&] { (void)h.fan_in(q, s1, s2); });
    AIDA_FUZZ_CHECK(!fan_in_ok, name + ": fan_in accepts " + show(q) + ", which fan_out refuses");
    return;
  }
  check_split(task, h, q, m, "fan_out");

  if (arbitrary_subanswers) {
    const subanswer s1{field[1], field[2]}, s2{field[3], field[4]};
    move r = move::answer("");
    const bool ok = aida_fuzz::works_or_aida_error(name + " fan_in", [&] { r = h.fan_in(q, s1, s2); });
    AIDA_FUZZ_CHECK(ok, name + ": fan_in throws for the well-formed question " + show(q));
    check_split(task, h, q, r, "fan_in");
    return;
  }

  // The truth, by the task's evaluator, and by the overseer's own recursion.
  const auto truth = task.evaluator({q});
  std::string answer;
  AIDA_FUZZ_CHECK(aida_fuzz::works_or_aida_error(name + " answer", [&] { answer = h.answer(q); }),
        name + ": answer throws for the well-formed question " + show(q));
  AIDA_FUZZ_CHECK(truth.label_of(0).matches(answer), name + ": the overseer's own recursion answers " + show(answer) +
                                               " to " + show(q) + ", not the ground truth");

  // Rounds of fan_in, with the input's answers where it has them and the true ones after.
  bool all_true = true;
  std::size_t next = 1;
  for (int round = 0; round < 4 && m.is_split(); ++round) {
    const auto s = m.get_split();
    auto answer_to = [&](const std::string& sq) {
      if (next < field.size() && !field[next].empty()) {
        all_true = false;
        return field[next++];
      }
      ++next;
      std::string truth_of_sq;
      AIDA_FUZZ_CHECK(aida_fuzz::works_or_aida_error(name + " answer", [&] { truth_of_sq = h.answer(sq); }),
            name + ": answer throws for the subquestion " + show(sq) + " of " + show(q));
      return truth_of_sq;
    };
    const subanswer s1{s.first(), answer_to(s.first())};
    const subanswer s2{s.second(), answer_to(s.second())};
    const bool ok = aida_fuzz::works_or_aida_error(name + " fan_in", [&] { m = h.fan_in(q, s1, s2); });
    AIDA_FUZZ_CHECK(ok, name + ": fan_in throws for the well-formed question " + show(q) + " and its own subquestions");
    check_split(task, h, q, m, "fan_in");
  }
  if (all_true && m.is_answer())
    AIDA_FUZZ_CHECK(m.get_answer() == answer, name + ": fan_in with the true subanswers answers " + show(m.get_answer()) +
                                        " to " + show(q) + ", but answer() says " + show(answer));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> field(1);
  for (std::size_t i = 1; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n')
      field.emplace_back();
    else
      field.back() += c;
  }
  if (field.size() < 5) field.resize(5);
  const bool arbitrary = (data[0] & 4) != 0;
  switch (data[0] & 3) {
    case 0: run(aida::tasks::sum_task{}, field, arbitrary); break;
    case 1: run(aida::tasks::wildcard_task{}, field, arbitrary); break;
    case 2: run(aida::tasks::assignments_task{}, field, arbitrary); break;
    default: run(aida::tasks::permutation_task{}, field, arbitrary); break;
  }
  return 0;
}
