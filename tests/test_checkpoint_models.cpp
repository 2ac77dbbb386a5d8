// Checkpoints of the real models (char_model = ML, adversary_model = Adv): a round trip
// restores parameters, Adam moments and step count bit for bit, so predictions, scores and
// the next training step are identical; a damaged or mismatched file leaves the model
// untouched.
#include <bit>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aida/nn/adversary_model.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/checkpoint.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using aida::nn::adversary_model;
using aida::nn::char_model;
using aida::nn::embedding_vector;
using aida::nn::parameter;
using aida::nn::tensor;
using ::testing::HasSubstr;

// Small sizes: the point is the bookkeeping, not learning.
aida::nn::char_model_config ml_config(std::size_t hidden = 16) {
  aida::nn::char_model_config cfg;
  cfg.charset = "abc0123456+=";
  cfg.embedding = 8;
  cfg.hidden = hidden;
  cfg.max_answer_length = 8;
  cfg.seed = aida_test::seed();
  return cfg;
}

aida::nn::adversary_config adv_config() {
  aida::nn::adversary_config cfg;
  cfg.charset = "abc0123456+=";
  cfg.embedding = 8;
  cfg.hidden = 16;
  cfg.mlp_hidden = 12;
  cfg.model_output_size = 16;
  cfg.seed = aida_test::seed() + 1;
  return cfg;
}

const std::vector<std::string> questions = {"1+2=", "a0", "cab", "3+3=", "b", "012"};

std::vector<aida::model_target<std::string, std::string>> ml_batch(int shift) {
  const std::vector<std::string> answers = {"3", "0a", "bac", "6", "bb", "210"};
  std::vector<aida::model_target<std::string, std::string>> batch;
  for (std::size_t i = 0; i < questions.size(); ++i)
    batch.push_back({.query = questions[(i + static_cast<std::size_t>(shift)) % questions.size()], .target = answers[i]});
  return batch;
}

std::vector<aida::adversary_target<std::string, embedding_vector>> adv_batch(char_model& ml, int shift) {
  std::vector<aida::adversary_target<std::string, embedding_vector>> batch;
  for (std::size_t i = 0; i < questions.size(); ++i)
    batch.push_back({.query = questions[i],
                     .output = ml.predict(questions[i]),
                     .target = -static_cast<double>(i + static_cast<std::size_t>(shift))});
  return batch;
}

/// Every bit of every parameter value, Adam moment and the step count.
template <class Model>
std::string snapshot(Model& model) {
  std::string bytes;
  auto add = [&](std::string_view name, const tensor& t) {
    bytes += name;
    bytes += '|' + std::to_string(t.rows()) + 'x' + std::to_string(t.cols()) + '|';
    bytes.append(reinterpret_cast<const char*>(t.data()), static_cast<std::size_t>(t.size()) * sizeof(float));
  };
  aida::nn::for_each_parameter(model.parameters(), [&](std::string_view name, const parameter& p) { add(name, p.value); });
  model.optimizer().for_each_state(add);
  bytes += '#' + std::to_string(model.optimizer().step_count());
  return bytes;
}

bool bit_equal(const tensor& a, const tensor& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](float x, float y) { return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y); });
}

using aida_test::temp_dir;

class ModelCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    // A few steps first, so that Adam's moments and step count are not their initial zeros.
    for (int s = 0; s < 3; ++s) {
      ml.train_step(ml_batch(s));
      adv.train_step(adv_batch(ml, s));
    }
    ASSERT_EQ(ml.optimizer().step_count(), 3u);
    ASSERT_EQ(adv.optimizer().step_count(), 3u);
  }
  char_model ml{ml_config()};
  adversary_model adv{adv_config()};
  temp_dir dir;
};

TEST_F(ModelCheckpoint, SavePerturbLoadRestoresEverythingBitForBit) {
  const auto ml_path = dir.path / "ml.ckpt";
  const auto adv_path = dir.path / "adv.ckpt";
  aida::nn::save_checkpoint(ml_path, ml);
  aida::nn::save_checkpoint(adv_path, adv);

  const std::string ml_saved = snapshot(ml);
  const std::string adv_saved = snapshot(adv);
  std::vector<embedding_vector> outputs;
  std::vector<double> scores;
  std::vector<double> log_probs;
  for (const auto& q : questions) {
    outputs.push_back(ml.predict(q));
    scores.push_back(adv.score(q, outputs.back()));
    log_probs.push_back(ml.log_prob(outputs.back(), "ab"));
  }

  // Perturb: one more training step changes parameters, moments and step counts.
  ml.train_step(ml_batch(5));
  adv.train_step(adv_batch(ml, 5));
  ASSERT_NE(snapshot(ml), ml_saved);
  ASSERT_NE(snapshot(adv), adv_saved);
  ASSERT_FALSE(bit_equal(ml.predict(questions[0]).value, outputs[0].value));

  aida::nn::load_checkpoint(ml_path, ml);
  aida::nn::load_checkpoint(adv_path, adv);
  EXPECT_EQ(snapshot(ml), ml_saved);
  EXPECT_EQ(snapshot(adv), adv_saved);
  EXPECT_EQ(ml.optimizer().step_count(), 3u);
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const embedding_vector o = ml.predict(questions[i]);
    EXPECT_TRUE(bit_equal(o.value, outputs[i].value)) << questions[i];
    EXPECT_EQ(adv.score(questions[i], o), scores[i]) << questions[i];  // exact: same bits in, same bits out
    EXPECT_EQ(ml.log_prob(o, "ab"), log_probs[i]) << questions[i];
  }
}

