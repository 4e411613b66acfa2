"""`simscore eval` on every shared data file, in its own format, against scikit-learn, scipy and
sentence-transformers' evaluators; its --curve TSV and --html page (rendered in headless Chromium).

The per-row scores simscore writes (-o) and the labels Python reads from the same file go through
sklearn/scipy here; every metric in simscore's report must equal them to 1e-9. The metrics under
sentence-transformers' names must equal what its BinaryClassificationEvaluator and
EmbeddingSimilarityEvaluator return for the same scores.
"""
import csv
import gzip
import json
import shutil
import struct
import subprocess
import zlib
from unittest import mock

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
NAMES = [f[0] for f in FILES]


class Evaluated:
    """One `simscore eval` run of a shared file with -o, --report, --curve and --html."""

    def __init__(self, tmp, simscore, shared, model, name, relative, flags, read_labels, positive_min):
        self.name, self.flags, self.path = name, flags, shared / "data" / relative
        self.scores_path, self.report_path = tmp / "scores.txt", tmp / "report.json"
        self.curve_path, self.html_path = tmp / "curve.tsv", tmp / "report.html"
        result = run([simscore, "eval", self.path, "--model", model, "-o", self.scores_path,
                      "--report", self.report_path, "--curve", self.curve_path, "--html", self.html_path,
                      "--quiet", *flags])
        assert result.returncode == 0, result.stderr
        self.stdout = result.stdout
        self.labels = np.array(read_labels(self.path))
        lines = self.scores_path.read_text().splitlines()
        if "--header" in flags:
            lines = lines[1:]
        # Each line is the shortest text of a float32 score: read it as float32 to get the exact value.
        self.scores32 = np.array(lines, dtype=np.float32)
        self.scores = self.scores32.astype(np.float64)
        assert len(self.scores) == len(self.labels), "one score per input row"
        self.report = json.loads(self.report_path.read_text())
        self.metrics = self.report["metrics"]
        self.positive = self.labels >= (positive_min if positive_min is not None else 1)


@pytest.fixture(scope="module")
def evaluate(tmp_path_factory, simscore, shared, default_model):
    cache = {}

    def get(name):
        if name not in cache:
            spec = FILES[NAMES.index(name)]
            cache[name] = Evaluated(tmp_path_factory.mktemp(name), simscore, shared, default_model, *spec)
        return cache[name]
    return get


