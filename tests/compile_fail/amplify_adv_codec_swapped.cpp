// expect: aida: the `codec` argument does not model aida::Codec
// aida::amplify(question, h, ml, adv, codec, policy, rng) with adv and codec swapped.
#include "aida/algorithm/amplify.hpp"
#include "parts.hpp"

int main() {
  parts::overseer h;
  parts::model ml;
  parts::adversary adv;
  const aida::string_codec codec;
  aida::sampler rng(1);
  (void)aida::amplify(std::string("12"), h, ml, codec, adv, aida::gumbel_argmin{}, rng);
}
