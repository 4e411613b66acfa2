// The bootstrap of `simscore eval` at the size: 12,500 rows (LCQMC test), 1,000
// resamples, every resampled metric, three systems. Run by hand: build/bench/bootstrap_bench.

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "core/metrics/comparison.h"

namespace {

void BM_CompareThreeSystems(benchmark::State& state) {
  const size_t rows = 12500;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 0.2);
  std::vector<double> labels(rows);
  std::vector<std::vector<double>> scores(3, std::vector<double>(rows));
  for (size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<double>(i % 2);
    // float scores, as models write them: ties happen, as in real data
    for (auto& s : scores) s[i] = static_cast<float>(0.5 + 0.2 * labels[i] + noise(rng));
  }
  std::vector<simscore::BootstrapSystem> systems;
  for (const auto& s : scores) systems.push_back({s, 0.5});
  const simscore::BootstrapOptions options{.resamples = static_cast<size_t>(state.range(0)), .seed = 0};
  for (auto _ : state)
    benchmark::DoNotOptimize(simscore::compare_systems(systems, labels, 1.0, true, options));
}
BENCHMARK(BM_CompareThreeSystems)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