@pytest.mark.parametrize("name", NAMES)
def test_eval_metrics_equal_sklearn(evaluate, name):
    e = evaluate(name)
    m, scores, labels, positive = e.metrics, e.scores, e.labels, e.positive
    assert e.report["rows"] == len(labels) and e.report["rows_failed"] == 0

    # The scores file holds each float exactly (shortest round-trip form), so every metric must
    # equal sklearn/scipy on it to 1e-9.
    predicted = scores >= m["threshold"]
    tn, fp, fn, tp = metrics.confusion_matrix(positive, predicted, labels=[False, True]).ravel()
    cm = m["confusion_matrix"]
    assert (cm["true_positive"], cm["false_positive"], cm["true_negative"], cm["false_negative"]) == (tp, fp, tn, fn)
    assert m["positives"] == int(positive.sum()) and m["negatives"] == int((~positive).sum())
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(positive, predicted), abs=1e-9)
    assert m["precision"] == pytest.approx(metrics.precision_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["recall"] == pytest.approx(metrics.recall_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["f1"] == pytest.approx(metrics.f1_score(positive, predicted, zero_division=0), abs=1e-9)
    assert m["mcc"] == pytest.approx(metrics.matthews_corrcoef(positive, predicted), abs=1e-9)
    assert m["roc_auc"] == pytest.approx(metrics.roc_auc_score(positive, scores), abs=1e-9)
    assert m["average_precision"] == pytest.approx(metrics.average_precision_score(positive, scores), abs=1e-9)
    assert m["pearson"] == pytest.approx(stats.pearsonr(scores, labels).statistic, abs=1e-9)
    assert m["spearman"] == pytest.approx(stats.spearmanr(scores, labels).statistic, abs=1e-9)
    thresholds = np.unique(scores)
    f1s = [metrics.f1_score(positive, scores >= t, zero_division=0) for t in thresholds]
    best = max(f1s)
    assert m["best_f1"] == pytest.approx(best, abs=1e-9)
    # On equal F1 the highest threshold wins.
    assert m["best_threshold"] == pytest.approx(max(t for t, f in zip(thresholds, f1s) if f == best), abs=1e-9)
    accuracies = [metrics.accuracy_score(positive, scores >= t) for t in thresholds]
    none_positive = metrics.accuracy_score(positive, np.zeros_like(positive))
    best_accuracy = max(max(accuracies), none_positive)
    assert m["best_accuracy"] == pytest.approx(best_accuracy, abs=1e-9)
    assert scores[scores >= m["best_accuracy_threshold"]].size == np.sum(
        scores >= max([t for t, a in zip(thresholds, accuracies) if a == best_accuracy] or [np.inf]))


def _run_evaluator(evaluator, module, scores32):
    """Runs a sentence-transformers evaluator whose model's cosine of pair i is scores32[i]: each
    text's "embedding" is its pair's index, and the module's pairwise_cos_sim looks the score up."""
    def embed_inputs(model, sentences, **kwargs):
        return np.array([[float(s[1:])] for s in sentences])

    def pairwise_cos_sim(a, b):
        import torch
        return torch.from_numpy(scores32[np.asarray(a)[:, 0].astype(int)])

    evaluator.embed_inputs = embed_inputs
    with mock.patch.object(module, "pairwise_cos_sim", pairwise_cos_sim):
        return evaluator(mock.MagicMock(similarity_fn_name="cosine"))


@pytest.mark.parametrize("name", NAMES)
def test_eval_metrics_equal_sentence_transformers(evaluate, name):
    from sentence_transformers.sentence_transformer.evaluation import (
        BinaryClassificationEvaluator, EmbeddingSimilarityEvaluator, binary_classification,
        embedding_similarity)

    e = evaluate(name)
    first = [f"a{i}" for i in range(len(e.scores))]
    second = [f"b{i}" for i in range(len(e.scores))]
    theirs = _run_evaluator(
        BinaryClassificationEvaluator(first, second, e.positive.astype(int).tolist(),
                                      similarity_fn_names=["cosine"], write_csv=False),
        binary_classification, e.scores32)
    theirs |= _run_evaluator(
        EmbeddingSimilarityEvaluator(first, second, e.labels.tolist(), similarity_fn_names=["cosine"],
                                     write_csv=False),
        embedding_similarity, e.scores32)
    names = ["cosine_accuracy", "cosine_accuracy_threshold", "cosine_f1", "cosine_precision",
             "cosine_recall", "cosine_f1_threshold", "cosine_ap", "cosine_mcc", "pearson_cosine",
             "spearman_cosine"]
    assert set(names) <= set(theirs)
    for key in names:
        assert e.metrics[key] == pytest.approx(float(theirs[key]), abs=1e-9), key
    # The same numbers under simscore's names.
    assert e.metrics["best_accuracy"] == pytest.approx(float(theirs["cosine_accuracy"]), abs=1e-9)
    assert e.metrics["average_precision"] == pytest.approx(float(theirs["cosine_ap"]), abs=1e-9)


@pytest.mark.parametrize("name", ["lcqmc", "stsb_en"])
def test_curve_rows_equal_sklearn(evaluate, name):
    e = evaluate(name)
    with open(e.curve_path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows[0] == ["threshold", "tp", "fp", "tn", "fn", "precision", "recall", "f1", "fpr", "tpr"]
    table = np.array(rows[1:], dtype=np.float64)
    # The thresholds are scores in their shortest float32 form: read them as float32, exactly.
    table[:, 0] = np.array([r[0] for r in rows[1:]], dtype=np.float32)
    fpr, tpr, thresholds = metrics.roc_curve(e.positive, e.scores, drop_intermediate=False)
    # roc_curve starts at an extra threshold above every score; the rest are the distinct scores.
    assert np.array_equal(table[:, 0], thresholds[1:])
    assert np.allclose(table[:, 8], fpr[1:], rtol=0, atol=1e-12)
    assert np.allclose(table[:, 9], tpr[1:], rtol=0, atol=1e-12)
    positives, negatives = int(e.positive.sum()), int((~e.positive).sum())
    assert np.array_equal(table[:, 1], np.round(tpr[1:] * positives))
    assert np.array_equal(table[:, 2], np.round(fpr[1:] * negatives))
    assert np.array_equal(table[:, 1] + table[:, 4], np.full(len(table), positives))
    assert np.array_equal(table[:, 2] + table[:, 3], np.full(len(table), negatives))
    for row in table[:: max(1, len(table) // 50)]:
        predicted = e.scores >= row[0]
        assert row[5] == pytest.approx(metrics.precision_score(e.positive, predicted, zero_division=0), abs=1e-12)
        assert row[7] == pytest.approx(metrics.f1_score(e.positive, predicted, zero_division=0), abs=1e-12)
    # The best F1 row is the printed best_f1 at the printed best_threshold.
    best = table[np.argmax(table[:, 7])]
    assert best[7] == e.metrics["best_f1"] and best[0] == e.metrics["best_threshold"]
    printed = dict(line.split(None, 1) for line in e.stdout.splitlines() if line.startswith("best_f1"))
    assert printed["best_f1"].strip() == f"{best[7]:.6f}"


def _png_pixels(path):
    """The RGB(A) pixels of a non-interlaced 8-bit PNG (what Chromium writes), as rows of bytes."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 4 if color == 6 else 3
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line))
        previous = line
    return rows, channels


def _chromium():
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.skip("headless Chromium is absent: scripts/install_deps.sh --test installs it")


def render_in_chromium(html, out_png):
    """Screenshot and serialized DOM of `html` in headless Chromium (the page has no script to run)."""
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1280,2000", "--user-data-dir=" + str(out_png.parent / "chromium-profile")]
    shot = subprocess.run([*flags, f"--screenshot={out_png}", html.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert out_png.exists(), shot.stderr
    dom = subprocess.run([*flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr
    return dom.stdout


def check_screenshot_not_blank(png):
    rows, channels = _png_pixels(png)
    colours = {row[i:i + 3] for row in rows[::4] for i in range(0, len(row), channels * 4)}
    ink = sum(1 for row in rows[::4] for i in range(0, len(row), channels * 4) if row[i:i + 3] != b"\xff\xff\xff")
    assert len(colours) > 20, f"only {len(colours)} colours: the page did not render"
    assert ink > len(rows) // 4 * len(rows[0]) // channels // 4 // 10, "the page is mostly blank"


@pytest.mark.parametrize("name", ["lcqmc", "stsb_en"])
def test_html_report_renders_in_chromium(evaluate, tmp_path, name):
    e = evaluate(name)
    html = e.html_path.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    dom = render_in_chromium(e.html_path, tmp_path / "page.png")
    check_screenshot_not_blank(tmp_path / "page.png")
    # Four charts (histogram, F1 against threshold, precision-recall, ROC) drawn with real data.
    assert dom.count("<svg") == 4
    assert dom.count('class="series"') >= 5
    assert dom.count('class="marker"') >= 4 and dom.count('class="dot"') == 4
    for key in ("best_f1", "average_precision", "roc_auc", "mcc", "cosine_accuracy", "spearman"):
        assert f"<code>{key}</code>" in dom
        assert f"{e.metrics[key]:.6f}" in dom, key
    assert e.report["model"]["name"] in dom and "pairs/s" in dom and "MiB resident" in dom


def test_graded_labels_without_positive_min_print_correlations(tmp_path, simscore, shared, default_model):
    """STS-B's 0-5 labels without --positive-min: Pearson and Spearman, exit 0 (an eighth of the
    rows, to stay fast)."""
    path = shared / "data" / "senteval_cn" / "STS-B" / "STS-B.test.data"
    scores_path, report_path, html_path = tmp_path / "s.txt", tmp_path / "r.json", tmp_path / "r.html"
    result = run([simscore, "eval", path, "--model", default_model, "--shard", "0/8", "-o", scores_path,
                  "--report", report_path, "--html", html_path])
    assert result.returncode == 0, result.stderr
    assert "--positive-min" in result.stderr
    labels = np.array(_tsv(path, 2))[::8]
    scores = np.array(scores_path.read_text().splitlines(), dtype=np.float32).astype(np.float64)
    m = json.loads(report_path.read_text())["metrics"]
    # The metrics table, then (after a blank line) the systems table with Spearman's interval.
    table, intervals = result.stdout.split("\n\n", 1)
    printed = dict(line.split(None, 1) for line in table.splitlines())
    assert set(printed) == {"pairs", "pearson", "spearman"}
    # The header names the metrics (a system's name may hold "f1", as in "bf16").
    header = intervals.splitlines()[1].split()
    assert intervals.startswith("systems:\nsystem") and "spearman" in header and "f1" not in header, intervals
    for key, reference in (("pearson", stats.pearsonr(scores, labels).statistic),
                           ("spearman", stats.spearmanr(scores, labels).statistic)):
        assert m[key] == pytest.approx(reference, abs=1e-9)
        assert m[f"{key}_cosine"] == m[key]
        assert printed[key].strip() == f"{m[key]:.6f}"
    assert "f1" not in m and m["graded"] is True
    html = html_path.read_text()
    assert html.count("<svg") == 1 and "label 4 to 5" in html and f"{m['spearman']:.6f}" in html
    # A curve needs binary decisions: refused (usage) before anything is printed.
    refused = run([simscore, "eval", path, "--model", default_model, "--shard", "0/64", "--curve",
                   tmp_path / "c.tsv", "--quiet"])
    assert refused.returncode == 2 and refused.stdout == "" and "--positive-min" in refused.stderr
    assert not (tmp_path / "c.tsv").exists()


def test_score_html_has_histogram_and_run_facts(tmp_path, simscore, default_model):
    pairs = "\n".join(f"a cat sits on mat {i}\ta dog lies on rug {i % 7}" for i in range(40)) + "\n"
    html_path = tmp_path / "score.html"
    result = run([simscore, "score", "-", "--model", default_model, "--html", html_path, "--quiet"], input=pairs)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 40
    dom = render_in_chromium(html_path, tmp_path / "score.png")
    check_screenshot_not_blank(tmp_path / "score.png")
    assert dom.count("<svg") == 1 and "all pairs (40)" in dom
    assert "pairs/s" in dom and "MiB resident" in dom and "Metrics" not in dom
