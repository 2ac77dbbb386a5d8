// Checkpoints (nn/checkpoint.hpp): bit-exact round trips of parameters and optimiser
// state, and a distinct, clear error for every kind of damaged or mismatched file, after
// which the model and optimiser are bit-for-bit what they were.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/checkpoint.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using aida::nn::parameter;
using aida::nn::tensor;
using ::testing::HasSubstr;

// ---- a small model of our own ---------------------------------------------------------

struct layer_params {
  BOOST_HANA_DEFINE_STRUCT(layer_params, (parameter, weight), (parameter, bias));
};

struct test_params {
  BOOST_HANA_DEFINE_STRUCT(test_params, (parameter, embedding), (layer_params, hidden), (layer_params, out));
  test_params(Eigen::Index vocab, Eigen::Index width, Eigen::Index hidden_size) {
    embedding = parameter(vocab, width);
    hidden.weight = parameter(width, hidden_size);
    hidden.bias = parameter(1, hidden_size);
    out.weight = parameter(hidden_size, 1);
    out.bias = parameter(1, 1);
  }
};

// The same model with one more parameter (for "the checkpoint lacks an entry").
struct test_params_plus {
  BOOST_HANA_DEFINE_STRUCT(test_params_plus, (parameter, embedding), (layer_params, hidden), (layer_params, out),
                           (parameter, gate));
  test_params_plus(Eigen::Index vocab, Eigen::Index width, Eigen::Index hidden_size) {
    embedding = parameter(vocab, width);
    hidden.weight = parameter(width, hidden_size);
    hidden.bias = parameter(1, hidden_size);
    out.weight = parameter(hidden_size, 1);
    out.bias = parameter(1, 1);
    gate = parameter(1, 2);
  }
};

// The same model with one parameter fewer (for "the checkpoint has an extra entry").
struct test_params_minus {
  BOOST_HANA_DEFINE_STRUCT(test_params_minus, (parameter, embedding), (layer_params, hidden));
  test_params_minus(Eigen::Index vocab, Eigen::Index width, Eigen::Index hidden_size) {
    embedding = parameter(vocab, width);
    hidden.weight = parameter(width, hidden_size);
    hidden.bias = parameter(1, hidden_size);
  }
};

/// An Adam-like optimiser state of our own: two moments per parameter and a step count.
struct test_optimizer {
  std::vector<std::string> names;
  std::vector<tensor> m, v;
  std::uint64_t steps = 0;

  template <class Params>
  explicit test_optimizer(Params& params) {
    aida::nn::for_each_parameter(params, [&](std::string_view name, parameter& p) {
      names.emplace_back(name);
      m.push_back(tensor::Zero(p.rows(), p.cols()));
      v.push_back(tensor::Zero(p.rows(), p.cols()));
    });
  }
  template <class F>
  void for_each_state(F&& f) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      f(names[i] + ".m", m[i]);
      f(names[i] + ".v", v[i]);
    }
  }
  std::uint64_t& step_count() { return steps; }
};
static_assert(aida::nn::OptimizerState<test_optimizer>);

/// A model as the checkpoint overloads expect one: parameters() and optimizer().
struct test_model {
  test_params params;
  test_optimizer opt;
  explicit test_model(Eigen::Index hidden_size = 5) : params(7, 3, hidden_size), opt(params) {}
  test_params& parameters() { return params; }
  const test_params& parameters() const { return params; }
  test_optimizer& optimizer() { return opt; }
  const test_optimizer& optimizer() const { return opt; }
};
static_assert(aida::nn::CheckpointableModel<test_model>);
static_assert(aida::nn::CheckpointableModel<const test_model>);
static_assert(!aida::nn::CheckpointableModel<test_params>);  // a parameter struct is not a model

