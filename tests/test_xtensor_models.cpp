// xtensor interop with the real models: ML's embeddings and every parameter of a model
// export to .npy and read back bit for bit; views of a model's parameters alias them.
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aida/ext/xtensor.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/transformer_model.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using aida::nn::parameter;
using aida::nn::tensor;

bool bit_equal(const tensor& a, const tensor& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](float x, float y) { return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y); });
}

using aida_test::temp_dir;

aida::nn::char_model small_model() {
  aida::nn::char_model_config cfg;
  cfg.charset = "abc012";
  cfg.embedding = 6;
  cfg.hidden = 10;
  cfg.seed = aida_test::seed();
  return aida::nn::char_model(cfg);
}

TEST(XtensorModels, EmbeddingExportsAsOneRowAndReadsBack) {
  temp_dir dir;
  auto ml = small_model();
  const aida::nn::embedding_vector o = ml.predict("ab1");
  ASSERT_EQ(o.value.size(), 10);
  aida::ext::save_npy(dir.path / "o.npy", o);
  const xt::xarray<float> a = aida::ext::load_npy(dir.path / "o.npy");
  EXPECT_THAT(std::vector<std::size_t>(a.shape().begin(), a.shape().end()),
              ::testing::ElementsAre(static_cast<std::size_t>(o.value.rows()), static_cast<std::size_t>(o.value.cols())));
  EXPECT_TRUE(bit_equal(aida::ext::to_tensor(a), o.value));
}

TEST(XtensorModels, EveryParameterExportsUnderItsNameAndReadsBack) {
  temp_dir dir;
  auto ml = small_model();
  const auto written = aida::ext::save_parameters_npy(dir.path / "ml", ml.parameters());
  std::size_t count = 0;
  aida::nn::for_each_parameter(ml.parameters(), [&](std::string_view name, const parameter& p) {
    ASSERT_LT(count, written.size());
    EXPECT_EQ(written[count].filename().string(), std::string(name) + ".npy");
    EXPECT_TRUE(bit_equal(aida::ext::load_npy_tensor(written[count]), p.value)) << name;
    ++count;
  });
  EXPECT_EQ(count, written.size());
  EXPECT_GT(count, 4u);  // encoder and decoder, several tensors each
}

TEST(XtensorModels, TransformerLayersAndStatesExportUnderTheirNames) {
  temp_dir dir;
  aida::nn::transformer_config cfg;
  cfg.charset = "abc012";
  cfg.width = 8;
  cfg.heads = 2;
  cfg.feed_forward = 12;
  cfg.seed = aida_test::seed();
  aida::nn::transformer_model ml(cfg);
  const auto written = aida::ext::save_parameters_npy(dir.path / "ml", ml.parameters());
  std::size_t count = 0;
  aida::nn::for_each_parameter(ml.parameters(), [&](std::string_view name, const parameter& p) {
    ASSERT_LT(count, written.size());
    EXPECT_EQ(written[count].filename().string(), std::string(name) + ".npy");
    EXPECT_TRUE(bit_equal(aida::ext::load_npy_tensor(written[count]), p.value)) << name;
    ++count;
  });
  EXPECT_EQ(count, written.size());
  EXPECT_TRUE(std::filesystem::exists(dir.path / "ml" / "encoder.layers.1.self.query.weight.npy"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "ml" / "decoder.layers.1.cross.output.bias.npy"));
  // ML's output: one row per character of the question.
  const aida::nn::encoder_states o = ml.predict("ab1");
  aida::ext::save_npy(dir.path / "o.npy", o);
  const xt::xarray<float> a = aida::ext::load_npy(dir.path / "o.npy");
  EXPECT_THAT(std::vector<std::size_t>(a.shape().begin(), a.shape().end()), ::testing::ElementsAre(3u, 8u));
  EXPECT_TRUE(bit_equal(aida::ext::to_tensor(a), o.value));
}

TEST(XtensorModels, ViewOfAModelParameterAliasesIt) {
  auto ml = small_model();
  const auto before = ml.predict("abc");
  aida::nn::for_each_parameter(ml.parameters(), [&](std::string_view, parameter& p) {
    auto v = aida::ext::as_xtensor(p);
    EXPECT_EQ(v.data(), p.value.data());
    v.fill(0.0f);  // zero the whole model through views
  });
  aida::nn::for_each_parameter(ml.parameters(), [&](std::string_view name, const parameter& p) {
    EXPECT_TRUE(p.value.isZero(0.0f)) << name;
  });
  // With all-zero weights the encoder's output changed (GRU of zeros gives a zero state).
  const auto after = ml.predict("abc");
  EXPECT_FALSE(bit_equal(after.value, before.value));
  EXPECT_TRUE(after.value.isZero(0.0f));
}

}  // namespace
