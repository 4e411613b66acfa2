#include "cli/eval_metric_lines.h"

#include <fmt/format.h>

#include <memory>

#include "core/metrics/sentence_transformers_metrics.h"

namespace simscore::cli {
namespace {

std::string six(const std::optional<double>& v) { return v ? fmt::format("{:.6f}", *v) : "undefined"; }

std::vector<MetricLine> binary_lines(const Metrics& m) {
  const auto& t = m.at_threshold;
  return {
      {"threshold", t.threshold, "", "--threshold: score >= threshold predicts similar"},
      {"accuracy", t.accuracy, "", "at --threshold (sklearn accuracy_score)"},
      {"precision", t.precision, "", "at --threshold (sklearn precision_score)"},
      {"recall", t.recall, "", "at --threshold (sklearn recall_score)"},
      {"f1", t.f1, "", "at --threshold (sklearn f1_score)"},
      {"mcc", t.mcc, "", "at --threshold (sklearn matthews_corrcoef)"},
      {"best_threshold", m.best_threshold, "", "the distinct score whose threshold maximises F1"},
      {"best_f1", m.best_f1, "", "F1 at best_threshold"},
      {"best_accuracy_threshold", m.best_accuracy_threshold, "",
       "the distinct score whose threshold maximises accuracy"},
      {"best_accuracy", m.best_accuracy, "cosine_accuracy", "accuracy at best_accuracy_threshold"},
      {"average_precision", m.average_precision, "cosine_ap",
       "area under the precision-recall steps (sklearn average_precision_score)"},
      {"roc_auc", m.roc_auc, "", "sklearn roc_auc_score: P(a positive outscores a negative)"},
      {"pearson", m.pearson, "pearson_cosine", "of scores against the raw labels (scipy pearsonr)"},
      {"spearman", m.spearman, "spearman_cosine", "of scores against the raw labels (scipy spearmanr)"},
  };
}

// sentence-transformers' BinaryClassificationEvaluator and EmbeddingSimilarityEvaluator names, for
// a bi-encoder's cosine scores.
std::vector<MetricLine> evaluator_lines(const BinaryClassificationEvaluatorMetrics& st, const Metrics& m) {
  const std::string halfway = "; thresholds lie halfway between neighbouring scores";
  return {
      {"cosine_accuracy", st.accuracy, "cosine_accuracy", "best accuracy over all thresholds"},
      {"cosine_accuracy_threshold", st.accuracy_threshold, "cosine_accuracy_threshold", "its threshold" + halfway},
      {"cosine_f1", st.f1, "cosine_f1", "best F1 over all thresholds"},
      {"cosine_precision", st.precision, "cosine_precision", "precision at cosine_f1_threshold"},
      {"cosine_recall", st.recall, "cosine_recall", "recall at cosine_f1_threshold"},
      {"cosine_f1_threshold", st.f1_threshold, "cosine_f1_threshold", "its threshold" + halfway},
      {"cosine_ap", st.ap, "cosine_ap", "average precision (the evaluator's primary metric)"},
      {"cosine_mcc", st.mcc, "cosine_mcc", "Matthews correlation at cosine_f1_threshold"},
      {"pearson_cosine", m.pearson, "pearson_cosine", "EmbeddingSimilarityEvaluator: Pearson"},
      {"spearman_cosine", m.spearman, "spearman_cosine", "EmbeddingSimilarityEvaluator: Spearman"},
  };
}

std::vector<MetricLine> correlation_lines(const Metrics& m) {
  return {{"pearson", m.pearson, "pearson_cosine", "of scores against the raw labels (scipy pearsonr)"},
          {"spearman", m.spearman, "spearman_cosine", "of scores against the raw labels (scipy spearmanr)"}};
}

void add_lines(nlohmann::json& json, const std::vector<MetricLine>& lines) {
  for (const MetricLine& line : lines)
    json[line.name] = line.value ? nlohmann::json(*line.value) : nlohmann::json(nullptr);
}


std::string table(const std::vector<MetricLine>& lines) {
  std::string s;
  for (const MetricLine& line : lines)
    s += fmt::format("{:<{}} {}\n", line.name, kNameWidth - 1, six(line.value));
  return s;
}

}  // namespace

std::vector<io::MetricRow> html_rows(const std::vector<MetricLine>& lines) {
  std::vector<io::MetricRow> rows;
  for (const MetricLine& line : lines) rows.push_back({line.name, six(line.value), line.st_name, line.meaning});
  return rows;
}

SystemLines system_lines(const Metrics& metrics, std::span<const double> scores, std::span<const double> labels,
                         bool binary, bool cosine, double positive_min) {
  SystemLines out;
  out.json = {{"count", metrics.count}};
  if (binary) {
    const auto& c = metrics.at_threshold.confusion;
    out.json["positives"] = metrics.positives;
    out.json["negatives"] = metrics.negatives;
    out.json["positive_min"] = positive_min;
    out.json["confusion_matrix"] = {{"true_positive", c.true_positive},
                                    {"false_positive", c.false_positive},
                                    {"true_negative", c.true_negative},
                                    {"false_negative", c.false_negative}};
    out.lines = binary_lines(metrics);
    add_lines(out.json, out.lines);
    out.text = fmt::format("{:<{}}{} ({} positive, {} negative; positive = label >= {})\n", "pairs", kNameWidth,
                           metrics.count, metrics.positives, metrics.negatives, positive_min);
    std::string text = table(out.lines);
    // The confusion matrix after f1, where the table has always had it.
    const size_t after_f1 = text.find("\nmcc");
    text.insert(after_f1 + 1, fmt::format("{:<{}}tp {}  fp {}  tn {}  fn {}\n", "confusion", kNameWidth,
                                          c.true_positive, c.false_positive, c.true_negative,
                                          c.false_negative));
    out.text += text;
    if (cosine) {
      const auto positive = std::make_unique<bool[]>(scores.size());
      for (size_t i = 0; i < scores.size(); ++i) positive[i] = labels[i] >= positive_min;
      const auto st = binary_classification_evaluator_metrics(
          scores, std::span<const bool>(positive.get(), scores.size()), metrics.curve);
      const std::vector<MetricLine> st_lines = evaluator_lines(st, metrics);
      add_lines(out.json, st_lines);
      out.text += fmt::format("sentence-transformers' evaluators (cosine):\n{}", table(st_lines));
      out.lines.insert(out.lines.end(), st_lines.begin(), st_lines.end() - 2);  // pearson/spearman are there
    }
  } else {
    out.lines = correlation_lines(metrics);
    add_lines(out.json, out.lines);
    if (cosine) {
      out.json["pearson_cosine"] = out.json["pearson"];
      out.json["spearman_cosine"] = out.json["spearman"];
    }
    out.json["graded"] = true;
    out.text = fmt::format("{:<{}}{} (graded labels)\n{}", "pairs", kNameWidth, metrics.count, table(out.lines));
  }
  return out;
}

}  // namespace simscore::cli
