// A small program using aida as a user would: an overseer of its own (the digit sum of a
// string, split in halves), amplification with the full tree, and a check of the answer.
// Built by both install tests (tests/consumer/run.cmake). Exit code 0 iff the answer is right.
#include <iostream>
#include <string>

#include <aida/aida.hpp>

namespace {

using move = aida::Move<std::string, std::string>;
using subanswer = aida::Subanswer<std::string, std::string>;

struct digit_sum {
  static std::string sum(const std::string& q) {
    int s = 0;
    for (char c : q) s += c - '0';
    return std::to_string(s);
  }
  std::string answer(const std::string& q) { return sum(q); }
  move fan_out(const std::string& q) {
    if (q.size() < 2) return move::answer(q);
    return move::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  move fan_in(const std::string&, const subanswer& a, const subanswer& b) {
    return move::answer(std::to_string(std::stoi(a.answer) + std::stoi(b.answer)));
  }
};

// A model that knows nothing: every answer is "0" (greedy and sampled), log-probability −1.
struct know_nothing {
  std::string predict(const std::string& q) { return q; }
  double log_prob(const std::string&, const std::string&) { return -1.0; }
  std::string sample(const std::string&, aida::sampler&) { return "0"; }
  std::string greedy(const std::string&) { return "0"; }
};

struct flat_adversary {
  double score(const std::string&, const std::string&) { return -1.0; }
};

}  // namespace

int main() {
  digit_sum h;
  know_nothing ml;
  flat_adversary adv;
  aida::sampler rng(2026);
  // The full tree (recurse_all): the overseer's decomposition alone gives the right answer.
  const auto ep = aida::amplify(std::string("31415"), h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
  std::cout << "consumer: digit sum of 31415 is " << *ep.answer << " (" << ep.counts.overseer.total()
            << " overseer calls, " << ep.counts.nodes << " nodes)\n";
  return *ep.answer == "14" ? 0 : 1;
}
