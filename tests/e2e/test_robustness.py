"""Process faults, as a pipeline or a cron job meets them: interruption and --resume, a closed
downstream pipe, a full disk, a memory budget that cannot be met, rows that are wrong."""
import json
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import run, write_lcqmc_pairs

EXIT_INPUT, EXIT_RESOURCE, EXIT_INTERRUPTED = 3, 5, 130


@pytest.fixture(scope="module")
def pairs(tmp_path_factory, shared):
    """4,000 real LCQMC rows."""
    return write_lcqmc_pairs(tmp_path_factory, shared, 4000)


def test_interrupted_runs_resume_to_the_same_bytes(tmp_path, simscore, default_model, pairs):
    common = ["score", pairs, "--model", default_model, "--window", "250", "--quiet"]
    reference = tmp_path / "reference.txt"
    assert run([simscore, *common, "-o", reference]).returncode == 0

    out = tmp_path / "scores.txt"
    rng = random.Random(7)
    interruptions = 0
    for attempt in range(6):
        proc = subprocess.Popen([str(c) for c in [simscore, *common, "-o", out, "--resume"]],
                                stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.3, 2.0))
        # Alternate a polite stop (SIGINT: finish the batch, keep what is complete) with a hard kill
        # (SIGKILL: the partial file may end in the middle of a line or a window).
        proc.send_signal(signal.SIGINT if attempt % 2 == 0 else signal.SIGKILL)
        _, err = proc.communicate()
        if proc.returncode == 0:
            break  # it finished before the signal
        interruptions += 1
        assert proc.returncode in (EXIT_INTERRUPTED, -signal.SIGKILL), err
        assert not out.exists(), "an interrupted run must not leave a file that looks complete"
        if proc.returncode == EXIT_INTERRUPTED:
            assert "--resume" in err
    assert interruptions >= 2
    if not out.exists():
        result = run([simscore, *common, "-o", out, "--resume"])
        assert result.returncode == 0, result.stderr
    assert out.read_bytes() == reference.read_bytes()
    assert not (tmp_path / "scores.txt.partial").exists()


def test_closed_pipe_ends_quietly_with_success(simscore, default_model, pairs):
    # --quiet: LCQMC through the English default model draws the unknown-token warning, which is not
    # what this test is about; errors are printed even with --quiet.
    proc = subprocess.Popen([simscore, "score", str(pairs), "--model", str(default_model), "--window", "100",
                             "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    assert first.strip()
    assert proc.returncode == 0
    assert err == b""


def test_full_disk_is_an_error_not_a_short_file(simscore, default_model, pairs):
    with open("/dev/full", "w") as full:
        result = subprocess.run([simscore, "score", str(pairs), "--model", str(default_model)],
                                stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == EXIT_RESOURCE
    assert "No space left" in result.stderr


def test_memory_budget_too_small_is_refused_with_numbers(simscore, default_model, pairs):
    result = run([simscore, "score", pairs, "--model", default_model, "--max-memory", "40M"])
    assert result.returncode == EXIT_RESOURCE
    assert "MiB" in result.stderr and "weights" in result.stderr


def test_memory_budget_is_honoured(tmp_path, simscore, default_model, pairs):
    report = tmp_path / "report.json"
    result = run([simscore, "score", pairs, "--model", default_model, "--max-memory", "160M",
                  "--report", report, "-o", tmp_path / "scores.txt"])
    assert result.returncode == 0, result.stderr
    r = json.loads(report.read_text())
    assert r["memory"]["budget_bytes"] == 160 * 1024 * 1024
    assert r["memory"]["peak_rss_bytes"] <= r["memory"]["budget_bytes"]
    assert r["rows"] == 4000
    # The default run (--precision auto): oneDNN products; at fp16 on the weights as stored.
    assert r["cpu"]["gemm_kernel"].startswith("oneDNN"), r["cpu"]
    if r["precision"] == "fp16":
        assert "weights as stored, widened from fp16" in r["cpu"]["gemm_kernel"], r["cpu"]
    assert r["cpu"]["blas_kernel"].startswith("OpenBLAS"), r["cpu"]
    assert r["cpu"]["bf16_products"], r["cpu"]


def test_bad_rows_are_counted_by_reason_and_every_row_has_a_line(tmp_path, simscore, default_model, pairs):
    good = pairs.read_bytes().split(b"\n")[:50]
    bad = good[:10] + [b"only one column", b"a\xff\xfe\tb", b"", b"x\t"] + good[10:]
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"\n".join(bad) + b"\n")
    report = tmp_path / "report.json"
    result = run([simscore, "score", path, "--model", default_model, "--on-error", "skip",
                  "--report", report])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == len(bad)
    assert [i for i, line in enumerate(lines) if not line] == [10, 11, 12, 13]
    r = json.loads(report.read_text())
    assert r["rows"] == len(bad) and r["rows_failed"] == 4
    assert r["rows_failed_by_reason"] == {"column_count": 1, "invalid_utf8": 1, "empty_line": 1,
                                          "empty_text": 1}
    for line in ("bad.tsv:11:", "bad.tsv:12:", "bad.tsv:13:", "bad.tsv:14:"):
        assert line in result.stderr


def test_empty_input_gives_empty_output(simscore, default_model):
    result = run([simscore, "score", "-", "--model", default_model], input="")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
