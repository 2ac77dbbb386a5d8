#pragma once
// Test doubles shared by aida's tests.
//
// - `archetype::*`: a minimal model of every concept, with types of its own (not strings),
//   providing exactly what the concept asks and nothing more, so that instantiating the
//   procedures with them shows the procedures ask for nothing the concepts do not state.
// - Scripted doubles for string questions: an overseer, a model and an adversary whose
//   behaviour is set per question by the test and which write every call, in order, to one
//   shared `call_log`, so that a test can assert the exact call sequence of spec §2–§4.
// - `digit_sum_overseer`: a small algorithmic overseer (sum of a digit string, split in
//   halves) for tests that need a real tree.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/aida.hpp"

namespace aida {
// Readable failure messages for moves (found by GoogleTest through ADL).
inline void PrintTo(const Move<std::string, std::string>& m, std::ostream* os) {
  if (m.is_answer()) *os << "answer(\"" << m.get_answer() << "\")";
  else {
    *os << "split(";
    for (std::size_t i = 0; i < m.get_split().size(); ++i) *os << (i > 0 ? ", \"" : "\"") << m.get_split()[i] << '"';
    *os << ')';
  }
}
}  // namespace aida

namespace aida_test {

// =======================================================================================
// Archetypes: minimal models of each concept.

namespace archetype {

/// A question: regular (what the Codec concept requires of questions), nothing more.
struct question {
  int id = 0;
  friend bool operator==(const question&, const question&) = default;
};

/// An answer (a "reply"): semiregular, deliberately not equality comparable (the concepts do not ask it).
struct reply {
  int value = 0;
};

/// A model output: copyable, deliberately not default constructible.
struct output {
  explicit output(int i) : id(i) {}
  int id;
};

/// Sampler: next, uniform, gumbel, split; copyable. (A 64-bit LCG: good enough to run.)
struct rng {
  std::uint64_t state = 1;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double gumbel() { return -std::log(-std::log(uniform() + 0x1.0p-54)); }
  rng split() { return rng{next()}; }
};

/// Codec: plain questions have small non-negative ids; fan-out and fan-in questions are
/// shifted out of their range; answers >= 0 are answer moves, negative ones encode splits.
struct codec {
  using question_type = question;
  using answer_type = reply;
  question fan_out_question(const question& q) const { return {100000 + q.id}; }
  question fan_in_question(const question& q, const aida::Subanswer<question, reply>&,
                           const aida::Subanswer<question, reply>&) const {
    return {200000 + q.id};  // ignores the subanswers: symmetric by construction
  }
  reply encode(const aida::Move<question, reply>& m) const {
    if (m.is_answer()) return m.get_answer();
    const int a = m.get_split().first().id, b = m.get_split().second().id;
    return {-(1 + std::min(a, b) * 1000 + std::max(a, b))};
  }
  std::optional<aida::Move<question, reply>> decode(const reply& a) const {
    if (a.value >= 0) return aida::Move<question, reply>::answer(a);
    const int v = -a.value - 1;
    return aida::Move<question, reply>::split(question{v / 1000}, question{v % 1000});
  }
};

/// Overseer: answers questions 0 and 1, splits n into n−1 and n−2, adds in the fan-in.
struct overseer {
  reply answer(const question& q) { return {q.id}; }
  aida::Move<question, reply> fan_out(const question& q) {
    if (q.id < 2) return aida::Move<question, reply>::answer({1});
    return aida::Move<question, reply>::split(question{q.id - 1}, question{q.id - 2});
  }
  aida::Move<question, reply> fan_in(const question&, const aida::Subanswer<question, reply>& s1,
                                     const aida::Subanswer<question, reply>& s2) {
    return aida::Move<question, reply>::answer({s1.answer.value + s2.answer.value});
  }
};

/// Model: output = the question's id; every answer has log-probability −1 (a "model" that
/// is not a normalised distribution, which is all the procedures may assume); draws 0 or 1.
struct model {
  output predict(const question& q) { return output(q.id); }
  double log_prob(const output&, const reply&) { return -1.0; }
  reply sample(const output&, rng& s) { return {static_cast<int>(s.next() >> 63)}; }
  reply greedy(const output&) { return {0}; }
};

/// TrainableModel: a Model with `train_step`.
struct trainable_model : model {
  double train_step(std::span<const aida::model_target<question, reply>> batch) {
    return batch.empty() ? 0.0 : 1.0;
  }
};

/// Adversary: a score from the output alone.
struct adversary {
  double score(const question&, const output& o) { return -static_cast<double>(o.id % 3); }
};

/// TrainableAdversary: an Adversary with `train_step`.
struct trainable_adversary : adversary {
  double train_step(std::span<const aida::adversary_target<question, output>> batch) {
    return batch.empty() ? 0.0 : 1.0;
  }
};

/// RecursionPolicy: the lower score, without noise.
struct policy {
  aida::selection select(double s1, double s2, rng&) const {
    aida::selection r;
    r.recurse[s2 < s1 ? 1 : 0] = true;
    return r;
  }
};

/// QuestionSource: questions 0..4.
struct source {
  question next(rng& s) { return {static_cast<int>(s.next() >> 61) % 5}; }
};

}  // namespace archetype

// =======================================================================================
// Scripted doubles for string questions and answers (with aida::string_codec).

using Q = std::string;
using A = std::string;
using move_t = aida::Move<Q, A>;
using sub_t = aida::Subanswer<Q, A>;

/// Every call made to the scripted doubles of one test, in order, as readable strings:
/// `H(q)`, `H_fan_out(q)`, `H_fan_in(q|sq1=a1|sq2=a2)`, `ML(q)` (predict), `sample(q)`,
/// `greedy(q)`, `Adv(q)`.
struct call_log {
  std::vector<std::string> calls;
  void add(std::string s) { calls.push_back(std::move(s)); }
  /// The calls whose text starts with `prefix`.
  [[nodiscard]] std::vector<std::string> starting_with(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (std::string_view(c).substr(0, prefix.size()) == prefix) out.push_back(c);
    return out;
  }
  /// Calls that reached the overseer H (of any kind).
  [[nodiscard]] std::size_t overseer_calls() const { return starting_with("H").size(); }
};

/// The exception the doubles throw when told to: not an aida::error, so a test sees that
/// it comes out of the procedures unchanged.
struct user_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An overseer scripted per question that records every call.
struct scripted_overseer {
  call_log* log;
  std::map<Q, A> answers;                  ///< H(q); default "h:" + q
  std::map<Q, std::optional<move_t>> fan_outs;  ///< H_fan_out(q); default the answer "h:" + q
  std::map<Q, std::vector<move_t>> fan_ins;///< H_fan_in(q, ...) per round; the last repeats;
                                           ///< default the answer a1 + "+" + a2
  std::optional<Q> throw_on;               ///< every call about this question throws

