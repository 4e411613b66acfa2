#include "io/threshold_curve_file.h"

#include <fmt/format.h>

#include <iterator>

#include "io/output_file.h"

namespace simscore::io {

std::string threshold_curve_tsv(std::span<const CurvePoint> curve) {
  std::string s = "threshold\ttp\tfp\ttn\tfn\tprecision\trecall\tf1\tfpr\ttpr\n";
  for (const CurvePoint& p : curve) {
    const ConfusionMatrix& c = p.confusion;
    const Rates r = rates(c);
    // Scores are floats: their shortest float form is what the scores file (-o) holds.
    const auto as_float = static_cast<float>(p.threshold);
    const std::string threshold =
        static_cast<double>(as_float) == p.threshold ? fmt::format("{}", as_float) : fmt::format("{}", p.threshold);
    fmt::format_to(std::back_inserter(s), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", threshold,
                   c.true_positive, c.false_positive, c.true_negative, c.false_negative, r.precision,
                   r.recall, r.f1, r.false_positive_rate, r.recall);
  }
  return s;
}

void write_threshold_curve(const std::string& path, std::span<const CurvePoint> curve) {
  OutputFile out(path);
  out.write(threshold_curve_tsv(curve));
  out.commit();
}

}  // namespace simscore::io
