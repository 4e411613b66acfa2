"""`simscore inspect --json` and `simscore score --report` print the same memory.weights_bytes,
prepacked_bytes and arena_bytes, because both read one EncoderPlan: for MiniLM at fp32, fp16, bf16
and int8 on each SIMSCORE_GEMM backend, and at --max-batch-tokens 512, 2048 and 8192 (int8's scratch
grows with the batch). (The StructBERT-large
shape is checked in tests/encoder_plan_test.cc: its plan from shapes alone equals the plan from
loaded weights, and the products built allocate what the plan says.)"""
import json

import pytest

from conftest import environment_without_coretype, run

CASES = [(backend, precision, 2048) for backend in ("onednn", "onednn-prepacked", "openblas")
         for precision in ("fp32", "fp16", "bf16", "int8")] + [("onednn", "fp16", 512), ("onednn", "fp16", 8192),
                                                               ("onednn-prepacked", "bf16", 8192),
                                                               ("onednn", "int8", 512), ("onednn", "int8", 8192)]


@pytest.mark.parametrize("backend,precision,tokens", CASES)
def test_inspect_and_report_agree(tmp_path, simscore, default_model, backend, precision, tokens):
    env = {**environment_without_coretype(), "SIMSCORE_GEMM": backend}
    flags = ["--precision", precision, "--max-batch-tokens", str(tokens), "--threads", "2"]
    inspected = run([simscore, "inspect", "--model", default_model, "--json", *flags], env=env)
    assert inspected.returncode == 0, inspected.stderr
    planned = json.loads(inspected.stdout)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a cat sits\tthe dog runs\n")
    scored = run([simscore, "score", pairs, "--model", default_model, "-q", "--report", tmp_path / "r.json",
                  *flags], env=env)
    assert scored.returncode == 0, scored.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    for name in ("weights_bytes", "prepacked_bytes", "arena_bytes"):
        assert planned["memory"][name] == report["memory"][name], name
    assert planned["parameters"] == report["model"]["parameters"]
    assert planned["mode"] == report["mode"] == "bi"
    int8 = precision == "int8" and backend != "openblas"  # OpenBLAS has no int8 products
    if int8:  # the int8 copies; every product in int8 (the default)
        assert planned["memory"]["prepacked_bytes"] > 0
        assert planned["products"] == "int8"
        assert report["precision"] == "int8"
    elif backend != "onednn":  # (onednn prepacks only bf16 products on a CPU that has them)
        assert (planned["memory"]["prepacked_bytes"] > 0) == (backend == "onednn-prepacked")


def test_int8_with_ffn_output_fp32_agrees_too(tmp_path, simscore, default_model):
    # --int8-ffn-output fp32: the FFN output weights stay fp16, no int8 copy of them; inspect,
    # --max-memory and the report count the same bytes.
    flags = ["--precision", "int8", "--int8-ffn-output", "fp32", "--threads", "2"]
    planned = json.loads(run([simscore, "inspect", "--model", default_model, "--json", *flags]).stdout)
    default = json.loads(run([simscore, "inspect", "--model", default_model, "--json", *flags[:2], *flags[4:]]).stdout)
    assert planned["products"] == "int8 (Q, K, V, attention output, FFN in), fp32 (FFN output)"
    assert planned["memory"]["weights_bytes"] > default["memory"]["weights_bytes"]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a cat sits\tthe dog runs\n")
    scored = run([simscore, "score", pairs, "--model", default_model, "-q", "--report", tmp_path / "r.json", *flags])
    assert scored.returncode == 0, scored.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    for name in ("weights_bytes", "prepacked_bytes", "arena_bytes"):
        assert planned["memory"][name] == report["memory"][name], name
    r = run([simscore, "score", pairs, "--model", default_model, "--max-memory", "1M", *flags])
    mib = (planned["memory"]["weights_bytes"] + planned["memory"]["prepacked_bytes"]) / 2**20
    assert r.returncode == 5 and f"weights alone need {mib:.0f} MiB in int8" in r.stderr, (mib, r.stderr)
    # As score does, inspect refuses the flag where the precision is not int8 (exit 2).
    refused = run([simscore, "inspect", "--model", default_model, "--json", "--precision", "fp16",
                   "--int8-ffn-output", "fp32"])
    assert refused.returncode == 2 and "--precision int8" in refused.stderr, refused.stderr
