#pragma once
// Why a row gets no score, as a value set where the problem is found (the pair reader, the row
// checks of `score` and `eval`, the scoring loop), with the stable name the run report counts it by.

#include <string>
#include <utility>

namespace simscore::io {

enum class RowFailure {
  none,
  column_count,      // fewer columns (JSON lines: keys) than the selected ones need, or a missing key
  invalid_utf8,
  nul_byte,
  empty_line,
  line_too_long,     // a line (CSV: a record) longer than the reader's limit
  carriage_return,   // a "\r" that does not end a line (classic Mac line ends), outside CSV quotes
  empty_text,
  invalid_json,      // not JSON, or not a JSON object
  bad_label,         // eval: no label, or one that is not a number
  non_finite_score,  // the model's arithmetic overflowed on the row
  other,             // a JSON value that is not text (null, an array, an object) in a text column
};

// The report's key for a reason: "column_count", "invalid_utf8", ...
constexpr const char* row_failure_name(RowFailure reason) {
  switch (reason) {
    case RowFailure::none: return "none";
    case RowFailure::column_count: return "column_count";
    case RowFailure::invalid_utf8: return "invalid_utf8";
    case RowFailure::nul_byte: return "nul_byte";
    case RowFailure::empty_line: return "empty_line";
    case RowFailure::line_too_long: return "line_too_long";
    case RowFailure::carriage_return: return "carriage_return";
    case RowFailure::empty_text: return "empty_text";
    case RowFailure::invalid_json: return "invalid_json";
    case RowFailure::bad_label: return "bad_label";
    case RowFailure::non_finite_score: return "non_finite_score";
    case RowFailure::other: return "other";
  }
  return "other";
}

// A row's problem: why (for counting) and what, for the message naming file and line.
struct RowProblem {
  RowFailure reason = RowFailure::none;
  std::string message;

  RowProblem() = default;
  RowProblem(RowFailure why, std::string what) : reason(why), message(std::move(what)) {}
  explicit operator bool() const { return reason != RowFailure::none; }
};

}  // namespace simscore::io
