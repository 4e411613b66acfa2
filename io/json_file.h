// Reading fields of the JSON files model directories carry (config.json, tokenizer.json, ...).
//
// nlohmann's get<T>() converts a number of any kind to any arithmetic T with a plain cast, so
// "hidden_size": 1e300 is undefined behaviour and 4294967680 silently becomes 384. These helpers
// accept a field only when its value fits T exactly, and otherwise throw ModelError naming the file
// and the key.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/errors.h"

namespace simscore::io {

// The whole file's bytes (vocab.txt, a SentencePiece model, a JSON file); ModelError when it cannot
// be opened.
std::string read_model_file(const std::filesystem::path& path);

// The parsed file; ModelError when it cannot be opened or is not JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

// `value` as T when it is exactly representable: an integer (or an integral float) in T's range
// for integral T, a finite number within T's range for floating T, a boolean for bool, a string
// for std::string. nullopt otherwise.
template <typename T>
std::optional<T> json_as(const nlohmann::json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    if (value.is_boolean()) return value.get<bool>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (value.is_string()) return value.get<std::string>();
  } else if constexpr (std::is_integral_v<T>) {
    using Limits = std::numeric_limits<T>;
    if (value.is_number_unsigned()) {
      const auto v = value.get<uint64_t>();
      if (v <= static_cast<uint64_t>(Limits::max())) return static_cast<T>(v);
    } else if (value.is_number_integer()) {
      const auto v = value.get<int64_t>();
      if (v >= static_cast<int64_t>(Limits::min()) &&
          (v < 0 || static_cast<uint64_t>(v) <= static_cast<uint64_t>(Limits::max())))
        return static_cast<T>(v);
    } else if (value.is_number_float()) {
      const double v = value.get<double>();
      // Both bounds are exact doubles: min is 0 or -2^k, max + 1 is 2^k.
      const double upper = static_cast<double>(Limits::max() / 2 + 1) * 2.0;
      if (v == std::floor(v) && v >= static_cast<double>(Limits::min()) && v < upper)
        return static_cast<T>(v);
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (value.is_number()) {
      const double v = value.get<double>();
      if (std::isfinite(v) && std::fabs(v) <= static_cast<double>(std::numeric_limits<T>::max()))
        return static_cast<T>(v);
    }
  } else {
    static_assert(std::is_same_v<T, bool>, "json_as: unsupported type");
  }
  return std::nullopt;
}

// `object[key]` as T; nullopt when `object` is not an object, lacks the key or holds null there.
// ModelError when the value does not fit T.
template <typename T>
std::optional<T> json_optional(const nlohmann::json& object, const char* key,
                               const std::filesystem::path& file) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (auto value = json_as<T>(*it)) return value;
  throw ModelError(file.string() + ": \"" + key + "\" is " + it->dump() + ", which is not a valid " +
                   (std::is_same_v<T, bool>          ? "boolean"
                    : std::is_same_v<T, std::string> ? "string"
                    : std::is_integral_v<T>          ? "integer here"
                                                     : "number here"));
}

// `object[key]` as T, or `fallback` where json_optional gives nullopt.
template <typename T>
T json_field(const nlohmann::json& object, const char* key, T fallback,
             const std::filesystem::path& file) {
  return json_optional<T>(object, key, file).value_or(std::move(fallback));
}

// `object[key]` as T; ModelError when it is missing or does not fit T.
template <typename T>
T json_required(const nlohmann::json& object, const char* key, const std::filesystem::path& file) {
  if (!object.is_object() || !object.contains(key))
    throw ModelError(file.string() + ": missing \"" + key + "\"");
  if (auto value = json_optional<T>(object, key, file)) return *value;
  throw ModelError(file.string() + ": \"" + key + "\" is null");
}

}  // namespace simscore::io
