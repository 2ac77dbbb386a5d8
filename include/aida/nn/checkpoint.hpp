#pragma once
/// \file
/// Checkpoints: save and load every parameter of a reflected parameter struct, and
/// optionally an optimiser's state and step count, in a versioned little-endian binary
/// format with CRC-32 checksums (docs/checkpoint-format.md).
///
///     aida::nn::save_checkpoint("model.ckpt", model);   // parameters() and optimizer()
///     aida::nn::load_checkpoint("model.ckpt", model);   // or throws, model untouched
///
/// Loading is all-or-nothing: the whole file is read, checked and decoded into staging
/// tensors first, and only then swapped into the model (no-throw swaps), so a damaged or
/// mismatched file throws one of the `checkpoint_*` errors below and leaves the model and
/// the optimiser exactly as they were.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/hana/concept/struct.hpp>

#include "aida/core/error.hpp"
#include "aida/nn/detail/binary_io.hpp"
#include "aida/nn/parameter.hpp"

namespace aida::nn {

// ---- errors -------------------------------------------------------------------------

/// Base of every checkpoint error.
struct checkpoint_error : error {
  using error::error;
};
/// The file could not be opened, read or written; the message names the path.
struct checkpoint_io_error : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// The data does not start with the checkpoint magic: not an aida checkpoint.
struct checkpoint_bad_magic : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// A checkpoint of a format version this build cannot read (for example a newer one).
struct checkpoint_version_error : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// The data ends before the checkpoint does.
struct checkpoint_truncated : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// A checksum does not match, or the checksummed content is malformed: the file was damaged.
struct checkpoint_corrupt : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// An intact checkpoint that does not fit the model it is loaded into.
struct checkpoint_mismatch : checkpoint_error {
  using checkpoint_error::checkpoint_error;
};
/// The model has a parameter (or optimiser state) that the checkpoint lacks.
struct checkpoint_missing_entry : checkpoint_mismatch {
  using checkpoint_mismatch::checkpoint_mismatch;
};
/// The checkpoint has an entry that the model does not.
struct checkpoint_unexpected_entry : checkpoint_mismatch {
  using checkpoint_mismatch::checkpoint_mismatch;
};
/// An entry's shape differs from the model's; the message names the entry and both shapes.
struct checkpoint_shape_mismatch : checkpoint_mismatch {
  using checkpoint_mismatch::checkpoint_mismatch;
};

/// The format version written by this build (and the only one it reads).
inline constexpr std::uint32_t checkpoint_version = 1;

// ---- concepts -----------------------------------------------------------------------

/// A parameter struct: an `aida::nn::parameter` or a struct declared with
/// `BOOST_HANA_DEFINE_STRUCT` (walked by `for_each_parameter`).
template <class P>
concept ParameterStruct =
    std::same_as<std::remove_cv_t<P>, parameter> || boost::hana::Struct<std::remove_cv_t<P>>::value;

/// A model whose parameters can be checkpointed: `m.parameters()` returns its parameter
/// struct. If it also has `m.optimizer()` (an `OptimizerState`), the optimiser's state is
/// saved and loaded with it.
template <class M>
concept CheckpointableModel = !ParameterStruct<M> && requires(M& m) {
  m.parameters();
  requires std::is_lvalue_reference_v<decltype(m.parameters())>;
  requires ParameterStruct<std::remove_cvref_t<decltype(m.parameters())>>;
};

/// Placeholder optimiser type for "no optimiser state".
struct no_optimizer {};

namespace detail {

inline constexpr char checkpoint_magic[8] = {'A', 'I', 'D', 'A', 'C', 'K', 'P', 'T'};
inline constexpr std::size_t checkpoint_header_size = 32;

template <class O>
concept optimizer_or_none = std::same_as<std::remove_cv_t<O>, no_optimizer> || OptimizerState<std::remove_cv_t<O>>;

template <class M>
concept model_with_optimizer = requires(M& m) {
  m.optimizer();
  requires std::is_lvalue_reference_v<decltype(m.optimizer())>;
  requires OptimizerState<std::remove_cvref_t<decltype(m.optimizer())>>;
};

inline std::string shape_string(std::uint64_t rows, std::uint64_t cols) {
  // Appended piece by piece: `"[" + std::to_string(...)` trips g++ 12's -Wrestrict at -O3.
  std::string s = "[";
  s += std::to_string(rows);
  s += " x ";
  s += std::to_string(cols);
  s += ']';
  return s;
}

/// Visits an optimiser's state read-only. `OptimizerState` only promises a non-const
/// `for_each_state`; a visitor that only reads leaves the optimiser unchanged, so a const
/// optimiser is visited through it when it has no const overload.
template <class Opt, class F>
void for_each_state_readonly(const Opt& opt, F&& f) {
  if constexpr (requires { opt.for_each_state([](std::string_view, const tensor&) {}); })
    opt.for_each_state([&](std::string_view name, const tensor& t) { f(name, t); });
  else
    const_cast<Opt&>(opt).for_each_state([&](std::string_view name, tensor& t) { f(name, static_cast<const tensor&>(t)); });
}

template <class Opt>
std::uint64_t step_count_of(const Opt& opt) {
  if constexpr (requires { { opt.step_count() } -> std::convertible_to<std::uint64_t>; })
    return opt.step_count();
  else
    return const_cast<Opt&>(opt).step_count();
}

inline void put_entry(std::string& out, std::string_view name, const tensor& t) {
  put_u32(out, static_cast<std::uint32_t>(name.size()));
  out.append(name);
  put_u64(out, static_cast<std::uint64_t>(t.rows()));
  put_u64(out, static_cast<std::uint64_t>(t.cols()));
  put_f32_le(out, t.data(), static_cast<std::size_t>(t.size()));
}

inline void check_name(std::unordered_set<std::string>& seen, std::string_view name, std::string_view section) {
  if (name.size() > 0xFFFFFFFFu)
    throw checkpoint_error("cannot save checkpoint: " + std::string(section) + " name too long");
  if (!seen.emplace(name).second)
    throw checkpoint_error("cannot save checkpoint: two " + std::string(section) + " entries are named '" +
                           std::string(name) + "'");
}

/// The whole checkpoint (header and payload) as bytes.
inline std::size_t entry_size(std::string_view name, const tensor& t) {
  return 4 + name.size() + 16 + 4 * static_cast<std::size_t>(t.size());
}

/// The whole checkpoint (header and payload) as bytes, built in one buffer of the exact size.
template <class Params, class Opt>
std::string serialize_checkpoint(const Params& params, const Opt* opt) {
  constexpr bool can_have_opt = !std::same_as<std::remove_cv_t<Opt>, no_optimizer>;
  const bool with_opt = can_have_opt && opt != nullptr;

  // First pass: names unique, counts and the exact size.
  std::unordered_set<std::string> seen;
  std::uint32_t n_params = 0, n_states = 0;
  std::size_t size = checkpoint_header_size + 4 + 4;
  for_each_parameter(params, [&](std::string_view name, const parameter& p) {
    check_name(seen, name, "parameter");
    size += entry_size(name, p.value);
    ++n_params;
  });
  if constexpr (can_have_opt) {
    if (with_opt) {
      seen.clear();
      size += 8 + 4;
      for_each_state_readonly(*opt, [&](std::string_view name, const tensor& t) {
        check_name(seen, name, "optimizer state");
        size += entry_size(name, t);
        ++n_states;
      });
    }
  }

  std::string out;
  out.reserve(size);
  out.resize(checkpoint_header_size);  // filled in below, once the payload's checksum is known
  put_u32(out, n_params);
  for_each_parameter(params, [&](std::string_view name, const parameter& p) { put_entry(out, name, p.value); });
  put_u32(out, with_opt ? 1 : 0);
  if constexpr (can_have_opt) {
    if (with_opt) {
      put_u64(out, step_count_of(*opt));
      put_u32(out, n_states);
      for_each_state_readonly(*opt, [&](std::string_view name, const tensor& t) { put_entry(out, name, t); });
    }
  }

  const std::string_view payload = std::string_view(out).substr(checkpoint_header_size);
  std::string header(checkpoint_magic, sizeof checkpoint_magic);
  put_u32(header, checkpoint_version);
  put_u32(header, 0);  // flags, reserved
  put_u64(header, payload.size());
  put_u32(header, crc32(payload));
  put_u32(header, crc32(header));
  out.replace(0, checkpoint_header_size, header);
  return out;
}

/// One entry of a parsed payload; `data` points into the payload buffer.
struct checkpoint_entry {
  std::string_view name;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  const char* data = nullptr;
};

struct parsed_checkpoint {
  std::vector<checkpoint_entry> params;
  bool has_optimizer = false;
  std::uint64_t step_count = 0;
  std::vector<checkpoint_entry> states;
};

/// Reads header and payload from `is` (exactly the checkpoint's bytes, nothing more) and
/// checks magic, version, both checksums and the payload structure.
inline std::string read_checkpoint_bytes(std::istream& is, const std::string& source) {
  const std::string where = "checkpoint " + source + ": ";
  char header[checkpoint_header_size];
  is.read(header, static_cast<std::streamsize>(checkpoint_header_size));
  const auto got = static_cast<std::size_t>(is.gcount());
  if (is.bad()) throw checkpoint_io_error(where + "read error");

  const std::size_t magic_seen = std::min(got, sizeof checkpoint_magic);
  if (!std::equal(header, header + magic_seen, checkpoint_magic))
    throw checkpoint_bad_magic(where + "not an aida checkpoint (the first bytes are not the magic \"AIDACKPT\")");
  if (got < checkpoint_header_size)
    throw checkpoint_truncated(where + "truncated: the data ends after " + std::to_string(got) + " bytes, inside the " +
                               std::to_string(checkpoint_header_size) + "-byte header");

  // The version comes first: a future version may lay out everything after it differently.
  const std::uint32_t version = get_u32(header + 8);
  if (version != checkpoint_version)
    throw checkpoint_version_error(where + "format version " + std::to_string(version) +
                                   " is not supported (this build reads version " +
                                   std::to_string(checkpoint_version) + ")");
  if (crc32(std::string_view(header, 28)) != get_u32(header + 28))
    throw checkpoint_corrupt(where + "corrupt: the header checksum does not match");
  if (get_u32(header + 12) != 0)
    throw checkpoint_corrupt(where + "corrupt: unknown flags in the header");
  const std::uint64_t payload_size = get_u64(header + 16);

  std::string payload;
  const std::uint64_t got_payload = read_up_to(is, payload_size, payload);
  if (is.bad()) throw checkpoint_io_error(where + "read error");
  if (got_payload < payload_size)
    throw checkpoint_truncated(where + "truncated: the header promises " + std::to_string(payload_size) +
                               " payload bytes but the data ends after " + std::to_string(got_payload));
  if (crc32(payload) != get_u32(header + 24))
    throw checkpoint_corrupt(where + "corrupt: the payload checksum does not match (the data was damaged)");
  return payload;
}

inline parsed_checkpoint parse_checkpoint_payload(const std::string& payload, const std::string& source) {
  const std::string where = "checkpoint " + source + ": corrupt: ";
  byte_cursor cur{payload.data(), payload.size()};
  auto u32 = [&](const char* what) {
    const char* p = cur.take(4);
    if (p == nullptr) throw checkpoint_corrupt(where + "the payload ends inside " + what);
    return get_u32(p);
  };
  auto u64 = [&](const char* what) {
    const char* p = cur.take(8);
    if (p == nullptr) throw checkpoint_corrupt(where + "the payload ends inside " + what);
    return get_u64(p);
  };
  auto entries = [&](std::vector<checkpoint_entry>& out, std::uint32_t count, const char* section) {
    std::unordered_set<std::string_view> seen;
    for (std::uint32_t i = 0; i < count; ++i) {
      checkpoint_entry e;
      const std::uint32_t name_size = u32("an entry name length");
      const char* name = cur.take(name_size);
      if (name == nullptr) throw checkpoint_corrupt(where + "the payload ends inside an entry name");
      e.name = std::string_view(name, name_size);
      if (!seen.insert(e.name).second)
        throw checkpoint_corrupt(where + "two " + section + " entries are named '" + std::string(e.name) + "'");
      e.rows = u64("an entry shape");
      e.cols = u64("an entry shape");
      const std::uint64_t limit = cur.remaining() / 4;
      if (e.rows != 0 && e.cols > limit / e.rows)
        throw checkpoint_corrupt(where + "entry '" + std::string(e.name) + "' claims shape " +
                                 shape_string(e.rows, e.cols) + ", more data than the payload holds");
      e.data = cur.take(static_cast<std::size_t>(e.rows * e.cols * 4));
      out.push_back(e);
    }
  };

  parsed_checkpoint parsed;
  const std::uint32_t n_params = u32("the parameter count");
  entries(parsed.params, n_params, "parameter");
  const std::uint32_t has_opt = u32("the optimizer flag");
  if (has_opt > 1) throw checkpoint_corrupt(where + "invalid optimizer flag");
  parsed.has_optimizer = has_opt == 1;
  if (parsed.has_optimizer) {
    parsed.step_count = u64("the step count");
    const std::uint32_t n_states = u32("the optimizer state count");
    entries(parsed.states, n_states, "optimizer state");
  }
  if (cur.remaining() != 0) throw checkpoint_corrupt(where + "unexpected bytes after the last entry");
  return parsed;
}

/// Matches one section of the file against the model's tensors (visited by `visit` as
/// `f(name, tensor&)`) and decodes each into a new tensor. Nothing of the model changes.
template <class Visit>
void stage_section(const std::vector<checkpoint_entry>& entries, Visit&& visit, std::string_view section,
                   const std::string& source, std::vector<tensor>& staged, std::vector<tensor*>& targets) {
  const std::string where = "checkpoint " + source + ": ";
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < entries.size(); ++i) index.emplace(entries[i].name, i);
  std::vector<bool> used(entries.size(), false);

