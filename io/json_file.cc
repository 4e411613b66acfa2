#include "io/json_file.h"

#include <fstream>
#include <sstream>

namespace simscore::io {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path.string() + ": cannot be opened");
  std::ostringstream content;
  content << in.rdbuf();
  try {
    return nlohmann::json::parse(content.str());
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace simscore::io
