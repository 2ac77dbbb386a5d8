// A program of a user of the installed aida::mpi component: one rank (a singleton MPI, no
// mpirun), whose all-reduce and broadcast leave its data as it is.
#include <aida/aida.hpp>
#include <aida/ext/mpi.hpp>

#include <cstddef>
#include <iostream>
#include <span>

int main(int argc, char** argv) {
  aida::mpi::environment mpi(argc, argv);
  aida::mpi::communicator world;
  static_assert(aida::Communicator<aida::mpi::communicator>);
  float x[2] = {1.5f, 1.5f};
  world.all_reduce_sum(std::span<float>(x));
  std::byte b[1] = {std::byte{7}};
  world.broadcast(std::span<std::byte>(b), 0);
  if (world.size() != 1 || x[0] + x[1] != 3.0f || b[0] != std::byte{7}) return 1;
  std::cout << "mpi consumer: " << world.size() << " rank, sum " << x[0] + x[1] << '\n';
  return 0;
}
