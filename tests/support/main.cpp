// Shared main of aida's tests: reads and prints the seed, so that any failure can be replayed
// with `AIDA_SEED=<n> ./test_x` or `./test_x --aida_seed=<n>`.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "support/seed.hpp"

namespace aida_test {
namespace {
std::uint64_t g_seed = default_seed;
}
std::uint64_t seed() { return g_seed; }
}  // namespace aida_test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const char* env = std::getenv("AIDA_SEED")) aida_test::g_seed = std::strtoull(env, nullptr, 10);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--aida_seed=", 12) == 0) aida_test::g_seed = std::strtoull(argv[i] + 12, nullptr, 10);
  std::cout << "aida test seed: " << aida_test::g_seed << " (replay with AIDA_SEED=" << aida_test::g_seed << ")\n";
  return RUN_ALL_TESTS();
}