TEST_F(ModelCheckpoint, TrainingResumesExactlyAsIfNeverInterrupted) {
  // The step after a restore equals the step taken without one: Adam's moments and its
  // bias-correction step count came back too, not only the weights.
  std::stringstream ml_ckpt(std::ios::in | std::ios::out | std::ios::binary);
  std::stringstream adv_ckpt(std::ios::in | std::ios::out | std::ios::binary);
  aida::nn::save_checkpoint(ml_ckpt, ml);
  aida::nn::save_checkpoint(adv_ckpt, adv);

  ml.train_step(ml_batch(4));
  adv.train_step(adv_batch(ml, 4));
  const std::string ml_continued = snapshot(ml);
  const std::string adv_continued = snapshot(adv);

  // A fresh model from another seed, loaded from the checkpoint, takes the same step.
  auto other_ml_cfg = ml_config();
  other_ml_cfg.seed += 100;
  char_model resumed_ml(other_ml_cfg);
  auto other_adv_cfg = adv_config();
  other_adv_cfg.seed += 100;
  adversary_model resumed_adv(other_adv_cfg);
  aida::nn::load_checkpoint(ml_ckpt, resumed_ml);
  aida::nn::load_checkpoint(adv_ckpt, resumed_adv);
  resumed_ml.train_step(ml_batch(4));
  resumed_adv.train_step(adv_batch(resumed_ml, 4));
  EXPECT_EQ(snapshot(resumed_ml), ml_continued);
  EXPECT_EQ(snapshot(resumed_adv), adv_continued);
}

TEST_F(ModelCheckpoint, OtherHiddenSizeIsAShapeMismatchAndLeavesTheModelUntouched) {
  std::stringstream ckpt(std::ios::in | std::ios::out | std::ios::binary);
  aida::nn::save_checkpoint(ckpt, ml);

  char_model wider(ml_config(24));
  wider.train_step(ml_batch(1));
  const std::string before = snapshot(wider);
  try {
    aida::nn::load_checkpoint(ckpt, wider);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_shape_mismatch& e) {
    // The message names an entry of the encoder (the first whose shape depends on hidden)
    // and a shape with 16 in the file next to one with 24 in the model.
    EXPECT_THAT(e.what(), HasSubstr("parameter 'encoder."));
    EXPECT_THAT(e.what(), ::testing::ContainsRegex("\\[[0-9]+ x [0-9]+\\] in the checkpoint but \\[[0-9]+ x [0-9]+\\] in the model"));
    EXPECT_THAT(e.what(), ::testing::ContainsRegex("(16|48)\\] in the checkpoint"));
    EXPECT_THAT(e.what(), ::testing::ContainsRegex("(24|72)\\] in the model"));
  }
  EXPECT_EQ(snapshot(wider), before);
}

TEST_F(ModelCheckpoint, AnotherModelsCheckpointIsAMissingEntry) {
  // Adv's encoder has the same shapes as ML's here, so the first problem is that ML's
  // checkpoint has no MLP head.
  std::stringstream ckpt(std::ios::in | std::ios::out | std::ios::binary);
  aida::nn::save_checkpoint(ckpt, ml);
  const std::string before = snapshot(adv);
  try {
    aida::nn::load_checkpoint(ckpt, adv);
    ADD_FAILURE() << "no error";
  } catch (const aida::nn::checkpoint_missing_entry& e) {
    EXPECT_THAT(e.what(), HasSubstr("parameter 'head."));
    EXPECT_THAT(e.what(), HasSubstr("no such entry"));
  }
  EXPECT_EQ(snapshot(adv), before);
}

TEST_F(ModelCheckpoint, DamagedFilesAreRejectedAndTheModelIsUntouched) {
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, ml);
  const std::string good = os.str();
  ml.train_step(ml_batch(2));  // so that a wrong load would be visible
  const std::string before = snapshot(ml);

  auto load = [&](const std::string& bytes) {
    std::istringstream is(bytes, std::ios::binary);
    aida::nn::load_checkpoint(is, ml);
  };
  // Truncation at a spread of offsets (every offset of a small file is in test_checkpoint).
  for (std::size_t n = 0; n < good.size(); n += 1 + n / 8) {
    SCOPED_TRACE(n);
    EXPECT_THROW(load(good.substr(0, n)), aida::nn::checkpoint_truncated);
  }
  EXPECT_THROW(load(good.substr(0, good.size() - 1)), aida::nn::checkpoint_truncated);
  // A flipped bit in the middle of the weights.
  std::string bad = good;
  bad[good.size() / 2] = static_cast<char>(bad[good.size() / 2] ^ 0x04);
  EXPECT_THROW(load(bad), aida::nn::checkpoint_corrupt);
  EXPECT_EQ(snapshot(ml), before);

  load(good);  // and the intact file still loads
  EXPECT_NE(snapshot(ml), before);
}

}  // namespace