  visit([&](std::string_view name, tensor& target) {
    const auto it = index.find(name);
    if (it == index.end())
      throw checkpoint_missing_entry(where + "the model has " + std::string(section) + " '" + std::string(name) +
                                     "' of shape " + shape_string(static_cast<std::uint64_t>(target.rows()),
                                                                  static_cast<std::uint64_t>(target.cols())) +
                                     " but the checkpoint has no such entry");
    const checkpoint_entry& e = entries[it->second];
    used[it->second] = true;
    const auto rows = static_cast<std::uint64_t>(target.rows());
    const auto cols = static_cast<std::uint64_t>(target.cols());
    if (e.rows != rows || e.cols != cols)
      throw checkpoint_shape_mismatch(where + std::string(section) + " '" + std::string(name) + "' has shape " +
                                      shape_string(e.rows, e.cols) + " in the checkpoint but " +
                                      shape_string(rows, cols) + " in the model");
    tensor t(target.rows(), target.cols());
    get_f32_le(e.data, t.data(), static_cast<std::size_t>(t.size()));
    staged.push_back(std::move(t));
    targets.push_back(&target);
  });
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!used[i])
      throw checkpoint_unexpected_entry(where + "the checkpoint has " + std::string(section) + " '" +
                                        std::string(entries[i].name) + "' of shape " +
                                        shape_string(entries[i].rows, entries[i].cols) +
                                        " but the model has no such entry");
}

