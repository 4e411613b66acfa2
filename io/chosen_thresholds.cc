#include "io/chosen_thresholds.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace simscore::io {

std::map<std::string, double> read_chosen_thresholds(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the report");
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, 0, std::string("not a JSON report: ") + e.what());
  }
  const auto systems = report.find("systems");
  if (systems == report.end() || !systems->is_array() || systems->empty())
    throw InputError(path, 0, "has no \"systems\": write it with `simscore eval --report` on binary labels");
  std::map<std::string, double> thresholds;
  for (const nlohmann::json& system : *systems) {
    const auto name = system.find("name");
    const auto metrics = system.find("metrics");
    if (name == system.end() || !name->is_string() || metrics == system.end() || !metrics->is_object())
      throw InputError(path, 0, "a system in \"systems\" lacks its name or metrics");
    const auto best = metrics->find("best_threshold");
    if (best == metrics->end() || !best->is_number())
      throw InputError(path, 0, "system \"" + name->get<std::string>() +
                                    "\" has no best_threshold (its labels were graded without --positive-min)");
    thresholds[name->get<std::string>()] = best->get<double>();
  }
  return thresholds;
}

}  // namespace simscore::io
