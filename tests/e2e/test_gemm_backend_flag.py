"""SIMSCORE_GEMM is read once, when the command line is parsed: a bad value is a usage error (exit 2)
before any model is read, for every model-running command and `inspect`; `--verbose` and the report
name the kernel of the backend the run uses."""
import json

import pytest

from conftest import environment_without_coretype, run


@pytest.mark.parametrize("command", [["score", "-"], ["eval", "-"], ["inspect"]])
def test_bad_backend_is_a_usage_error(tmp_path, simscore, command):
    env = {**environment_without_coretype(), "SIMSCORE_GEMM": "cublas"}
    # A model directory that does not exist: the backend is refused before it is looked for.
    result = run([simscore, *command, "--model", tmp_path / "no-model"], input="a\tb\n", env=env)
    assert result.returncode == 2, result.stderr
    assert "SIMSCORE_GEMM" in result.stderr and "cublas" in result.stderr, result.stderr
    assert "onednn, onednn-prepacked or openblas" in result.stderr, result.stderr


@pytest.mark.parametrize("backend,library", [("onednn", "oneDNN"), ("onednn-prepacked", "oneDNN"),
                                             ("openblas", "OpenBLAS")])
def test_verbose_and_report_name_the_backend_used(tmp_path, simscore, default_model, backend, library):
    env = {**environment_without_coretype(), "SIMSCORE_GEMM": backend}
    # fp16: the precision whose products these backends run differently (int8 runs on oneDNN alone).
    result = run([simscore, "score", "-", "--model", default_model, "--verbose", "--threads", "1",
                  "--precision", "fp16", "--report", tmp_path / "r.json"], input="a cat\ta dog\n", env=env)
    assert result.returncode == 0, result.stderr
    kernel = next(line for line in result.stderr.splitlines() if line.startswith("gemm kernel"))
    assert kernel.removeprefix("gemm kernel").strip().startswith(library), kernel
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["cpu"]["gemm_kernel"].startswith(library), report["cpu"]
    if backend == "onednn-prepacked":
        assert "weights prepacked" in report["cpu"]["gemm_kernel"], report["cpu"]
