// expect: aida: the `codec` argument does not model aida::Codec
// aida::distill_into(out, question, ml, adv, codec, rng) with adv and codec swapped.
#include "aida/algorithm/distill.hpp"
#include "parts.hpp"

int main() {
  parts::model ml;
  parts::adversary adv;
  const aida::string_codec codec;
  aida::sampler rng(1);
  aida::episode_for<aida::string_codec, parts::model> out;
  aida::distill_into(out, std::string("12"), ml, codec, adv, rng);
}
