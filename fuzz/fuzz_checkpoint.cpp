// Fuzz target: the checkpoint loader (nn/checkpoint.hpp) on a small model of its own
// (parameters in a nested struct and a std::vector of layers, and an Adam state). Any bytes
// either load or throw an aida::nn::checkpoint_error; nothing else. A failed load leaves
// the model exactly as it was: its parameters, gradients, optimiser state and step count are
// compared byte for byte with a copy taken before. A successful load saves and loads again
// into a fresh model, which then equals the loaded one.
//
// Input: byte 0 chooses the mode. Bit 0 clear: the rest is the file. Bit 0 set: the rest is
// the payload, and the target writes a valid header for it (magic, version, size and both
// CRC-32s), so that the fuzzer reaches the payload parser past the checksums. Bit 1 set:
// load the parameters only (no optimiser), else the model with its optimiser.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "aida/nn/checkpoint.hpp"
#include "fuzz_support.hpp"
#include "small_model.hpp"

namespace {

using aida::nn::parameter;
using aida::nn::tensor;
using aida_fuzz::small_model;

void append_tensor(std::string& out, std::string_view name, const tensor& t) {
  out += name;
  out += '\0';
  const std::int64_t shape[2] = {t.rows(), t.cols()};
  out.append(reinterpret_cast<const char*>(shape), sizeof shape);
  out.append(reinterpret_cast<const char*>(t.data()), static_cast<std::size_t>(t.size()) * sizeof(float));
}

/// Every byte of the model's state: parameter values and gradients, optimiser state, step count.
std::string state_of(small_model& m) {
  std::string s;
  aida::nn::for_each_parameter(m.params, [&](std::string_view name, const parameter& p) {
    append_tensor(s, name, p.value);
    append_tensor(s, name, p.grad);
  });
  m.opt.for_each_state([&](std::string_view name, const tensor& t) { append_tensor(s, name, t); });
  const std::uint64_t steps = m.opt.step_count();
  s.append(reinterpret_cast<const char*>(&steps), sizeof steps);
  return s;
}

/// A valid header for `payload` followed by it.
std::string with_header(const std::string& payload) {
  namespace d = aida::nn::detail;
  std::string out(d::checkpoint_magic, sizeof d::checkpoint_magic);
  d::put_u32(out, aida::nn::checkpoint_version);
  d::put_u32(out, 0);  // flags
  d::put_u64(out, payload.size());
  d::put_u32(out, d::crc32(payload));
  d::put_u32(out, d::crc32(out));
  return out + payload;
}

/// Loads `bytes` into `m` (with the optimiser or not); true on success, false on a
/// checkpoint_error; anything else is a crash.
bool load(const std::string& bytes, small_model& m, bool params_only) {
  return aida_fuzz::works_or_aida_error("load_checkpoint", [&] {
    std::istringstream is(bytes, std::ios::binary);
    try {
      if (params_only)
        aida::nn::load_checkpoint(is, m.params);
      else
        aida::nn::load_checkpoint(is, m);
    } catch (const aida::nn::checkpoint_error&) {
      throw;
    } catch (const aida::error& e) {
      aida_fuzz::fail(std::string("load_checkpoint threw an aida::error that is not a checkpoint_error: ") + e.what());
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string bytes = (mode & 1) != 0 ? with_header(rest) : rest;
  const bool params_only = (mode & 2) != 0;

  small_model m;
  const std::string before = state_of(m);
  if (!load(bytes, m, params_only)) {
    AIDA_FUZZ_CHECK(state_of(m) == before, "a failed load changed the model");
    return 0;
  }

  // Loaded: what it saves loads into a fresh model and gives the same state.
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, m);
  small_model fresh;
  AIDA_FUZZ_CHECK(load(os.str(), fresh, false), "a checkpoint saved after a successful load does not load");
  AIDA_FUZZ_CHECK(state_of(fresh) == state_of(m), "saving and loading again does not give the loaded state");
  return 0;
}
