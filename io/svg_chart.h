#pragma once
// A small line-and-area chart written as inline SVG: axes with round-numbered ticks, series as
// polylines (optionally filled down to zero), vertical marker lines and a legend. What the HTML
// report draws its histograms and curves with; no script is needed to view it.

#include <string>
#include <utility>
#include <vector>

namespace simscore::io {

struct ChartSeries {
  std::string label{};
  std::string color{};  // a CSS colour
  std::vector<std::pair<double, double>> points{};  // (x, y) in data units, in drawing order
  bool filled = false;                            // shade the area down to y = 0
  bool dashed = false;
};

struct ChartMarker {
  std::string label{};
  std::string color{};
  double x = 0;
};

struct ChartDot {
  std::string label{};
  std::string color{};
  double x = 0, y = 0;
};

// Where the legend sits inside the plot: where the data leaves room.
enum class LegendCorner { top_right, top_left, bottom_right };

struct Chart {
  std::string title{}, x_label{}, y_label{};
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  std::vector<ChartSeries> series{};
  std::vector<ChartMarker> markers{};
  std::vector<ChartDot> dots{};
  LegendCorner legend = LegendCorner::top_right;
};

// The chart as an <svg> element, width x height pixels (a viewBox, so it scales with the page).
// Points closer than half a pixel to the previous one are dropped: a curve over 100,000 thresholds
// draws as it looks, without 100,000 vertices.
std::string render_svg(const Chart& chart, int width = 520, int height = 340);

// Text with & < > " written as entities, for SVG and HTML text and attribute values.
std::string xml_escape(const std::string& text);

// "1.5" for 1.5, "0.25" for 0.25: the shortest fixed notation for tick labels.
std::string tick_label(double value);

}  // namespace simscore::io
