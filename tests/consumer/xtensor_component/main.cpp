// Uses aida's xtensor component (aida/ext/xtensor.hpp, target aida::xtensor) from an installed
// package: writes a small xtensor array as .npy and reads it back.
#include <iostream>
#include <sstream>

#include <aida/ext/xtensor.hpp>
#include <xtensor/xarray.hpp>

int main() {
  const xt::xarray<float> a = {1.0f, 2.0f, 3.0f};
  std::stringstream s;
  aida::ext::write_npy(s, a);
  std::cout << "xtensor consumer: .npy of 3 floats, " << s.str().size() << " bytes\n";
  return s.str().size() > 12 ? 0 : 1;
}
