#pragma once
// `eval --threshold-from REPORT`: the decision thresholds an earlier `simscore eval --report REPORT`
// chose on its own labelled file (each system's best-F1 threshold), to apply to another file.
// Thresholds chosen on the labels they are then measured on flatter the system; chosen on a
// development file and applied to a test file, they do not.

#include <map>
#include <string>

namespace simscore::io {

// System name -> its `metrics.best_threshold` in the report's `systems`. InputError naming the
// file when it is not such a report.
std::map<std::string, double> read_chosen_thresholds(const std::string& path);

}  // namespace simscore::io
