#!/usr/bin/env python3
"""Writes OUT/metrics/cases.json: synthetic (score, label) cases with the metrics scikit-learn and
scipy compute for them, which tests/metrics_test.cc compares core/metrics against.

Every number here comes from the reference libraries; the only thing this script decides is the tie
rule for the best threshold (on equal F1 the highest threshold wins), which core/metrics documents
too. Synthetic data only, fixed seeds: the output is the same on every run.
"""

import argparse
import json
import math
import pathlib
import warnings
from fractions import Fraction

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, precision_recall_curve,
                             precision_score, recall_score, roc_auc_score)


def optional(value):
    """nan (sklearn/scipy's "undefined") becomes JSON null."""
    value = float(value)
    return None if math.isnan(value) else value


def threshold_metrics(scores, positive, threshold):
    predicted = scores >= threshold
    tn, fp, fn, tp = confusion_matrix(positive, predicted, labels=[False, True]).ravel()
    return {
        "threshold": float(threshold),
        "tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp),
        "accuracy": float(accuracy_score(positive, predicted)),
        "precision": float(precision_score(positive, predicted, zero_division=0)),
        "recall": float(recall_score(positive, predicted, zero_division=0)),
        "f1": float(f1_score(positive, predicted, zero_division=0)),
    }


def best_threshold(scores, positive):
    """Brute force over every distinct score. Ties in F1 are decided on the exact rational F1 from
    the confusion matrix (so float rounding cannot pick the winner); the highest threshold wins."""
    best = None  # (exact f1, threshold, sklearn f1)
    for t in sorted(set(scores.tolist()), reverse=True):
        predicted = scores >= t
        tn, fp, fn, tp = confusion_matrix(positive, predicted, labels=[False, True]).ravel()
        denominator = 2 * tp + fp + fn
        exact = Fraction(int(2 * tp), int(denominator)) if denominator else Fraction(0)
        sk = float(f1_score(positive, predicted, zero_division=0))
        assert abs(sk - float(exact)) < 1e-12, (sk, exact)
        if best is None or exact > best[0]:
            best = (exact, t, sk)
    if best is None:
        return 0.0, 0.0

    # Cross-check with precision_recall_curve, whose thresholds are the distinct scores.
    if positive.any():
        precision, recall, _ = precision_recall_curve(positive, scores)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(precision + recall > 0,
                          2 * precision * recall / (precision + recall), 0.0)
        assert abs(float(f1.max()) - best[2]) < 1e-12, (f1.max(), best)
    return float(best[1]), best[2]


def reference_metrics(scores, labels, threshold, positive_min, extra_thresholds=()):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    positive = labels >= positive_min
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined metrics are expected here and become null
        best_t, best_f1 = best_threshold(scores, positive)
        roc = roc_auc_score(positive, scores) if len(scores) else float("nan")
        pearson = spearman = float("nan")  # both raise for fewer than two values
        if len(scores) >= 2:
            pearson = scipy.stats.pearsonr(scores, labels).statistic
            spearman = scipy.stats.spearmanr(scores, labels).statistic
        at = [threshold_metrics(scores, positive, t) for t in (threshold, *extra_thresholds)]
    return {
        "count": int(len(scores)),
        "positives": int(positive.sum()),
        "negatives": int((~positive).sum()),
        "at_threshold": at[0],
        "other_thresholds": at[1:],
        "best_threshold": best_t,
        "best_f1": best_f1,
        "roc_auc": optional(roc),
        "pearson": optional(pearson),
        "spearman": optional(spearman),
    }


def make_case(name, scores, labels, threshold, positive_min, extra_thresholds=()):
    scores = [float(s) for s in scores]
    labels = [float(v) for v in labels]
    return {
        "name": name,
        "scores": scores,
        "labels": labels,
        "threshold": float(threshold),
        "positive_min": float(positive_min),
        "expected": reference_metrics(scores, labels, threshold, positive_min, extra_thresholds),
    }