  A answer(const Q& q) {
    log->add("H(" + q + ")");
    fail_if(q);
    const auto it = answers.find(q);
    return it != answers.end() ? it->second : "h:" + q;
  }
  move_t fan_out(const Q& q) {
    log->add("H_fan_out(" + q + ")");
    fail_if(q);
    const auto it = fan_outs.find(q);
    return it != fan_outs.end() && it->second ? *it->second : move_t::answer("h:" + q);
  }
  move_t fan_in(const Q& q, const sub_t& s1, const sub_t& s2) {
    log->add("H_fan_in(" + q + "|" + s1.question + "=" + s1.answer + "|" + s2.question + "=" +
             s2.answer + ")");
    fail_if(q);
    const std::size_t round = rounds_seen[q]++;
    const auto it = fan_ins.find(q);
    if (it == fan_ins.end() || it->second.empty()) return move_t::answer(s1.answer + "+" + s2.answer);
    return it->second[std::min(round, it->second.size() - 1)];
  }

  std::map<Q, std::size_t> rounds_seen;

 private:
  void fail_if(const Q& q) const {
    if (throw_on && *throw_on == q) throw user_failure("scripted overseer fails on " + q);
  }
};

/// The scripted model's output: it remembers the question it was predicted for, so that
/// `sample`, `greedy` and `log_prob` are scripted per question and the adversary can check
/// that it receives ML's output for the question it scores.
struct scripted_output {
  Q question;
  friend bool operator==(const scripted_output&, const scripted_output&) = default;
};

/// A model scripted per question that records every predict, sample and greedy call.
struct scripted_model {
  call_log* log;
  std::map<Q, std::vector<A>> draws;  ///< what sample() returns, in order; the last repeats;
                                      ///< default "ml:" + q
  std::map<Q, A> greedy_answers;      ///< default "greedy:" + q
  std::map<std::pair<Q, A>, double> log_probs;  ///< log ML(a | q); default `default_log_prob`
  double default_log_prob = std::log(0.5);
  std::optional<Q> throw_on;          ///< predict() of this question throws
  bool consume_sampler = false;       ///< sample() advances the sampler by one draw
  std::optional<Q> throw_on_sample;   ///< sample() for this question throws

