// Writes the seed corpora of the fuzz targets: a handful of small valid inputs each, made by
// aida itself (the task generators with a fixed seed, the codec, save_checkpoint, to_npy), in
// the input layout each target's comment describes.
//
//   build/fuzz/fuzz/fuzz_make_corpus fuzz/corpus
//
// writes fuzz/corpus/<target>/<name> (existing files of the same name are replaced).
#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aida/core/sampler.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/tasks/tasks.hpp"
#include "small_model.hpp"
#if AIDA_FUZZ_HAVE_XTENSOR
#include <xtensor/xbuilder.hpp>

#include "aida/ext/xtensor.hpp"
#endif

namespace {

namespace fs = std::filesystem;

fs::path root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream os(dir / name, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!os) throw std::runtime_error("cannot write " + (dir / name).string());
}

std::string byte(int b) { return std::string(1, static_cast<char>(b)); }

std::string join(const std::vector<std::string>& fields) {
  std::string s;
  for (std::size_t i = 0; i < fields.size(); ++i) s += (i == 0 ? "" : "\n") + fields[i];
  return s;
}

// ---- codec: byte 0 the codec (0 plain, 1 ':', 2 ',', 3 '#'), then q, a, x, y, r, s ----

void codec_corpus(aida::sampler& rng) {
  const aida::string_codec plain;
  put("codec", "plain_answer", byte(0) + join({"31415", plain.encode(aida::string_codec::move_type::answer("17"))}));
  put("codec", "plain_split",
      byte(0) + join({"3141", plain.encode(aida::string_codec::move_type::split("31", "41")), "31", "41", "4", "5"}));
  put("codec", "plain_escapes", byte(0) + join({"a|b", "/x\\|y|\\=z\\\\", "x|y", "=z\\", "1", "2"}));
  // Relative subquestions of real task questions, with the tasks' context codec.
  const aida::tasks::wildcard_task wildcard;
  const std::string wq = wildcard.generator(2).next(rng);
  const auto wm = wildcard.overseer().fan_out(wq);
  const auto& ws = wm.get_split();
  put("codec", "context_wildcard", byte(1) + join({wq, wildcard.codec().encode(wq, wm), ws.first(), ws.second(), "3", "0"}));
  const aida::tasks::assignments_task assignments;
  const std::string aq = assignments.generator(3).next(rng);
  const auto am = assignments.overseer().fan_out(aq);
  put("codec", "context_assignments", byte(1) + join({aq, assignments.codec().encode(aq, am)}));
  const auto comma = aida::string_codec::with_context(',');
  const std::string cq = "ab,cd,e";
  put("codec", "context_full_and_relative",
      byte(2) + join({cq, comma.encode(cq, aida::string_codec::move_type::split("ab,cd,f", "x,y")), "ab,cd,f", "x,y"}));
  put("codec", "context_hash", byte(3) + join({"k#v", "/#w|\\#u", "k#w", "#u", "=1", "=2"}));
}

// ---- tasks: byte 0 the task (bits 0-1) and mode (bit 2), then q and answers ------------

template <class Task>
void task_corpus(const Task& task, int index, aida::sampler& rng) {
  const std::string name(task.name());
  const auto q_default = task.generator(Task::default_difficulty).next(rng);
  const auto q_max = task.generator(Task::max_difficulty).next(rng);
  const auto q_min = task.generator(Task::min_difficulty).next(rng);
  put("tasks", name + "_default", byte(index) + q_default);
  put("tasks", name + "_max", byte(index) + q_max);
  put("tasks", name + "_primitive", byte(index) + q_min);
  // Wrong and unusable answers for the first round.
  put("tasks", name + "_answers", byte(index) + join({q_default, "1", "x"}));
  // Arbitrary subanswers: the question's own subquestions with answers, and foreign ones.
  const auto m = task.overseer().fan_out(q_default);
  if (m.is_split())
    put("tasks", name + "_subanswers", byte(index | 4) + join({q_default, m.get_split().first(), "2", m.get_split().second(), "10"}));
  put("tasks", name + "_foreign", byte(index | 4) + join({q_default, q_max, "1", q_min, "0"}));
  put("tasks", name + "_malformed", byte(index) + q_default + "!");
}

// ---- checkpoint: byte 0 the mode (bit 0 payload only, bit 1 parameters only) -------------

void checkpoint_corpus() {
  aida_fuzz::small_model m;
  std::ostringstream with_opt(std::ios::binary), params_only(std::ios::binary), other(std::ios::binary);
  aida::nn::save_checkpoint(with_opt, m);
  aida::nn::save_checkpoint(params_only, m.parameters());
  aida_fuzz::small_model three(3);  // one layer more: an unexpected entry
  aida::nn::save_checkpoint(other, three);
  constexpr std::size_t header = 32;
  put("checkpoint", "file", byte(0) + with_opt.str());
  put("checkpoint", "file_params_only", byte(2) + params_only.str());
  put("checkpoint", "payload", byte(1) + with_opt.str().substr(header));
  put("checkpoint", "payload_params_only", byte(3) + params_only.str().substr(header));
  put("checkpoint", "payload_extra_layer", byte(1) + other.str().substr(header));
}

// ---- npy: the file -----------------------------------------------------------------------

#if AIDA_FUZZ_HAVE_XTENSOR
std::string npy_by_hand(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  header += std::string(63 - (prefix + header.size()) % 64, ' ') + '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  if (major == 1) {
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
  } else {
    aida::nn::detail::put_u32(out, static_cast<std::uint32_t>(header.size()));
  }
  return out + header + data;
}

void npy_corpus() {
  put("npy", "matrix", aida::ext::to_npy(aida::nn::tensor::Constant(2, 3, 1.5f)));
  put("npy", "vector", aida::ext::to_npy(xt::xarray<float>{1.0f, -2.0f, 3.0f}));
  put("npy", "scalar", aida::ext::to_npy(xt::xarray<float>(7.0f)));
  put("npy", "cube", aida::ext::to_npy(xt::xarray<float>(xt::ones<float>({2, 1, 2}))));
  put("npy", "empty", aida::ext::to_npy(xt::xarray<float>(xt::zeros<float>({0, 3}))));
  std::string f8;
  for (const double d : {0.5, -1.0, 2.0, 4.0}) aida::nn::detail::put_u64(f8, std::bit_cast<std::uint64_t>(d));
  put("npy", "fortran_f8", npy_by_hand("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", f8));
  put("npy", "big_endian_v2", npy_by_hand("{\"shape\": (2,), \"descr\": \">f4\", \"fortran_order\": False}",
                                          std::string("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8), 2));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory, e.g. fuzz/corpus>\n", argv[0]);
    return 2;
  }
  root = argv[1];
  aida::sampler rng(20240916);
  codec_corpus(rng);
  task_corpus(aida::tasks::sum_task{}, 0, rng);
  task_corpus(aida::tasks::wildcard_task{}, 1, rng);
  task_corpus(aida::tasks::assignments_task{}, 2, rng);
  task_corpus(aida::tasks::permutation_task{}, 3, rng);
  checkpoint_corpus();
#if AIDA_FUZZ_HAVE_XTENSOR
  npy_corpus();
#endif
  return 0;
}
