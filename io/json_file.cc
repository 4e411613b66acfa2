#include "io/json_file.h"

#include <fstream>
#include <sstream>

namespace simscore::io {

std::string read_model_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path.string() + ": cannot be opened");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string content = read_model_file(path);
  try {
    return nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace simscore::io
