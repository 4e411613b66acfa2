"""--precision int8 end to end: the report says int8 and which kernel and products run; inspect and
--max-memory count the int8 copies; scores stay close to fp32 (the accuracy bounds themselves are
tests/int8_reference_test)."""
import json

import pytest

from conftest import run

PAIRS = ("A man is playing a guitar.\tA man plays the guitar.\n"
         "A woman is slicing an onion.\tA dog runs through a field.\n"
         "The cat sits on the mat.\tA cat is sitting on a mat.\n")


def score(simscore, model, tmp_path, precision):
    report = tmp_path / f"{precision}.json"
    r = run([simscore, "score", "--model", model, "--precision", precision, "--report", report, "-q"], input=PAIRS)
    assert r.returncode == 0, r.stderr
    return [float(line) for line in r.stdout.split()], json.loads(report.read_text())


def test_int8_scores_and_report(simscore, default_model, tmp_path):
    fp32, _ = score(simscore, default_model, tmp_path, "fp32")
    int8, report = score(simscore, default_model, tmp_path, "int8")
    assert len(int8) == 3
    # Measured on STS-B test: largest difference from fp32 0.043 over 1,379 pairs (every product int8).
    assert int8 == pytest.approx(fp32, abs=0.09)
    assert report["precision"] == "int8"
    kernel = report["cpu"]["gemm_kernel"]
    assert "u8 x s8 -> s32" in kernel and "products: int8" in kernel and "FFN output product" not in kernel, kernel


def test_ffn_output_in_fp32_on_request(simscore, default_model, tmp_path):
    fp32, _ = score(simscore, default_model, tmp_path, "fp32")
    report = tmp_path / "ffn-fp32.json"
    r = run([simscore, "score", "--model", default_model, "--precision", "int8", "--int8-ffn-output", "fp32",
             "--report", report, "-q"], input=PAIRS)
    assert r.returncode == 0, r.stderr
    # Measured on STS-B test: largest difference from fp32 0.027 (FFN output fp32).
    assert [float(line) for line in r.stdout.split()] == pytest.approx(fp32, abs=0.06)
    kernel = json.loads(report.read_text())["cpu"]["gemm_kernel"]
    assert "products: int8 (Q, K, V, attention output, FFN in), fp32 (FFN output)" in kernel, kernel
    assert "FFN output product" in kernel and "in fp32" in kernel, kernel


@pytest.mark.parametrize("precision", ["fp16", "fp32", "bf16"])
def test_ffn_output_flag_needs_int8(simscore, default_model, precision):
    r = run([simscore, "score", "--model", default_model, "--precision", precision, "--int8-ffn-output", "fp32"],
            input=PAIRS)
    assert r.returncode == 2, r.stderr  # usage error: the flag means nothing without int8 products
    assert "--int8-ffn-output" in r.stderr and "--precision int8" in r.stderr, r.stderr
    assert r.stdout == ""


def test_inspect_and_max_memory_know_int8(simscore, default_model):
    r = run([simscore, "inspect", "--model", default_model])
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.strip().startswith("int8"))
    assert "prepacked" in line, line  # the int8 copies
    # A budget too small for the weights is refused before loading, in int8's terms (exit 5: resource).
    r = run([simscore, "score", "--model", default_model, "--precision", "int8", "--max-memory", "1M"], input=PAIRS)
    assert r.returncode == 5, r.stderr
    assert "in int8" in r.stderr, r.stderr
