// Uses aida's process and sqlite components from an installed package: asks the Python sum
// overseer (argv[1]: python3, argv[2]: the script) for a fan-out through a cache in an SQLite
// file (argv[3]), twice; the second time comes from the cache.
#include <iostream>
#include <string>

#include <aida/ext/process_overseer.hpp>
#include <aida/ext/sqlite_cache.hpp>
#include <aida/overseers/cached.hpp>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  aida::process_overseer_options opt;
  opt.argv = {argv[1], argv[2]};
  aida::process_overseer<> h(opt);
  aida::sqlite_cache store{std::string(argv[3])};
  aida::cached_overseer cached(h, store);
  const auto first = cached.fan_out(std::string("1234"));
  const auto second = cached.fan_out(std::string("1234"));
  if (!first.is_split() || !(first == second)) return 1;
  const auto& s = first.get_split();
  std::cout << "overseer consumer: fan_out(1234) = " << s.first() << " | " << s.second() << ", hits "
            << cached.usage().hits.total() << ", misses " << cached.usage().misses.total() << "\n";
  return 0;
}