/// Everything a load will change, decoded and checked, with pointers to where it goes.
struct checkpoint_stage {
  std::vector<tensor> values;
  std::vector<tensor*> targets;
  std::uint64_t step_count = 0;
  std::uint64_t* step_target = nullptr;

  /// Moves the staged tensors into the model: swaps only, so it cannot throw or fail halfway.
  void commit() noexcept {
    for (std::size_t i = 0; i < values.size(); ++i) targets[i]->swap(values[i]);
    if (step_target != nullptr) *step_target = step_count;
  }
};

template <class Params, class Opt>
checkpoint_stage stage_checkpoint(std::istream& is, Params& params, Opt* opt, const std::string& source) {
  const std::string payload = read_checkpoint_bytes(is, source);
  const parsed_checkpoint parsed = parse_checkpoint_payload(payload, source);

  checkpoint_stage stage;
  stage_section(
      parsed.params,
      [&](auto&& f) { for_each_parameter(params, [&](std::string_view name, parameter& p) { f(name, p.value); }); },
      "parameter", source, stage.values, stage.targets);
  if constexpr (!std::same_as<Opt, no_optimizer>) {
    if (opt != nullptr) {
      if (!parsed.has_optimizer)
        throw checkpoint_missing_entry("checkpoint " + source +
                                       ": an optimizer was given but the checkpoint has no optimizer state "
                                       "(it was saved without one)");
      stage_section(
          parsed.states, [&](auto&& f) { opt->for_each_state([&](std::string_view name, tensor& t) { f(name, t); }); },
          "optimizer state", source, stage.values, stage.targets);
      stage.step_count = parsed.step_count;
      stage.step_target = &opt->step_count();
    }
  }
  return stage;
}

