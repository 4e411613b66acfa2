"""`simscore eval` comparing several systems on the same rows, against independent references:
the bootstrap resamples redrawn here in numpy from the specified generator (splitmix64, index =
high 64 bits of draw x n), every resample's metrics computed by scikit-learn/scipy on the drawn
rows themselves, percentile intervals by numpy.nanpercentile, and McNemar's exact test by
scipy.stats.binomtest. One case where the difference is known to be significant, one where it is not.

The systems are the default model (its scores read back from -o) and --scores files written here,
so every score simscore evaluates is known exactly; 300 LCQMC rows and 100 resamples keep it fast.
"""
import json

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics

from conftest import run, write_lcqmc_pairs

ROWS, RESAMPLES, SEED = 300, 100, 12345
MASK = (1 << 64) - 1


def splitmix64_stream(seed, count):
    """The first `count` outputs of splitmix64 seeded with `seed` (output k mixes seed + (k+1) gamma)."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + gamma * np.arange(1, count + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def draw_indices(seed, resamples, n):
    """Row indices of each resample: high 64 bits of the 128-bit product draw x n, drawn in order."""
    draws = splitmix64_stream(seed, resamples * n)
    hi, lo = draws >> np.uint64(32), draws & np.uint64(0xFFFFFFFF)
    nn = np.uint64(n)
    index = (hi * nn + ((lo * nn) >> np.uint64(32))) >> np.uint64(32)
    return index.astype(np.int64).reshape(resamples, n)


def test_generator_matches_python_integers():
    """The vectorised numpy splitmix64 equals a plain-integer transcription of the published code."""
    state, out = 7, []
    for _ in range(5):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out.append(z ^ (z >> 31))
    assert [int(v) for v in splitmix64_stream(7, 5)] == out
    assert [int(i) for i in draw_indices(7, 1, 5)[0]] == [(v * 5) >> 64 for v in out]


def best_f1(positive, scores):
    """The highest F1 over the thresholds "score >= each distinct score" (sklearn's f1_score)."""
    precision, recall, _ = metrics.precision_recall_curve(positive, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    return float(np.max(f1))


def reference_metrics(scores, labels, threshold):
    positive = labels >= 1
    predicted = scores >= threshold
    return {
        "f1": metrics.f1_score(positive, predicted, zero_division=0),
        "best_f1": best_f1(positive, scores),
        "accuracy": metrics.accuracy_score(positive, predicted),
        "average_precision": metrics.average_precision_score(positive, scores) if positive.any() else np.nan,
        "roc_auc": metrics.roc_auc_score(positive, scores) if 0 < positive.sum() < len(positive) else np.nan,
        "spearman": stats.spearmanr(scores, labels).statistic,
    }


class Compared:
    """One eval run: the default model plus three --scores systems, with -o, --report and --html."""

    def __init__(self, tmp, simscore, pairs, model):
        self.pairs, self.model = pairs, model
        self.labels = np.array([float(line.split("\t")[2]) for line in pairs.read_text().splitlines()])
        rng = np.random.default_rng(2026)
        positive = self.labels >= 1
        # "good" knows the labels well; "noisy" barely; "noisy2" is "noisy" with a few rows nudged
        # across the threshold: good vs noisy differ significantly, noisy vs noisy2 do not.
        good = np.where(positive, 0.75, 0.25) + rng.normal(0, 0.18, len(positive))
        noisy = 0.5 + 0.06 * (positive - 0.5) + rng.normal(0, 0.25, len(positive))
        noisy2 = noisy.copy()
        flip = rng.choice(len(noisy), 6, replace=False)
        noisy2[flip] = 1.0 - noisy2[flip]
        self.files = {}
        for name, values in (("good", good), ("noisy", noisy), ("noisy2", noisy2)):
            path = tmp / f"{name}.txt"
            path.write_text("".join(f"{float(v)!r}\n" for v in values))
            self.files[name] = str(path)
        self.scores_path, self.report_path, self.html_path = tmp / "s.txt", tmp / "r.json", tmp / "r.html"
        self.result = run([simscore, "eval", pairs, "--model", model, "-o", self.scores_path,
                           "--scores", self.files["good"], "--scores", self.files["noisy"],
                           "--scores", self.files["noisy2"], "--bootstrap", RESAMPLES, "--seed", SEED,
                           "--report", self.report_path, "--html", self.html_path, "--quiet"])
        assert self.result.returncode == 0, self.result.stderr
        model_scores = np.array(self.scores_path.read_text().splitlines(), dtype=np.float32).astype(np.float64)
        self.report = json.loads(self.report_path.read_text())
        self.scores = [model_scores, good, noisy, noisy2]


@pytest.fixture(scope="module")
def compared(tmp_path_factory, simscore, shared, default_model):
    pairs = write_lcqmc_pairs(tmp_path_factory, shared, ROWS)
    return Compared(tmp_path_factory.mktemp("compare"), simscore, pairs, default_model)


def test_systems_intervals_equal_numpy_bootstrap_of_sklearn(compared):
    report, labels = compared.report, compared.labels
    systems = report["systems"]
    assert [s["name"] for s in systems[1:]] == [compared.files[n] for n in ("good", "noisy", "noisy2")]
    assert report["bootstrap"] == {"resamples": RESAMPLES, "seed": SEED, "confidence": 0.95, "rows": ROWS}
    assert report["metrics"] == systems[0]["metrics"], "today's metrics are the first system's"
    indices = draw_indices(SEED, RESAMPLES, ROWS)
    per_resample = []
    for system, scores in zip(systems, compared.scores):
        threshold = system["threshold"]
        assert threshold == 0.5 and system["rows_without_score"] == 0
        point = reference_metrics(scores, labels, threshold)
        values = {k: [] for k in point}
        for idx in indices:
            for k, v in reference_metrics(scores[idx], labels[idx], threshold).items():
                values[k].append(v)
        per_resample.append({k: np.array(v) for k, v in values.items()})
        for key, reference in point.items():
            assert system["metrics"][key] == pytest.approx(reference, abs=1e-9), (system["name"], key)
            low, high = np.nanpercentile(values[key], [2.5, 97.5])
            assert system["intervals"][key] == pytest.approx([low, high], abs=1e-9), (system["name"], key)
            assert low <= reference <= high or key == "best_f1"

    assert len(report["comparisons"]) == 6
    for comparison in report["comparisons"]:
        a = [s["name"] for s in systems].index(comparison["a"])
        b = [s["name"] for s in systems].index(comparison["b"])
        assert a < b
        for key, difference in comparison["differences"].items():
            assert difference["value"] == pytest.approx(
                systems[a]["metrics"][key] - systems[b]["metrics"][key], abs=1e-12)
            paired = per_resample[a][key] - per_resample[b][key]
            assert [difference["low"], difference["high"]] == pytest.approx(
                list(np.nanpercentile(paired, [2.5, 97.5])), abs=1e-9), (a, b, key)
        correct_a = (compared.scores[a] >= 0.5) == (labels >= 1)
        correct_b = (compared.scores[b] >= 0.5) == (labels >= 1)
        only_a, only_b = int(np.sum(correct_a & ~correct_b)), int(np.sum(~correct_a & correct_b))
        assert comparison["mcnemar"] == {"only_a_correct": only_a, "only_b_correct": only_b}
        expected = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
        assert comparison["mcnemar_p"] == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_significant_and_not_significant_differences(compared):
    by_pair = {(c["a"], c["b"]): c for c in compared.report["comparisons"]}
    files = compared.files
    significant = by_pair[(files["good"], files["noisy"])]
    assert significant["mcnemar_p"] < 1e-6
    for key in ("f1", "accuracy", "roc_auc", "average_precision"):
        assert significant["differences"][key]["low"] > 0, key  # the interval excludes no difference
    not_significant = by_pair[(files["noisy"], files["noisy2"])]
    assert not_significant["mcnemar_p"] > 0.2
    for key in ("f1", "accuracy", "roc_auc"):
        d = not_significant["differences"][key]
        assert d["low"] <= 0 <= d["high"], key


def test_stdout_tables_html_and_tsv(compared, simscore, tmp_path):
    out = compared.result.stdout
    good = compared.report["systems"][1]
    assert "systems:" in out and "differences (a - b):" in out and "mcnemar_p" in out
    f1 = good["metrics"]["f1"]
    low, high = good["intervals"]["f1"]
    assert f"{f1:.4f} [{low:.4f}, {high:.4f}]" in out
    assert "optimistic" in out and "--threshold-from" in out
    html = compared.html_path.read_text()
    for system in compared.report["systems"]:
        assert system["name"] in html  # a legend entry / table row per system
    assert html.count('class="series"') >= 4 * 3 and "Warning:" in html
    assert f'{f1:.4f}<br><span class="interval">[{low:.4f}, {high:.4f}]</span>' in html

    # The same numbers as TSV, the same to the bit on a second run with the same seed.
    cmd = [simscore, "eval", compared.pairs, "--model", compared.model, "--scores", compared.files["good"],
           "--bootstrap", RESAMPLES, "--seed", SEED, "--table", "tsv", "--quiet"]
    first, second = run(cmd), run(cmd)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    lines = [line.split("\t") for line in first.stdout.splitlines()]
    assert lines[0] == ["table", "a", "b", "metric", "value", "low", "high", "mcnemar_p"]
    rows = {(r[0], r[1], r[2], r[3]): r for r in lines[1:]}
    row = rows[("system", good["name"], "", "f1")]
    assert [float(row[4]), float(row[5]), float(row[6])] == [f1, low, high]
    other_seed = run(cmd[:-4] + ["--seed", SEED + 1, "--table", "tsv", "--quiet"])
    assert other_seed.stdout != first.stdout


def test_threshold_from_applies_another_files_thresholds(tmp_path, simscore, shared, default_model):
    lines = (shared / "data/senteval_cn/LCQMC/LCQMC.test.data").read_text(encoding="utf-8").splitlines()
    dev, test = tmp_path / "dev.tsv", tmp_path / "test.tsv"
    dev.write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    test.write_text("\n".join(lines[150:300]) + "\n", encoding="utf-8")
    dev_report, test_report, test_scores = tmp_path / "dev.json", tmp_path / "test.json", tmp_path / "s.txt"
    result = run([simscore, "eval", dev, "--model", default_model, "--bootstrap", 0, "--report", dev_report,
                  "--quiet"])
    assert result.returncode == 0, result.stderr
    chosen = json.loads(dev_report.read_text())["systems"][0]["metrics"]["best_threshold"]
    result = run([simscore, "eval", test, "--model", default_model, "--threshold-from", dev_report,
                  "--bootstrap", 0, "-o", test_scores, "--report", test_report, "--quiet"])
    assert result.returncode == 0, result.stderr
    system = json.loads(test_report.read_text())["systems"][0]
    assert system["threshold"] == chosen and str(dev_report) in system["threshold_source"]
    scores = np.array(test_scores.read_text().splitlines(), dtype=np.float32).astype(np.float64)
    labels = np.array([float(line.split("\t")[2]) for line in lines[150:300]])
    assert system["metrics"]["f1"] == pytest.approx(metrics.f1_score(labels >= 1, scores >= chosen), abs=1e-9)
    assert "optimistic" not in result.stdout
    # A report without that system's name is an input error naming the report.
    renamed = run([simscore, "eval", test, "--model", default_model, "--threshold-from", dev_report,
                   "--system", "name=other", "--bootstrap", 0, "--quiet"])
    assert renamed.returncode == 3 and str(dev_report) in renamed.stderr and "other" in renamed.stderr


@pytest.mark.parametrize("content,line,problem", [
    ("0.5\n0.7\nabc\n", 3, "not a finite number"),
    ("0.5\nnan\n", 2, "not a finite number"),
    ("0.5\n0.6\n", 3, "ends after 2 scores"),
    ("score\n" + "0.5\n" * 4, 5, "has no row"),
])
def test_bad_scores_file_is_an_input_error_naming_file_and_line(tmp_path, simscore, default_model, content,
                                                                line, problem):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"a cat {i}\ta dog {i}\t{i % 2}\n" for i in range(3)))
    scores = tmp_path / "other.txt"
    scores.write_text(content)
    result = run([simscore, "eval", pairs, "--model", default_model, "--scores", scores, "--quiet"])
    assert result.returncode == 3, result.stderr
    assert f"{scores}:{line}" in result.stderr or f"{scores}, line {line}" in result.stderr, result.stderr
    assert problem in result.stderr and result.stdout == ""