def cases():
    out = []
    rng = np.random.default_rng(20240611)

    # Continuous scores, 0/1 labels, informative but imperfect.
    labels = rng.integers(0, 2, size=1000)
    scores = 1 / (1 + np.exp(-(rng.normal(size=1000) + 1.2 * labels - 0.6)))
    out.append(make_case("continuous_binary_n1000", scores, labels, 0.5, 1,
                         extra_thresholds=[float(scores[17]), float(scores.min()),
                                           float(scores.max()), 2.0, -1.0]))

    # Heavy ties: the same scores rounded to one decimal (about eleven distinct values).
    tied = np.round(scores, 1)
    out.append(make_case("ties_one_decimal_n1000", tied, labels, 0.5, 1,
                         extra_thresholds=[0.3, 0.7, 0.0, 1.0]))

    # Every score equal: one threshold, AUC exactly 1/2, correlations undefined.
    out.append(make_case("all_equal_scores", np.full(50, 0.7), rng.integers(0, 2, size=50), 0.7, 1,
                         extra_thresholds=[0.71]))

    # One class only: AUC undefined; correlation against constant labels undefined too.
    out.append(make_case("one_class_all_negative", rng.uniform(size=40), np.zeros(40), 0.5, 1))
    out.append(make_case("one_class_all_positive", rng.uniform(size=40), np.ones(40), 0.5, 1))

    # STS-like graded labels 0..5 (one decimal), scores correlated with them.
    sts = np.round(rng.uniform(0, 5, size=600), 1)
    sts_scores = np.clip(sts / 5 + rng.normal(scale=0.2, size=600), -1, 1)
    out.append(make_case("graded_sts_min3", sts_scores, sts, 0.6, 3, extra_thresholds=[0.8]))
    out.append(make_case("graded_sts_min4", sts_scores, sts, 0.6, 4, extra_thresholds=[0.8]))
    # Integer grades, many ties on both sides (Spearman's average ranks on the labels).
    grades = rng.integers(0, 6, size=300)
    grade_scores = np.round(grades / 5 + rng.normal(scale=0.3, size=300), 2)
    out.append(make_case("graded_integer_ties_min3", grade_scores, grades, 0.5, 3))
    # Graded labels all below positive_min: one class, but the labels are not constant.
    out.append(make_case("graded_no_positive", rng.uniform(size=30), rng.integers(0, 3, size=30),
                         0.5, 3))

    # Tiny cases, n = 2..5, including ties and the two-class minimum.
    out.append(make_case("tiny_n2", [0.2, 0.8], [0, 1], 0.5, 1))
    out.append(make_case("tiny_n2_inverted", [0.8, 0.2], [0, 1], 0.5, 1))
    out.append(make_case("tiny_n3_tie", [0.5, 0.5, 0.1], [1, 0, 0], 0.5, 1))
    out.append(make_case("tiny_n4_f1_tie", [0.9, 0.8, 0.7, 0.6], [1, 0, 0, 1], 0.75, 1))
    out.append(make_case("tiny_n5", [0.3, -0.1, 0.9, 0.3, 0.55], [1, 0, 1, 0, 1], 0.3, 1))
    for n in range(2, 6):
        out.append(make_case(f"tiny_random_n{n}", np.round(rng.uniform(size=n), 1),
                             rng.integers(0, 2, size=n), 0.5, 1))

    # Mostly positives and uninformative scores: predicting everything positive is best.
    lowest = rng.integers(0, 10, size=200) > 0
    lowest_scores = rng.uniform(size=200)
    case = make_case("best_f1_at_lowest_score", lowest_scores, lowest, 0.5, 1)
    assert case["expected"]["best_threshold"] == min(case["scores"])
    out.append(case)

    # Negative scores packed closely together (cosine similarities can be negative).
    out.append(make_case("negative_scores", rng.normal(scale=1e-3, size=100) - 0.5,
                         rng.integers(0, 2, size=100), -0.5, 1))
    return out


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(repo.parent / "shared"),
                        help="unused: the cases are synthetic")
    parser.add_argument("--out", default=str(repo / "build" / "fixtures"),
                        help="the fixtures folder")
    args = parser.parse_args()

    folder = pathlib.Path(args.out) / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "generator": "tests/reference/make_metric_fixtures.py",
        "sklearn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "cases": cases(),
    }
    # json writes floats with repr(), the shortest string that reads back to the same double.
    (folder / "cases.json").write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    print(f"wrote {len(document['cases'])} cases to {folder / 'cases.json'}")


if __name__ == "__main__":
    main()