inline std::string describe_path(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace detail

// ---- saving -------------------------------------------------------------------------

/// Writes a checkpoint of `params` and, if `opt` is given, of the optimiser's state and
/// step count to `os`. Throws `checkpoint_io_error` if the stream fails.
template <ParameterStruct Params, detail::optimizer_or_none Opt = no_optimizer>
void save_checkpoint(std::ostream& os, const Params& params, const Opt* opt = nullptr) {
  const std::string bytes = detail::serialize_checkpoint(params, opt);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!os) throw checkpoint_io_error("cannot write checkpoint: the output stream failed");
}

/// Writes a checkpoint to `path` atomically: into a temporary file next to it, then
/// renamed over it, so a crash never leaves a half-written checkpoint at `path`.
/// Throws `checkpoint_io_error` naming the path (the old file, if any, is then untouched).
template <ParameterStruct Params, detail::optimizer_or_none Opt = no_optimizer>
void save_checkpoint(const std::filesystem::path& path, const Params& params, const Opt* opt = nullptr) {
  const std::string bytes = detail::serialize_checkpoint(params, opt);
  detail::write_file_atomically<checkpoint_io_error>(path, bytes, "checkpoint");
}

/// Saves a model's `parameters()` and, if it has one, its `optimizer()` state.
template <class M>
  requires CheckpointableModel<M>