void fill_random(tensor& t, aida::sampler& rng) {
  for (Eigen::Index i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(rng.uniform() * 4.0 - 2.0);
}

void randomize(test_model& model, aida::sampler& rng) {
  aida::nn::for_each_parameter(model.params, [&](std::string_view, parameter& p) { fill_random(p.value, rng); });
  model.opt.for_each_state([&](std::string_view, tensor& t) { fill_random(t, rng); });
  model.opt.steps = rng.next() >> 1;
}

/// Every byte of every parameter value, optimiser state and the step count, in order:
/// equal snapshots mean bit-for-bit equal models.
template <class Params>
std::string snapshot(Params& params, test_optimizer* opt = nullptr) {
  std::string bytes;
  auto add = [&](std::string_view name, const tensor& t) {
    bytes += name;
    bytes += '|' + std::to_string(t.rows()) + 'x' + std::to_string(t.cols()) + '|';
    bytes.append(reinterpret_cast<const char*>(t.data()), static_cast<std::size_t>(t.size()) * sizeof(float));
  };
  aida::nn::for_each_parameter(params, [&](std::string_view name, parameter& p) { add(name, p.value); });
  if (opt != nullptr) {
    opt->for_each_state(add);
    bytes += std::to_string(opt->steps);
  }
  return bytes;
}
std::string snapshot(test_model& model) { return snapshot(model.params, &model.opt); }

std::string save_to_string(test_model& model) {
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, model);
  return os.str();
}

template <class Model>
void load_from_string(const std::string& bytes, Model& model) {
  std::istringstream is(bytes, std::ios::binary);
  aida::nn::load_checkpoint(is, model);
}

using aida_test::temp_dir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream is(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---- the checksum -------------------------------------------------------------------

TEST(Checkpoint, Crc32MatchesTheStandardCheckValue) {
  // 0xCBF43926 is the published check value of CRC-32/ISO-HDLC (the zlib/PNG CRC) for "123456789".
  EXPECT_EQ(aida::nn::detail::crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(aida::nn::detail::crc32(""), 0u);
  // Incremental use gives the same result as one pass.
  EXPECT_EQ(aida::nn::detail::crc32("6789", aida::nn::detail::crc32("12345")), 0xCBF43926u);
}

TEST(Checkpoint, Crc32AgreesWithTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  // The bit-at-a-time definition of the reflected CRC, against the table-driven one, for
  // lengths 0..40 (every tail length of the 8-byte loop) at four offsets into random data.
  auto reference = [](std::string_view s) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (const char ch : s) {
      c ^= static_cast<unsigned char>(ch);
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
  };
  aida::sampler rng(aida_test::seed());
  std::string data(64, '\0');
  for (char& ch : data) ch = static_cast<char>(rng.next() & 0xFFu);
  for (std::size_t offset = 0; offset < 4; ++offset)
    for (std::size_t len = 0; len <= 40; ++len) {
      const std::string_view s(data.data() + offset, len);
      EXPECT_EQ(aida::nn::detail::crc32(s), reference(s)) << "offset " << offset << " length " << len;
    }
}

// ---- round trips --------------------------------------------------------------------

TEST(Checkpoint, RoundTripIsBitExactThroughAStream) {
  aida::sampler rng(aida_test::seed());
  test_model saved;
  randomize(saved, rng);
  // Values a text format or a careless conversion would lose.
  saved.params.embedding.value(0, 0) = -0.0f;
  saved.params.embedding.value(0, 1) = std::numeric_limits<float>::denorm_min();
  saved.params.embedding.value(0, 2) = std::numeric_limits<float>::infinity();
  saved.params.embedding.value(1, 0) = std::bit_cast<float>(std::uint32_t{0x7FC01234u});  // NaN with a payload
  saved.opt.steps = 0xFEDCBA9876543210u;  // all 64 bits of the step count matter
  const std::string bytes = save_to_string(saved);

  test_model loaded;
  aida::sampler other(aida_test::seed() + 1);
  randomize(loaded, other);
  ASSERT_NE(snapshot(loaded), snapshot(saved));
  load_from_string(bytes, loaded);
  EXPECT_EQ(snapshot(loaded), snapshot(saved));
  EXPECT_EQ(loaded.opt.steps, 0xFEDCBA9876543210u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(loaded.params.embedding.value(1, 0)), 0x7FC01234u);
  EXPECT_TRUE(std::signbit(loaded.params.embedding.value(0, 0)));
}

TEST(Checkpoint, RoundTripThroughAFileLeavesNoTemporaryBehind) {
  temp_dir dir;
  aida::sampler rng(aida_test::seed());
  test_model saved;
  randomize(saved, rng);
  const auto path = dir.path / "model.ckpt";
  aida::nn::save_checkpoint(path, saved);
  EXPECT_EQ(read_file(path), save_to_string(saved));  // the file holds exactly the stream format

  test_model loaded;
  aida::nn::load_checkpoint(path, loaded);
  EXPECT_EQ(snapshot(loaded), snapshot(saved));

  // Saving again replaces the file; the temporary file was renamed, not left next to it.
  randomize(saved, rng);
  aida::nn::save_checkpoint(path, saved);
  aida::nn::load_checkpoint(path, loaded);
  EXPECT_EQ(snapshot(loaded), snapshot(saved));
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) files.push_back(entry.path().filename());
  EXPECT_THAT(files, ::testing::ElementsAre("model.ckpt"));
}

TEST(Checkpoint, ParametersAloneAndExplicitOptimizerOverloads) {
  aida::sampler rng(aida_test::seed());
  test_model saved;
  randomize(saved, rng);

  // Parameters only: the optimiser of the loading model keeps its own state.
  std::ostringstream params_only(std::ios::binary);
  aida::nn::save_checkpoint(params_only, saved.params);
  test_model loaded;
  aida::sampler other(aida_test::seed() + 1);
  randomize(loaded, other);
  std::string opt_before;
  loaded.opt.for_each_state([&](std::string_view, const tensor& t) {
    opt_before.append(reinterpret_cast<const char*>(t.data()), static_cast<std::size_t>(t.size()) * sizeof(float));
  });
  const std::uint64_t steps_before = loaded.opt.steps;
  {
    std::istringstream is(params_only.str(), std::ios::binary);
    aida::nn::load_checkpoint(is, loaded.params);
  }
  EXPECT_EQ(snapshot(loaded.params), snapshot(saved.params));
  std::string opt_after;
  loaded.opt.for_each_state([&](std::string_view, const tensor& t) {
    opt_after.append(reinterpret_cast<const char*>(t.data()), static_cast<std::size_t>(t.size()) * sizeof(float));
  });
  EXPECT_EQ(opt_after, opt_before);
  EXPECT_EQ(loaded.opt.steps, steps_before);

  // Loading that file *with* an optimiser asks for state the file does not have.
  {
    std::istringstream is(params_only.str(), std::ios::binary);
    EXPECT_THROW(aida::nn::load_checkpoint(is, loaded.params, &loaded.opt), aida::nn::checkpoint_missing_entry);
  }

  // A checkpoint with optimiser state loads into parameters alone (inference use).
  test_params bare(7, 3, 5);
  load_from_string(save_to_string(saved), bare);
  EXPECT_EQ(snapshot(bare), snapshot(saved.params));

  // A const model can be saved.
  const test_model& as_const = saved;
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, as_const);
  EXPECT_EQ(os.str(), save_to_string(saved));
}

