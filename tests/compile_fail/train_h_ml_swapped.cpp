// expect: aida: the `h` argument does not model aida::Overseer
// aida::train(questions, h, ml, adv, codec, policy, evaluator, rng, options) with h and ml swapped.
#include "aida/algorithm/train.hpp"
#include "parts.hpp"

int main() {
  parts::source questions;
  parts::overseer h;
  parts::model ml;
  parts::adversary adv;
  parts::evaluator evaluator;
  aida::sampler rng(1);
  (void)aida::train(questions, ml, h, adv, aida::string_codec{}, aida::gumbel_argmin{}, evaluator, rng,
                    aida::train_options{});
}