def test_rows_without_a_score_are_reported_and_left_out_of_the_comparison(tmp_path, simscore, default_model):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"a cat sat {i}\ta dog ran {i % 5}\t{i % 2}\n" for i in range(40)))
    scores = tmp_path / "partial.txt"
    values = [str(0.3 + 0.01 * i) if i % 10 else "" for i in range(40)]
    scores.write_text("\n".join(values) + "\n")
    report = tmp_path / "r.json"
    result = run([simscore, "eval", pairs, "--model", default_model, "--scores", scores, "--report", report,
                  "--bootstrap", 50, "--quiet"])
    assert result.returncode == 0, result.stderr
    r = json.loads(report.read_text())
    assert r["bootstrap"]["rows"] == 36 and r["metrics"]["count"] == 36
    assert r["systems"][1]["rows_without_score"] == 4
    assert any("no score for 4 of the 40 rows" in w for w in r["warnings"])
    assert "no score for 4 of the 40 rows" in result.stdout


def test_model_systems_in_one_command(tmp_path, simscore, shared, default_model):
    """The issue's "done when", on 64 rows: fp32 against fp16, bf16 and int8 in one command; each
    --system's metrics equal sklearn on what `simscore score` writes at that precision."""
    pairs = write_lcqmc_pairs(tmp_path_factory_like(tmp_path), shared, 64)
    labels = np.array([float(line.split("\t")[2]) for line in pairs.read_text().splitlines()])
    report, html = tmp_path / "r.json", tmp_path / "r.html"
    result = run([simscore, "eval", pairs, "--model", default_model, "--precision", "fp32",
                  "--system", "precision=fp16", "--system", "precision=bf16", "--system", "precision=int8",
                  "--bootstrap", 200, "--report", report, "--html", html, "--quiet"])
    assert result.returncode == 0, result.stderr
    r = json.loads(report.read_text())
    names = [s["name"] for s in r["systems"]]
    assert names == [f"all-MiniLM-L6-v2 {p}" for p in ("fp32", "fp16", "bf16", "int8")]
    assert len(r["comparisons"]) == 6 and all(c["mcnemar_p"] is not None for c in r["comparisons"])
    for name in names:
        assert name in result.stdout
    page = html.read_text()
    assert all(name in page for name in names) and page.count('class="series"') >= 1 + 4 * 3
    for system in r["systems"][1:]:
        scores_path = tmp_path / f"{system['precision']}.txt"
        scored = run([simscore, "score", pairs, "--model", default_model, "--precision", system["precision"],
                      "-o", scores_path, "--quiet"])
        assert scored.returncode == 0, scored.stderr
        scores = np.array(scores_path.read_text().splitlines(), dtype=np.float32).astype(np.float64)
        for key, reference in reference_metrics(scores, labels, 0.5).items():
            assert system["metrics"][key] == pytest.approx(reference, abs=1e-9), (system["name"], key)
    bad = run([simscore, "eval", pairs, "--model", default_model, "--system", "precision=fp8", "--quiet"])
    assert bad.returncode == 2 and "--system" in bad.stderr and "fp8" in bad.stderr


class tmp_path_factory_like:
    """write_lcqmc_pairs wants a factory; a test's own tmp_path serves."""

    def __init__(self, path):
        self.path = path

    def mktemp(self, name):
        folder = self.path / name
        folder.mkdir()
        return folder
