#include "io/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace simscore::io {
namespace {

constexpr int kLeft = 58, kRight = 16, kTop = 36, kBottom = 48;

// About five ticks at 1, 2 or 5 times a power of ten.
std::vector<double> ticks(double low, double high) {
  const double span = high - low;
  if (!(span > 0)) return {low};
  const double raw = span / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : 5 * power;
  std::vector<double> out;
  for (double t = std::ceil(low / step - 1e-9) * step; t <= high + step * 1e-9; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string tick_label(double value) {
  for (int digits = 0; digits < 8; ++digits) {
    std::string text = fmt::format("{:.{}f}", value, digits);
    if (std::abs(std::stod(text) - value) < 1e-9 * std::max(1.0, std::abs(value))) return text;
  }
  return fmt::format("{:g}", value);
}

std::string render_svg(const Chart& c, int width, int height) {
  const double plot_w = width - kLeft - kRight, plot_h = height - kTop - kBottom;
  const double x_span = c.x_max > c.x_min ? c.x_max - c.x_min : 1;
  const double y_span = c.y_max > c.y_min ? c.y_max - c.y_min : 1;
  const auto px = [&](double x) { return kLeft + (x - c.x_min) / x_span * plot_w; };
  const auto py = [&](double y) { return kTop + plot_h - (y - c.y_min) / y_span * plot_h; };

  std::string s = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      "<title>{}</title>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">{}</text>\n",
      width, height, width, height, xml_escape(c.title), kLeft, xml_escape(c.title));
  // Grid and tick labels.
  for (double t : ticks(c.x_min, c.x_max))
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e4e7eb\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">{4}</text>\n",
        px(t), kTop, kTop + plot_h, kTop + plot_h + 16, tick_label(t));
  for (double t : ticks(c.y_min, c.y_max))
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#e4e7eb\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">{5}</text>\n",
        kLeft, py(t), kLeft + plot_w, kLeft - 6, py(t) + 4, tick_label(t));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#9aa5b1\"/>\n",
                   kLeft, kTop, plot_w, plot_h);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#323f4b\">{}</text>\n",
                   kLeft + plot_w / 2, height - 10, xml_escape(c.x_label));
  s += fmt::format(
      "<text transform=\"translate(14 {:.1f}) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" "
      "fill=\"#323f4b\">{}</text>\n",
      kTop + plot_h / 2, xml_escape(c.y_label));

  s += "<g>\n";
  for (const ChartSeries& series : c.series) {
    std::string points;
    double last_x = -1e9, last_y = -1e9;
    for (size_t i = 0; i < series.points.size(); ++i) {
      const double x = px(series.points[i].first), y = py(series.points[i].second);
      const bool last = i + 1 == series.points.size();
      if (!last && std::abs(x - last_x) < 0.5 && std::abs(y - last_y) < 0.5) continue;
      points += fmt::format("{:.1f},{:.1f} ", x, y);
      last_x = x;
      last_y = y;
    }
    if (series.filled && !series.points.empty())
      s += fmt::format("<polygon points=\"{:.1f},{:.1f} {}{:.1f},{:.1f}\" fill=\"{}\" fill-opacity=\"0.22\"/>\n",
                       px(series.points.front().first), py(0), points, px(series.points.back().first), py(0),
                       series.color);
    s += fmt::format("<polyline class=\"series\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                     points, series.color, series.dashed ? " stroke-dasharray=\"5 4\"" : "");
  }
  for (const ChartMarker& m : c.markers)
    s += fmt::format(
        "<line class=\"marker\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
        px(m.x), kTop, kTop + plot_h, m.color);
  for (const ChartDot& d : c.dots)
    s += fmt::format("<circle class=\"dot\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\" stroke=\"#ffffff\" "
                     "stroke-width=\"1.5\"/>\n",
                     px(d.x), py(d.y), d.color);
  s += "</g>\n";

  // Legend, top right inside the plot, one entry per labelled series, marker or dot.
  std::vector<std::pair<std::string, std::string>> entries;
  for (const ChartSeries& series : c.series)
    if (!series.label.empty()) entries.emplace_back(series.label, series.color);
  for (const ChartMarker& m : c.markers)
    if (!m.label.empty()) entries.emplace_back(m.label, m.color);
  for (const ChartDot& d : c.dots)
    if (!d.label.empty()) entries.emplace_back(d.label, d.color);
  size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.first.size());
  const double legend_w = 30 + 6.6 * static_cast<double>(longest);
  const double legend_h = 8 + 16.0 * static_cast<double>(entries.size());
  const double legend_x = c.legend == LegendCorner::top_left ? kLeft + 8 : kLeft + plot_w - legend_w - 8;
  const double legend_y = c.legend == LegendCorner::bottom_right ? kTop + plot_h - legend_h - 8 : kTop + 6;
  if (!entries.empty())
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#ffffff\" "
                     "fill-opacity=\"0.85\" stroke=\"#cbd2d9\" rx=\"3\"/>\n",
                     legend_x, legend_y, legend_w, legend_h);
  for (size_t i = 0; i < entries.size(); ++i) {
    const double y = legend_y + 12 + 16.0 * static_cast<double>(i);
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" stroke-width=\"3\"/>"
        "<text x=\"{4:.1f}\" y=\"{5:.1f}\" font-size=\"11\" fill=\"#323f4b\">{6}</text>\n",
        legend_x + 6, y, legend_x + 20, entries[i].second, legend_x + 25, y + 4, xml_escape(entries[i].first));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace simscore::io
