#pragma once
// `eval --curve FILE`: the threshold curve as TSV, one row per distinct score from the highest down,
// for gnuplot, pandas or a spreadsheet.

#include <span>
#include <string>

#include "core/metrics/metrics.h"

namespace simscore::io {

// Columns: threshold tp fp tn fn precision recall f1 fpr tpr (a header row names them). Numbers in
// their shortest exact form; the threshold is a score, so it reads back as the same float.
std::string threshold_curve_tsv(std::span<const CurvePoint> curve);
// Written atomically (temporary file, then rename).
void write_threshold_curve(const std::string& path, std::span<const CurvePoint> curve);

}  // namespace simscore::io