// ---- damaged files: each kind has its own error, and the model is untouched ------------

/// Loads `bytes` into a randomised model, expects `Error` with a message containing
/// `needle`, and checks that the model is bit-for-bit unchanged.
template <class Error>
void expect_rejected(const std::string& bytes, const std::string& needle, const std::string& context) {
  SCOPED_TRACE(context);
  aida::sampler rng(aida_test::seed() + 7);
  test_model model;
  randomize(model, rng);
  const std::string before = snapshot(model);
  try {
    load_from_string(bytes, model);
    ADD_FAILURE() << "loading a damaged checkpoint did not throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(needle));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
  EXPECT_EQ(snapshot(model), before) << "the model changed although loading failed";
}

class DamagedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    aida::sampler rng(aida_test::seed());
    test_model model;
    randomize(model, rng);
    good = save_to_string(model);
  }
  std::string good;
};

TEST_F(DamagedCheckpoint, TruncationAtEveryOffsetIsReportedAsTruncation) {
  // Every proper prefix of the file, including the empty one.
  for (std::size_t n = 0; n < good.size(); ++n)
    expect_rejected<aida::nn::checkpoint_truncated>(good.substr(0, n), "truncated", "prefix of " + std::to_string(n) + " bytes");
}

TEST_F(DamagedCheckpoint, EveryFlippedPayloadByteIsReportedAsCorruption) {
  // A CRC-32 catches every error confined to 32 consecutive bits, so this cannot pass by luck.
  for (std::size_t i = aida::nn::detail::checkpoint_header_size; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    expect_rejected<aida::nn::checkpoint_corrupt>(bad, "checksum", "byte " + std::to_string(i));
  }
}

