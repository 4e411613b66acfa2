"""`simscore eval` on every shared data file, in its own format, against scikit-learn and scipy.

The per-row scores simscore writes (-o) and the labels Python reads from the same file go through
sklearn/scipy here; every metric in simscore's report must equal them to 1e-9.
"""
import csv
import gzip
import json

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics

from conftest import run

# (name, path under shared/data, flags, how Python reads (label, rows) from the file, positive_min)
def _tsv(path, label_col, skip_header=False, encoding="utf-8"):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding=encoding, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if skip_header:
        rows = rows[1:]
    return [float(r[label_col]) for r in rows]


def _jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [float(json.loads(line)["label"]) for line in f]


FILES = [
    ("lcqmc", "senteval_cn/LCQMC/LCQMC.test.data", [], lambda p: _tsv(p, 2), None),
    ("pawsx", "senteval_cn/PAWSX/PAWSX.test.data", [], lambda p: _tsv(p, 2), None),
    ("stsb_zh", "senteval_cn/STS-B/STS-B.test.data", ["--positive-min", "4"], lambda p: _tsv(p, 2), 4),
    ("afqmc", "afqmc/dev.json", ["--text-a", "sentence1", "--text-b", "sentence2", "--label", "label"],
     _jsonl, None),
    ("stsb_en", "stsb_en/stsbenchmark.tsv.gz",
     ["--header", "--text-a", "sentence1", "--text-b", "sentence2", "--label", "score",
      "--positive-min", "4"], lambda p: _tsv(p, 5, skip_header=True), 4),
    ("mrpc", "mrpc/msr_paraphrase_test.txt",
     ["--header", "--text-a", "4", "--text-b", "5", "--label", "1"],
     lambda p: _tsv(p, 0, skip_header=True, encoding="utf-8-sig"), None),
]


@pytest.mark.parametrize("name,relative,flags,read_labels,positive_min", FILES, ids=[f[0] for f in FILES])
def test_eval_metrics_equal_sklearn(tmp_path, simscore, shared, default_model, name, relative, flags,
                                    read_labels, positive_min):
    path = shared / "data" / relative
    scores_path, report_path = tmp_path / "scores.txt", tmp_path / "report.json"
    result = run([simscore, "eval", path, "--model", default_model, "-o", scores_path,
                  "--report", report_path, "--quiet", *flags])
    assert result.returncode == 0, result.stderr

    labels = np.array(read_labels(path))
    lines = scores_path.read_text().splitlines()
    if "--header" in flags:
        lines = lines[1:]
    # Each line is the shortest text of a float32 score: read it as float32 to get the exact value.
    scores = np.array(lines, dtype=np.float32).astype(np.float64)
    assert len(scores) == len(labels), "one score per input row"
    report = json.loads(report_path.read_text())
    m = report["metrics"]
    assert report["rows"] == len(labels) and report["rows_failed"] == 0

    # The scores file holds each float exactly (shortest round-trip form), so every metric must
    # equal sklearn/scipy on it to 1e-9.
    positive = labels >= (positive_min if positive_min is not None else 1)
    predicted = scores >= m["threshold"]
    tn, fp, fn, tp = metrics.confusion_matrix(positive, predicted, labels=[False, True]).ravel()
    cm = m["confusion_matrix"]
    assert (cm["true_positive"], cm["false_positive"], cm["true_negative"], cm["false_negative"]) == (tp, fp, tn, fn)
    assert m["positives"] == int(positive.sum()) and m["negatives"] == int((~positive).sum())
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(positive, predicted), abs=1e-9)
    assert m["precision"] == pytest.approx(metrics.precision_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["recall"] == pytest.approx(metrics.recall_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["f1"] == pytest.approx(metrics.f1_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["roc_auc"] == pytest.approx(metrics.roc_auc_score(positive, scores), abs=1e-9)
    assert m["pearson"] == pytest.approx(stats.pearsonr(scores, labels).statistic, abs=1e-9)
    assert m["spearman"] == pytest.approx(stats.spearmanr(scores, labels).statistic, abs=1e-9)
    thresholds = np.unique(scores)
    f1s = [metrics.f1_score(positive, scores >= t, zero_division=0) for t in thresholds]
    best = max(f1s)
    assert m["best_f1"] == pytest.approx(best, abs=1e-9)
    # On equal F1 the highest threshold wins.
    assert m["best_threshold"] == pytest.approx(max(t for t, f in zip(thresholds, f1s) if f == best), abs=1e-9)
