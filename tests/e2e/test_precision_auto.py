"""--precision auto (the default): the precision core/ops/auto_precision.cc's table gives this host's
instruction-set class, the same in `score -v`, the report, `inspect` and `inspect --json`, which say
why; an explicit --precision still forces one; $ONEDNN_MAX_CPU_ISA lowers the class for oneDNN and
simscore's own kernels alike. `-v`'s gemm kernel line and the report name the kernel each precision
really runs, and an int8 run's weights as int8."""
import json
import os

import pytest

from conftest import run

PAIR = "a cat sits on the mat\ta dog lies on the rug\n"


def verbose_lines(stderr):
    return {line[:12].strip(): line[12:].strip() for line in stderr.splitlines() if len(line) > 12}


def score(simscore, model, tmp_path, *flags, env=None):
    report = tmp_path / "report.json"
    result = run([simscore, "score", "-", "--model", model, "-v", "-q", "--threads", "1", "--report", report,
                  *flags], input=PAIR, env=env)
    assert result.returncode == 0, result.stderr
    return verbose_lines(result.stderr), json.loads(report.read_text())


def inspect_json(simscore, model, *flags, env=None):
    result = run([simscore, "inspect", "--model", model, "--json", *flags], env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("cap", [None, "SSE41"])
def test_auto_resolves_alike_everywhere_and_says_why(tmp_path, simscore, default_model, cap):
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": cap} if cap else None
    planned = inspect_json(simscore, default_model, env=env)
    chosen = planned["precision"]
    assert chosen in planned["precisions"], planned
    assert planned["precision_reason"].startswith(f"auto: {chosen} ("), planned
    v, report = score(simscore, default_model, tmp_path, env=env)
    assert v["precision"] == f"{chosen}: {planned['precision_reason']}", v
    assert report["precision"] == chosen and report["precision_reason"] == planned["precision_reason"], report
    if cap == "SSE41":  # the cap reaches simscore's own kernels, and auto decides for the capped class
        assert v["kernel isa"].startswith("baseline"), v
        assert "below AVX2 host" in planned["precision_reason"], planned
    text = run([simscore, "inspect", "--model", default_model], env=env).stdout
    assert f"precision      {chosen}: {planned['precision_reason']}" in text, text
    assert any(line.split()[:1] == [chosen] and line.endswith("<- this run's") for line in text.splitlines()), text


def test_an_explicit_precision_is_forced(tmp_path, simscore, default_model):
    for precision in inspect_json(simscore, default_model)["precisions"]:
        v, report = score(simscore, default_model, tmp_path, "--precision", precision)
        assert report["precision"] == precision, report
        assert report["precision_reason"] == f"given (--precision {precision})", report
        assert v["precision"] == f"{precision}: given (--precision {precision})", v
        # -v names the kernel the products run, as the report does: for int8 the int8 kernel.
        assert v["gemm kernel"] == report["cpu"]["gemm_kernel"], (v, report["cpu"])
        if precision == "int8":
            assert "(u8 x s8 -> s32)" in v["gemm kernel"], v
            assert report["model"]["weight_dtype"] == "int8", report["model"]
            assert v["weights"].startswith("int8"), v
        else:
            assert report["model"]["weight_dtype"] == precision, report["model"]