TEST_F(DamagedCheckpoint, EveryFlippedHeaderByteIsRejected) {
  // Magic, version, flags, size and checksums: each damaged byte gives some checkpoint error
  // (which one depends on the field), never a silent load.
  for (std::size_t i = 0; i < aida::nn::detail::checkpoint_header_size; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    expect_rejected<aida::nn::checkpoint_error>(bad, "checkpoint", "header byte " + std::to_string(i));
  }
  // A damaged checksum field or flags field is corruption, not something else.
  for (std::size_t i : {12u, 16u, 24u, 28u}) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    expect_rejected<aida::nn::checkpoint_corrupt>(bad, "corrupt", "header byte " + std::to_string(i));
  }
}

TEST_F(DamagedCheckpoint, WrongMagicIsNotACheckpoint) {
  std::string bad = good;
  bad[0] = 'X';
  expect_rejected<aida::nn::checkpoint_bad_magic>(bad, "not an aida checkpoint", "wrong magic");
  expect_rejected<aida::nn::checkpoint_bad_magic>("PK\x03\x04 a zip file", "not an aida checkpoint", "zip");
  expect_rejected<aida::nn::checkpoint_bad_magic>(std::string("\x93NUMPY"), "not an aida checkpoint", "npy prefix");
}

TEST_F(DamagedCheckpoint, FutureVersionIsReportedWithBothVersions) {
  std::string bad = good;
  bad[8] = 2;  // version field, little-endian u32 at offset 8
  expect_rejected<aida::nn::checkpoint_version_error>(bad, "format version 2 is not supported", "version 2");
  expect_rejected<aida::nn::checkpoint_version_error>(bad, "reads version 1", "version 2");
}

TEST_F(DamagedCheckpoint, TrailingBytesInAFileAreCorruption) {
  temp_dir dir;
  const auto path = dir.path / "trailing.ckpt";
  write_file(path, good + "x");
  aida::sampler rng(aida_test::seed() + 7);
  test_model model;
  randomize(model, rng);
  const std::string before = snapshot(model);
  try {
    aida::nn::load_checkpoint(path, model);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_corrupt& e) {
    EXPECT_THAT(e.what(), HasSubstr("unexpected bytes after the end"));
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
  EXPECT_EQ(snapshot(model), before);
}

// ---- intact files that do not fit the model -------------------------------------------

TEST(CheckpointMismatch, OtherHiddenSizeNamesTheEntryAndBothShapes) {
  aida::sampler rng(aida_test::seed());
  test_model saved(5);
  randomize(saved, rng);
  const std::string bytes = save_to_string(saved);

  test_model other(6);
  randomize(other, rng);
  const std::string before = snapshot(other);
  try {
    load_from_string(bytes, other);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_shape_mismatch& e) {
    // hidden.weight is the first entry whose shape depends on the hidden size.
    EXPECT_THAT(e.what(), HasSubstr("'hidden.weight'"));
    EXPECT_THAT(e.what(), HasSubstr("[3 x 5] in the checkpoint"));
    EXPECT_THAT(e.what(), HasSubstr("[3 x 6] in the model"));
  }
  EXPECT_EQ(snapshot(other), before);
}

TEST(CheckpointMismatch, ShapeMismatchOnTheLastEntryLeavesEarlierEntriesUntouched) {
  // Every entry but the last fits, so a loader that committed as it went would have
  // changed the model before finding the problem.
  aida::sampler rng(aida_test::seed());
  test_params saved(7, 3, 5);
  aida::nn::for_each_parameter(saved, [&](std::string_view, parameter& p) { fill_random(p.value, rng); });
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, saved);

  test_params target(7, 3, 5);
  target.out.bias = parameter(1, 2);
  aida::nn::for_each_parameter(target, [&](std::string_view, parameter& p) { fill_random(p.value, rng); });
  const std::string before = snapshot(target);
  std::istringstream is(os.str(), std::ios::binary);
  EXPECT_THROW(aida::nn::load_checkpoint(is, target), aida::nn::checkpoint_shape_mismatch);
  EXPECT_EQ(snapshot(target), before);
}

