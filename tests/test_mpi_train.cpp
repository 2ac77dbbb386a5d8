// The mpi component (aida/ext/mpi.hpp): aida::train over MPI, run by ctest as
// `mpirun -np 2 --oversubscribe test_mpi_train` (tests/CMakeLists.txt). Every rank runs every
// test; rank 0 prints GoogleTest's report and the exit status is failure if any rank failed.
// - Two ranks whose learners and samplers start from different seeds hold the same bits (a
//   hash of every parameter and optimiser moment, broadcast from rank 0 and compared on each
//   rank) after every step, and the same counts.
// - Against one process (rank 0 runs it after): the first step's counts exactly, the
//   parameters after the first step and the loss curve within the tolerances of
//   support/rank_runs.hpp (test_train_ranks.cpp runs the same comparison with thread ranks).
// - A communicator of one rank (MPI_COMM_SELF) is one process bit for bit, and makes no call.
// - A failure on rank 1 makes both ranks throw, and neither waits.
// - MPI's errors are aida::error naming the call (a broadcast from a root that is not a rank).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "aida/ext/mpi.hpp"
#include "support/rank_runs.hpp"
#include "support/seed.hpp"

namespace aida_test {
std::uint64_t seed() { return default_seed; }
}  // namespace aida_test

namespace {

using namespace aida_test::ranks;

aida::mpi::communicator* world = nullptr;

std::uint64_t hash_of(const std::vector<float>& a, const std::vector<float>& b) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const auto* v : {&a, &b}) {
    const auto* p = reinterpret_cast<const unsigned char*>(v->data());
    for (std::size_t i = 0; i < v->size() * sizeof(float); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}

// Every rank's value equals rank 0's.
template <class T>
bool same_on_every_rank(T value) {
  T root = value;
  world->broadcast(std::as_writable_bytes(std::span<T>(&root, 1)), 0);
  double differ[1] = {root == value ? 0.0 : 1.0};
  world->all_reduce_sum(std::span<double>(differ));
  return differ[0] == 0;
}

setup rank_setup() {
  setup su;
  su.model_seed += 1000 * static_cast<std::uint64_t>(world->rank());
  su.rng_seed += 7 * static_cast<std::uint64_t>(world->rank());
  return su;
}

TEST(MpiTrain, TwoRanksHoldTheSameBitsAfterEveryStepAndCountLikeOneProcess) {
  ASSERT_EQ(world->size(), 2) << "run with mpirun -np 2";
  const run_record r = run(rank_setup(), world);
  ASSERT_EQ(r.steps.size(), options_of(setup{}).steps);
  for (std::size_t s = 0; s < r.steps.size(); ++s) {
    EXPECT_TRUE(same_on_every_rank(hash_of(r.ml_after[s], r.adv_after[s]))) << "step " << s + 1;
    EXPECT_TRUE(same_on_every_rank(r.steps[s].overseer.total() * 1000003 + r.steps[s].targets)) << "step " << s + 1;
    EXPECT_TRUE(same_on_every_rank(r.steps[s].model_loss)) << "step " << s + 1;
    EXPECT_EQ(r.steps[s].rank, static_cast<std::size_t>(world->rank()));
    EXPECT_EQ(r.steps[s].ranks, 2u);
  }
  if (world->rank() == 0) expect_close_to_one_process(r, run_alone(setup{}));
}

TEST(MpiTrain, OneRankIsOneProcessBitForBit) {
  aida::mpi::communicator self(MPI_COMM_SELF);
  ASSERT_EQ(self.size(), 1);
  const run_record one = run(setup{}, &self);
  const run_record alone = run_alone(setup{});
  ASSERT_EQ(one.steps.size(), alone.steps.size());
  for (std::size_t s = 0; s < alone.steps.size(); ++s) {
    EXPECT_TRUE(aida_test::same_bits(one.ml_after[s], alone.ml_after[s])) << s;
    EXPECT_TRUE(aida_test::same_bits(one.adv_after[s], alone.adv_after[s])) << s;
    expect_same_counts(one.steps[s], alone.steps[s], std::to_string(s));
  }
}

TEST(MpiTrain, AFailureOnRankOneMakesBothRanksThrow) {
  setup su = rank_setup();
  su.steps = 3;
  if (world->rank() == 1) su.fail_at = 6;
  std::string message;
  try {
    (void)run(su, world);
  } catch (const aida::error& e) {
    message = e.what();
  }
  if (world->rank() == 1)
    EXPECT_EQ(message, "H of rank 1 fails");
  else
    EXPECT_NE(message.find("failed on rank 1"), std::string::npos) << message;
}

TEST(MpiTrain, ARootThatIsNotARankIsNamed) {
  std::byte b[1]{};
  try {
    world->broadcast(std::span<std::byte>(b), 5);
    ADD_FAILURE() << "no error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("root 5 is not a rank"), std::string::npos) << e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  aida::mpi::environment mpi(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  int failed = 0;
  {
    aida::mpi::communicator comm;
    world = &comm;
    if (comm.rank() != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    } else {
      std::cout << "aida test seed: " << aida_test::seed() << ", " << comm.size() << " MPI ranks\n";
    }
    failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
    // A failure on any rank fails the run (each rank's own failures are printed by rank 0
    // only when they happen there: name the others).
    double failures[1] = {static_cast<double>(failed)};
    comm.all_reduce_sum(std::span<double>(failures));
    if (failed != 0 && comm.rank() != 0) std::cerr << "test_mpi_train: a test failed on rank " << comm.rank() << '\n';
    failed = failures[0] > 0 ? 1 : 0;
    world = nullptr;
  }
  return failed;
}