  scripted_output predict(const Q& q) {
    log->add("ML(" + q + ")");
    if (throw_on && *throw_on == q) throw user_failure("scripted model fails on " + q);
    return {q};
  }
  double log_prob(const scripted_output& o, const A& a) {
    const auto it = log_probs.find({o.question, a});
    return it != log_probs.end() ? it->second : default_log_prob;
  }
  template <aida::Sampler S>
  A sample(const scripted_output& o, S& rng) {
    log->add("sample(" + o.question + ")");
    if (consume_sampler) (void)rng.next();
    if (throw_on_sample && *throw_on_sample == o.question)
      throw user_failure("scripted model fails to sample for " + o.question);
    const std::size_t k = samples_seen[o.question]++;
    const auto it = draws.find(o.question);
    if (it == draws.end() || it->second.empty()) return "ml:" + o.question;
    return it->second[std::min(k, it->second.size() - 1)];
  }
  A greedy(const scripted_output& o) {
    log->add("greedy(" + o.question + ")");
    const auto it = greedy_answers.find(o.question);
    return it != greedy_answers.end() ? it->second : "greedy:" + o.question;
  }

  std::map<Q, std::size_t> samples_seen;
};

/// An adversary with scripted scores that records every call.
struct scripted_adversary {
  call_log* log;
  std::map<Q, double> scores;  ///< Adv(q, ML(q)); default `default_score`
  double default_score = 0;
  std::optional<Q> throw_on;   ///< scoring this question throws

  double score(const Q& q, const scripted_output& o) {
    log->add("Adv(" + q + ")");
    if (o.question != q)  // the procedures must pass ML's output for the same question
      throw std::logic_error("adversary got the output for " + o.question + " with question " + q);
    if (throw_on && *throw_on == q) throw user_failure("scripted adversary fails on " + q);
    const auto it = scores.find(q);
    return it != scores.end() ? it->second : default_score;
  }
};

/// The three scripted doubles wired to one log.
struct scripted_world {
  call_log log;
  scripted_overseer h{&log, {}, {}, {}, {}, {}};
  scripted_model ml{&log, {}, {}, {}, std::log(0.5), {}, false, {}, {}};
  scripted_adversary adv{&log, {}, 0.0, {}};
  aida::string_codec codec;
};

// =======================================================================================
// An algorithmic overseer for tests that need a real tree.

/// Question: a string of decimal digits; answer: their sum in decimal. H_fan_out splits a
/// question of two or more digits into its halves; H_fan_in adds the two subanswers (an
/// answer that is not a number counts as 0: model draws can be anything).
struct digit_sum_overseer {
  static long value(const std::string& s) {
    if (s.empty() || s.size() > 9) return 0;
    long v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return 0;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  static std::string sum(const std::string& q) {
    long v = 0;
    for (char c : q) v += c - '0';
    return std::to_string(v);
  }
  std::string answer(const std::string& q) { return sum(q); }
  move_t fan_out(const std::string& q) {
    if (q.size() < 2) return move_t::answer(sum(q));
    return move_t::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  move_t fan_in(const std::string&, const sub_t& s1, const sub_t& s2) {
    return move_t::answer(std::to_string(value(s1.answer) + value(s2.answer)));
  }
};

/// A model whose draws come from the sampler (a number below 19), so that episodes depend
/// on the stream: for the bit-for-bit reproducibility tests.
struct random_model {
  std::string predict(const std::string& q) { return q; }
  double log_prob(const std::string& o, const std::string& a) {
    return -0.1 * static_cast<double>(1 + (o.size() + a.size()) % 7);
  }
  template <aida::Sampler S>
  std::string sample(const std::string& o, S& rng) {
    const std::string a = std::to_string(rng.next() % 19);
    // For fan-out and fan-in questions (string_codec's markers) the draw is a move: an answer.
    return !o.empty() && (o[0] == '^' || o[0] == '&') ? "=" + a : a;
  }
  std::string greedy(const std::string& o) { return digit_sum_overseer::sum(o); }
};

/// An adversary whose score depends on the question only (deterministic, varied).
struct hash_adversary {
  double score(const std::string& q, const std::string&) {
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : q) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return -static_cast<double>(h % 1000) / 250.0;
  }
};

}  // namespace aida_test
