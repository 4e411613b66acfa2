"""Every precision is byte-stable: a row's score never depends on its window, its batch, the rows
beside it or the thread count. For each precision a run can ask for (`inspect --json`'s
"precisions", which walks core/ops/precision.h's list, so a new precision is tested here without
an edit), the same LCQMC rows are scored at 1 and 2 threads, whole, in reverse order in windows of
7 rows, in batches of at most 97 tokens and longest first; every row's score must have the same
bytes in every run. Rerun under each instruction-set class below the host's (tests/CMakeLists.txt)."""
import json

import pytest

from conftest import lcqmc_test_lines, run

ROWS = 160

# (name, extra flags, whether the input is reversed)
LAYOUTS = [("whole", [], False), ("reversed, in windows of 7", ["--window", "7"], True),
           ("97-token batches", ["--max-batch-tokens", "97"], False),
           ("longest first, windows of 50", ["--longest-first", "--window", "50"], False)]


def precisions(simscore, model):
    result = run([simscore, "inspect", "--model", model, "--json"])
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout)["precisions"]
    assert "fp32" in names and len(names) >= 4, names
    return names


def scores(simscore, model, tmp_path, lines, precision, threads, flags, reverse):
    pairs = tmp_path / "pairs.tsv"
    ordered = lines[::-1] if reverse else lines
    pairs.write_text("".join(line + "\n" for line in ordered), encoding="utf-8")
    out = tmp_path / "scores.tsv"
    result = run([simscore, "score", pairs, "--model", model, "--precision", precision, "--threads",
                  str(threads), "-o", out, "-q", *flags])
    assert result.returncode == 0, result.stderr
    values = out.read_text().splitlines()
    assert len(values) == len(lines), values[:3]
    return values[::-1] if reverse else values


def test_every_precision_gives_each_row_the_same_bytes(tmp_path, simscore, shared, default_model):
    lines = [line.split("\t")[0] + "\t" + line.split("\t")[1] for line in lcqmc_test_lines(shared, ROWS)]
    failures = []
    for precision in precisions(simscore, default_model):
        reference = None
        for threads in (1, 2):
            for name, flags, reverse in LAYOUTS:
                got = scores(simscore, default_model, tmp_path, lines, precision, threads, flags, reverse)
                if reference is None:
                    reference = got
                    continue
                differ = [i for i, (a, b) in enumerate(zip(reference, got)) if a != b]
                if differ:
                    i = differ[0]
                    failures.append(f"{precision}, {threads} threads, {name}: {len(differ)} of {ROWS} rows "
                                    f"differ from 1 thread whole (row {i}: {reference[i]} vs {got[i]})")
    assert not failures, "\n".join(failures)
