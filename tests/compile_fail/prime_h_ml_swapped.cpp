// expect: aida: the `h` argument does not model aida::Overseer
// aida::prime(h, ml, adv, codec, c) with h and ml swapped.
#include "aida/algorithm/iterate.hpp"
#include "parts.hpp"

int main() {
  parts::overseer h;
  parts::model ml;
  parts::adversary adv;
  (void)aida::prime(ml, h, adv, aida::string_codec{}, -0.03);
}
