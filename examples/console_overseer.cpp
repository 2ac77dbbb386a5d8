// A person as the overseer H: amplifies one `sum` question (the sum of its digits) with you
// answering at the terminal. You split a question into two subquestions (`split 12 | 34`),
// answer one (`= 7`), and at fan-in combine the subanswers you are shown. The model here is
// an untrained stand-in that guesses a number, so that with --policy one the subquestion not
// recursed on shows a model's (likely wrong) answer, as in training.
//
//   console_overseer [QUESTION] [--policy all|one] [--seed N]
//
// QUESTION is 1 to 16 digits (default 1234); --policy all (the default) recurses on both
// subquestions of every split, one on one of them at random (the other answered by the
// model); the overseer budget shown is the most calls the full tree needs, 3n − 2.
#include <cstdint>
#include <iostream>
#include <string>

#include "aida/aida.hpp"
#include "aida/overseers/console.hpp"

namespace {

/// A stand-in for an untrained ML: every answer equally likely among "0" to "18", drawn
/// from the episode's sampler; the adversary sees it as mediocre everywhere.
struct guessing_model {
  std::string predict(const std::string& q) { return q; }
  double log_prob(const std::string&, const std::string&) { return -2.944; }  // about log(1/19)
  template <aida::Sampler S>
  std::string sample(const std::string&, S& rng) {
    return std::to_string(aida::draw_below(rng, 19));
  }
  std::string greedy(const std::string&) { return "9"; }
};

struct flat_adversary {
  double score(const std::string&, const std::string&) { return -2.944; }
};

int usage() {
  std::cerr << "usage: console_overseer [QUESTION] [--policy all|one] [--seed N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string question = "1234", policy = "all";
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--policy" && i + 1 < argc) policy = argv[++i];
    else if (a == "--seed" && i + 1 < argc) {
      const std::string v = argv[++i];
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19) return usage();
      seed = std::stoull(v);
    }
    else if (!a.empty() && a[0] != '-') question = a;
    else return usage();
  }
  const aida::tasks::sum_overseer check;
  if (!check.well_formed(question) || question.size() > 16 || (policy != "all" && policy != "one")) return usage();

  try {
    aida::amplify_options opt;
    opt.max_overseer_calls = 3 * question.size() - 2;
    aida::console_overseer<std::string, std::string> h(std::cin, std::cout,
                                                       {.budget = opt.max_overseer_calls, .prompt = "> "});
    guessing_model ml;
    flat_adversary adv;
    aida::sampler rng(seed);
    std::cout << "You are the overseer for the question " << question
              << " (the sum of its digits). Type 'help' for the syntax.\n";
    const auto ep = policy == "all"
                        ? aida::amplify(question, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng, opt)
                        : aida::amplify(question, h, ml, adv, aida::string_codec{}, aida::uniform_one{}, rng, opt);
    std::cout << "the answer to " << question << " is " << *ep.answer << " (" << h.calls()
              << " calls answered; the sum of the digits is " << check.answer(question) << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "console_overseer: " << e.what() << '\n';
    return 1;
  }
}
