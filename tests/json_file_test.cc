// io/json_file.h: numbers from model directories' JSON files are taken only when they fit the C++
// type exactly, and the files that use them (config.json here) reject the rest with the file named.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/errors.h"
#include "io/json_file.h"
#include "io/model_dir.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(JsonAs, IntegersMustFitTheType) {
  EXPECT_EQ(io::json_as<int32_t>(json::parse("2147483647")), 2147483647);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("-2147483648")), INT32_MIN);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("2147483648")), std::nullopt);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("-2147483649")), std::nullopt);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("4294967680")), std::nullopt);  // not 384
  EXPECT_EQ(io::json_as<uint64_t>(json::parse("-1")), std::nullopt);
  EXPECT_EQ(io::json_as<uint64_t>(json::parse("18446744073709551615")), UINT64_MAX);
  EXPECT_EQ(io::json_as<size_t>(json::parse("512")), 512u);
}

TEST(JsonAs, FloatsBecomeIntegersOnlyWhenIntegralAndInRange) {
  EXPECT_EQ(io::json_as<int32_t>(json::parse("512.0")), 512);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("512.5")), std::nullopt);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("1e300")), std::nullopt);  // was undefined behaviour
  EXPECT_EQ(io::json_as<int32_t>(json::parse("2147483648.0")), std::nullopt);
  EXPECT_EQ(io::json_as<int32_t>(json::parse("-2147483648.0")), INT32_MIN);
  EXPECT_EQ(io::json_as<int64_t>(json::parse("9.3e18")), std::nullopt);
  EXPECT_EQ(io::json_as<uint64_t>(json::parse("1.8446744073709552e19")), std::nullopt);
}

TEST(JsonAs, FloatingPointAndOtherKinds) {
  EXPECT_EQ(io::json_as<float>(json::parse("1e-12")), 1e-12f);
  EXPECT_EQ(io::json_as<float>(json::parse("3")), 3.0f);
  EXPECT_EQ(io::json_as<float>(json::parse("1e300")), std::nullopt);  // beyond float
  EXPECT_EQ(io::json_as<double>(json::parse("1e300")), 1e300);
  EXPECT_EQ(io::json_as<int>(json::parse("true")), std::nullopt);
  EXPECT_EQ(io::json_as<bool>(json::parse("1")), std::nullopt);
  EXPECT_EQ(io::json_as<std::string>(json::parse("5")), std::nullopt);
  EXPECT_EQ(io::json_as<std::string>(json::parse("\"gelu\"")), "gelu");
}

TEST(JsonField, FallbackOnlyForAbsentOrNull) {
  const fs::path file = "config.json";
  const json object = json::parse(R"({"a": null, "b": 7, "c": "x"})");
  EXPECT_EQ(io::json_field<int>(object, "a", 3, file), 3);
  EXPECT_EQ(io::json_field<int>(object, "missing", 3, file), 3);
  EXPECT_EQ(io::json_field<int>(object, "b", 3, file), 7);
  EXPECT_EQ(io::json_field<int>(json::array(), "b", 3, file), 3);
  try {
    io::json_field<int>(object, "c", 3, file);
    FAIL() << "a string read as an integer must be refused";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "config.json: \"c\" is \"x\", which is not a valid integer here");
  }
  EXPECT_THROW(io::json_required<int>(object, "a", file), ModelError);
  EXPECT_THROW(io::json_required<int>(object, "missing", file), ModelError);
  EXPECT_EQ(io::json_required<int>(object, "b", file), 7);
}

json small_config(const std::string& model_type) {
  json config = json::parse(R"({"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2,
      "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64})");
  config["model_type"] = model_type;
  return config;
}

// read_encoder_config's ModelError for `config` (which must name the file), or "(no error)".
std::string config_error(const json& config) {
  const fs::path path =
      fs::temp_directory_path() / ("simscore_json_test_" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << config.dump();
  std::string message = "(no error)";
  try {
    io::read_encoder_config(path);
  } catch (const ModelError& e) {
    message = e.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  }
  fs::remove(path);
  return message;
}

std::string bert_config_error(const std::string& field, const std::string& value) {
  json config = small_config("bert");
  config[field] = json::parse(value);
  return config_error(config);
}

TEST(EncoderConfigFile, RejectsNumbersThatDoNotFit) {
  EXPECT_NE(bert_config_error("hidden_size", "1e300").find("\"hidden_size\" is 1e+300"),
            std::string::npos);
  EXPECT_NE(bert_config_error("hidden_size", "4294967328").find("\"hidden_size\""), std::string::npos);
  EXPECT_NE(bert_config_error("layer_norm_eps", "1e300").find("\"layer_norm_eps\""), std::string::npos);
  EXPECT_NE(bert_config_error("type_vocab_size", "\"two\"").find("\"type_vocab_size\""),
            std::string::npos);
  EXPECT_NE(bert_config_error("hidden_act", "5").find("\"hidden_act\""), std::string::npos);
  EXPECT_NE(bert_config_error("num_hidden_layers", "null").find("\"num_hidden_layers\" is null"),
            std::string::npos);
  EXPECT_EQ(bert_config_error("hidden_size", "32.0"), "(no error)") << "an integral float is a size";
}

TEST(EncoderConfigFile, RobertaPadTokenMustLeavePositions) {
  json config = small_config("xlm-roberta");
  config["pad_token_id"] = 2147483647;  // pad_token_id + 1 overflowed int
  EXPECT_NE(config_error(config).find("pad_token_id 2147483647"), std::string::npos);
  config["pad_token_id"] = 1;
  EXPECT_EQ(config_error(config), "(no error)");
}

}  // namespace
}  // namespace simscore
