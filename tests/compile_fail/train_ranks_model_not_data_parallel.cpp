// expect: aida::train with a Communicator: ML has no data-parallel
// aida::train(comm, ...) with a model that trains on one process only (no
// train_step(batch, aida::gradient_exchange&) and synchronize): the first error names ML.
#include "aida/algorithm/train.hpp"
#include "parts.hpp"

int main() {
  aida::single_process comm;
  parts::source questions;
  parts::overseer h;
  parts::model ml;
  parts::adversary adv;
  parts::evaluator evaluator;
  aida::sampler rng(1);
  (void)aida::train(comm, questions, h, ml, adv, aida::string_codec{}, aida::gumbel_argmin{}, evaluator, rng,
                    aida::train_options{});
}