void save_checkpoint(std::ostream& os, M& model) {
  if constexpr (detail::model_with_optimizer<M>)
    save_checkpoint(os, model.parameters(), &model.optimizer());
  else
    save_checkpoint(os, model.parameters());
}

/// Saves a model's `parameters()` and, if it has one, its `optimizer()` state to `path`
/// (atomically, as above).
template <class M>
  requires CheckpointableModel<M>
void save_checkpoint(const std::filesystem::path& path, M& model) {
  if constexpr (detail::model_with_optimizer<M>)
    save_checkpoint(path, model.parameters(), &model.optimizer());
  else
    save_checkpoint(path, model.parameters());
}

// ---- loading ------------------------------------------------------------------------

/// Reads a checkpoint from `is` into `params` and, if `opt` is given, into the optimiser's
/// state and step count. Every entry of the model must be in the file with the same shape,
/// and every parameter entry of the file must be in the model (the file's optimiser state
/// is ignored when no optimiser is given). Reads exactly the checkpoint's bytes.
///
/// Throws `checkpoint_truncated`, `checkpoint_corrupt`, `checkpoint_bad_magic`,
/// `checkpoint_version_error`, `checkpoint_missing_entry`, `checkpoint_unexpected_entry`,
/// `checkpoint_shape_mismatch` or `checkpoint_io_error`; then `params` and `opt` are
/// exactly as they were (strong guarantee).
template <ParameterStruct Params, detail::optimizer_or_none Opt = no_optimizer>
  requires(!std::is_const_v<Params> && !std::is_const_v<Opt>)
void load_checkpoint(std::istream& is, Params& params, Opt* opt = nullptr) {
  auto stage = detail::stage_checkpoint(is, params, opt, "stream");
  stage.commit();
}

/// Reads a checkpoint file into `params` (and `opt`), as the stream overload; the file
/// must hold exactly one checkpoint. Error messages name the path.
template <ParameterStruct Params, detail::optimizer_or_none Opt = no_optimizer>
  requires(!std::is_const_v<Params> && !std::is_const_v<Opt>)
void load_checkpoint(const std::filesystem::path& path, Params& params, Opt* opt = nullptr) {
  const std::string source = detail::describe_path(path);
  std::ifstream is(path, std::ios::binary);
  if (!is) throw checkpoint_io_error(detail::io_message("cannot open checkpoint", path, errno));
  auto stage = detail::stage_checkpoint(is, params, opt, source);
  if (is.peek() != std::ifstream::traits_type::eof())
    throw checkpoint_corrupt("checkpoint " + source + ": corrupt: unexpected bytes after the end of the checkpoint");
  stage.commit();
}

/// Loads a model's `parameters()` and, if it has one, its `optimizer()` state.
template <class M>
  requires(CheckpointableModel<M> && !std::is_const_v<M>)
void load_checkpoint(std::istream& is, M& model) {
  if constexpr (detail::model_with_optimizer<M>)
    load_checkpoint(is, model.parameters(), &model.optimizer());
  else
    load_checkpoint(is, model.parameters());
}

/// Loads a model's `parameters()` and, if it has one, its `optimizer()` state from `path`.
template <class M>
  requires(CheckpointableModel<M> && !std::is_const_v<M>)
void load_checkpoint(const std::filesystem::path& path, M& model) {
  if constexpr (detail::model_with_optimizer<M>)
    load_checkpoint(path, model.parameters(), &model.optimizer());
  else
    load_checkpoint(path, model.parameters());
}

}  // namespace aida::nn
