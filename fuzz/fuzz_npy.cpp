// Fuzz target: the .npy reader of aida::ext (ext/xtensor.hpp). Any bytes either read as an
// array or throw an aida::ext::npy_error; nothing else (no crash, no sanitizer report, no
// other exception). What reads writes back as .npy and reads again to the same shape and the
// same float bits; an array of rank 2 at most converts to a tensor of that shape.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "aida/ext/xtensor.hpp"
#include "fuzz_support.hpp"

namespace {


bool same_bits(const xt::xarray<float>& a, const xt::xarray<float>& b) {
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a.data()[i]) != std::bit_cast<std::uint32_t>(b.data()[i])) return false;
  return true;
}

std::string shape_of(const xt::xarray<float>& a) {
  return aida::ext::detail::npy_shape_repr(std::vector<std::size_t>(a.shape().begin(), a.shape().end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  xt::xarray<float> a;
  const bool read = aida_fuzz::works_or_aida_error("read_npy", [&] {
    std::istringstream is(bytes, std::ios::binary);
    try {
      a = aida::ext::read_npy(is);
    } catch (const aida::ext::npy_error&) {
      throw;
    } catch (const aida::error& e) {
      aida_fuzz::fail(std::string("read_npy threw an aida::error that is not an npy_error: ") + e.what());
    }
  });
  if (!read) return 0;

  const std::string written = aida::ext::to_npy(a);
  std::istringstream again(written, std::ios::binary);
  const xt::xarray<float> b = aida::ext::read_npy(again);
  AIDA_FUZZ_CHECK(same_bits(a, b), "an array of shape " + shape_of(a) + " does not read back the same after writing");

  if (a.dimension() <= 2) {
    const aida::nn::tensor t = aida::ext::to_tensor(a);
    const auto [rows, cols] = aida::ext::tensor_shape_of(a.shape());
    AIDA_FUZZ_CHECK(t.rows() == rows && t.cols() == cols && static_cast<std::size_t>(t.size()) == a.size(),
          "to_tensor of shape " + shape_of(a) + " gives " + std::to_string(t.rows()) + " x " + std::to_string(t.cols()));
  }
  return 0;
}
