// Prints amplification episodes of splits of two (each recursion policy, with H and with H′)
// as JSON, with their counts, losses and targets. tests/CMakeLists.txt builds this program
// twice, with the default room for subquestions and with AIDA_MAX_SUBQUESTIONS=2, and the test
// `room.splits_of_two_do_not_depend_on_the_room` asserts that both print the same text: a
// program that defines the smaller room for smaller records (benchmarks/README.md, "k-ary
// splits") gets the same episodes, and the room of two keeps compiling.
#include <cstdio>
#include <string>

#include "aida/aida.hpp"
#include "aida/io/tree_json.hpp"
#include "support/doubles.hpp"

namespace {

template <class Ep>
void print(const char* name, unsigned seed, const Ep& ep) {
  std::string out = std::string(name) + " seed " + std::to_string(seed) + ": answer " + ep.answer.value_or("-") +
                    ", nodes " + std::to_string(ep.counts.nodes) + ", rounds " + std::to_string(ep.counts.rounds) +
                    ", calls " + std::to_string(ep.counts.overseer.total()) + ", deferred " +
                    std::to_string(ep.counts.deferred.total()) + ", model calls " + std::to_string(ep.counts.model_calls) +
                    ", adversary calls " + std::to_string(ep.counts.adversary_calls) + ", losses";
  char buf[64];
  for (int k = 0; k < 3; ++k) {
    std::snprintf(buf, sizeof buf, " %.17g/%.17g", ep.losses.ml[k], ep.losses.adv[k]);
    out += buf;
  }
  out += "\n";
  for (const auto& t : ep.model_targets) out += "  target " + t.query + " -> " + t.target + "\n";
  for (const auto& t : ep.adversary_targets) {
    std::snprintf(buf, sizeof buf, " %.17g %.17g\n", t.target, t.prediction);
    out += "  adversary " + t.query + buf;
  }
  out += aida::io::to_json(ep);
  std::fputs(out.c_str(), stdout);
}

template <class P>
void episodes(const char* name, const P& policy) {
  const aida::string_codec codec;
  aida::amplify_options opt;
  opt.max_depth = 6;
  for (unsigned seed = 1; seed <= 6; ++seed) {
    const std::string question = std::string("314159265358").substr(0, 4 + seed);
    aida_test::digit_sum_overseer h;
    aida_test::random_model ml;
    aida_test::hash_adversary adv;
    aida::sampler rng(seed);
    print(name, seed, aida::amplify(question, h, ml, adv, codec, policy, rng, opt));
    aida::primed_overseer hp(h, ml, adv, codec, -1.0, 0.1, aida::sampler(100 + seed));
    print(name, seed, aida::amplify(question, hp, ml, adv, codec, policy, rng, opt));
  }
}

}  // namespace

int main() {
  episodes("gumbel_argmin", aida::gumbel_argmin{});
  episodes("gumbel_argmin_t0", aida::gumbel_argmin{.temperature = 0});
  episodes("gumbel_top_m", aida::gumbel_top_m{.m = 2});
  episodes("bernoulli_coins", aida::bernoulli_coins{});
  episodes("gumbel_threshold", aida::gumbel_threshold{aida::constant_schedule{-2.0}, 0.5});
  episodes("uniform_one", aida::uniform_one{});
  episodes("uniform_m", aida::uniform_m{.m = 1});
  episodes("recurse_all", aida::recurse_all{});
  episodes("recurse_none", aida::recurse_none{});
  return 0;
}
