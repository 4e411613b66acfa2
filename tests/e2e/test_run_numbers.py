"""Numbers that do not mislead: unknown tokens counted as HuggingFace tokenizers counts them (with one
warning when a window is mostly [UNK]), load time apart from the scoring time the rates use, and
progress that moves inside a window."""
import json
import os
import pty
import re
import subprocess
import time

import pytest

from conftest import ROOT, run


def test_unknown_tokens_as_the_reference_tokenizer_counts_them(simscore, default_model, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    reference = tokenizers.Tokenizer.from_file(str(default_model / "tokenizer.json"))
    reference.no_padding()  # the shipped tokenizer.json pads to 128
    unk = reference.token_to_id("[UNK]")
    pairs = ROOT / "examples/pairs_zh.tsv"
    # The bi-encoder encodes each distinct text once (one window here), special tokens included.
    texts = {text for line in pairs.read_text().splitlines() for text in line.split("\t")}
    encodings = [reference.encode(text).ids for text in texts]
    total = sum(len(ids) for ids in encodings)
    unknown = sum(ids.count(unk) for ids in encodings)
    assert unknown * 20 > total  # the premise: more than 5% unknown

    result = run([simscore, "score", pairs, "--model", default_model, "--report", tmp_path / "r.json"])
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tokens"] == {"total": total, "unknown": unknown, "unknown_fraction": unknown / total}
    warnings = [line for line in result.stderr.splitlines() if "unknown" in line]
    assert len(warnings) == 1 and "all-MiniLM-L6-v2" in warnings[0], result.stderr

    english = run([simscore, "score", ROOT / "examples/pairs.tsv", "--model", default_model,
                   "--report", tmp_path / "en.json"])
    assert english.returncode == 0 and "unknown" not in english.stderr, english.stderr
    assert json.loads((tmp_path / "en.json").read_text())["tokens"]["unknown"] == 0


def test_load_time_is_its_own_stage_and_rates_use_the_scoring_time(simscore, default_model, tmp_path):
    start = time.monotonic()
    result = run([simscore, "score", ROOT / "examples/pairs.tsv", "--model", default_model,
                  "--report", tmp_path / "r.json"])
    wall = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    load, seconds = report["stage_seconds"]["load"], report["throughput"]["seconds"]
    assert load > 0 and seconds > 0 and load + seconds < wall
    assert report["throughput"]["pairs_per_second"] == pytest.approx(report["rows"] / seconds, rel=1e-12)
    assert f"after {load:.2f} s loading the model: " in result.stderr
    assert report["batching"]["batches"] == 1 and "simscore: 1 batch, " in result.stderr, result.stderr


def test_progress_moves_inside_one_window(simscore, default_model, tmp_path):
    rows = 600
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"sentence {i} says something about topic {i % 13}\t"
                            f"another sentence {i * 7} on subject {i % 11}\n" for i in range(rows)))
    # stderr on a terminal, so progress is drawn; small batches so there are many inside the window.
    controller, terminal = pty.openpty()
    process = subprocess.Popen([simscore, "score", path, "--model", default_model, "--max-batch-tokens", "48",
                                "--threads", "1"], stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        output += chunk
    assert process.wait() == 0, output
    os.close(controller)
    draws = re.findall(rb"\] +(\d+)%  (\d+) rows, \d+ rows/s, ETA (\d+ s|\?)", output)
    percents = [int(p) for p, _, _ in draws]
    done_rows = [int(r) for _, r, _ in draws]
    # One window of 600 rows: before the fix, the only draw came when it ended (100%).
    assert any(0 < p < 100 for p in percents), output
    assert any(0 < r < rows for r in done_rows), output
    assert percents == sorted(percents) and done_rows == sorted(done_rows)