TEST(CheckpointMismatch, MissingEntryIsNamed) {
  aida::sampler rng(aida_test::seed());
  test_params saved(7, 3, 5);
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, saved);

  test_params_plus target(7, 3, 5);
  aida::nn::for_each_parameter(target, [&](std::string_view, parameter& p) { fill_random(p.value, rng); });
  const std::string before = snapshot(target);
  std::istringstream is(os.str(), std::ios::binary);
  try {
    aida::nn::load_checkpoint(is, target);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_missing_entry& e) {
    EXPECT_THAT(e.what(), HasSubstr("parameter 'gate'"));
    EXPECT_THAT(e.what(), HasSubstr("no such entry"));
  }
  EXPECT_EQ(snapshot(target), before);
}

TEST(CheckpointMismatch, UnexpectedEntryIsNamed) {
  aida::sampler rng(aida_test::seed());
  test_params saved(7, 3, 5);
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, saved);

  test_params_minus target(7, 3, 5);
  aida::nn::for_each_parameter(target, [&](std::string_view, parameter& p) { fill_random(p.value, rng); });
  const std::string before = snapshot(target);
  std::istringstream is(os.str(), std::ios::binary);
  try {
    aida::nn::load_checkpoint(is, target);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_unexpected_entry& e) {
    EXPECT_THAT(e.what(), HasSubstr("parameter 'out.weight'"));
    EXPECT_THAT(e.what(), HasSubstr("the model has no such entry"));
  }
  EXPECT_EQ(snapshot(target), before);
}

// Derived types let a caller handle "wrong model" apart from "damaged file".
static_assert(std::is_base_of_v<aida::nn::checkpoint_mismatch, aida::nn::checkpoint_missing_entry>);
static_assert(std::is_base_of_v<aida::nn::checkpoint_mismatch, aida::nn::checkpoint_unexpected_entry>);
static_assert(std::is_base_of_v<aida::nn::checkpoint_mismatch, aida::nn::checkpoint_shape_mismatch>);
static_assert(!std::is_base_of_v<aida::nn::checkpoint_mismatch, aida::nn::checkpoint_corrupt>);
static_assert(std::is_base_of_v<aida::error, aida::nn::checkpoint_error>);

// ---- I/O errors name the path ---------------------------------------------------------

TEST(CheckpointIo, MissingFileNamesThePath) {
  temp_dir dir;
  const auto path = dir.path / "no_such.ckpt";
  test_model model;
  try {
    aida::nn::load_checkpoint(path, model);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
}

TEST(CheckpointIo, UnwritableDirectoryNamesThePathAndKeepsTheOldFile) {
  temp_dir dir;
  test_model model;
  const auto bad = dir.path / "no_such_dir" / "model.ckpt";
  try {
    aida::nn::save_checkpoint(bad, model);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string()));
  }

  // A failed save (here: a directory in the way of the rename) leaves the old state and no temporary.
  const auto blocked = dir.path / "blocked";
  std::filesystem::create_directories(blocked / "inside");
  EXPECT_THROW(aida::nn::save_checkpoint(blocked, model), aida::nn::checkpoint_io_error);
  EXPECT_TRUE(std::filesystem::is_directory(blocked / "inside"));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path)) ++entries;
  EXPECT_EQ(entries, 1u);  // only "blocked"
}

struct dup_optimizer {
  tensor a = tensor::Zero(1, 1);
  std::uint64_t steps = 0;
  template <class F>
  void for_each_state(F&& f) {
    f("same", a);
    f("same", a);
  }
  std::uint64_t& step_count() { return steps; }
};

TEST(CheckpointIo, DuplicateNamesAreRefusedBeforeWriting) {
  dup_optimizer opt;
  test_params params(2, 2, 2);
  std::ostringstream os(std::ios::binary);
  try {
    aida::nn::save_checkpoint(os, params, &opt);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'same'"));
  }
  EXPECT_TRUE(os.str().empty());
}

}  // namespace
