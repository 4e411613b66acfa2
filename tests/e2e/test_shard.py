"""--shard K/N on real data: N processes that each take every N-th row give, interleaved row by row,
exactly the bytes of one process (scores included: simscore's scores do not depend on which rows
share a batch), with --with-input, --header and --id; a sharded run resumes to the same bytes; eval
on a shard is eval on the shard's rows; the GNU parallel one-liners in examples/parallel.sh work."""
import subprocess
import time
import json
import shutil

import pytest

from conftest import ROOT, environment_without_coretype, lcqmc_test_lines, require_row_invariant_kernel, run

SHARDS = 3


@pytest.fixture(scope="module")
def env(simscore, default_model):
    environment = environment_without_coretype()
    require_row_invariant_kernel(simscore, default_model, environment)
    return environment


@pytest.fixture(scope="module")
def lcqmc_rows(shared):
    """1,200 real LCQMC test rows (a, b, label), as lines without their newline."""
    return lcqmc_test_lines(shared, 1200)


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def interleave(parts):
    """Row i of the whole is row i // N of part i % N."""
    total = sum(len(part) for part in parts)
    return [parts[i % len(parts)][i // len(parts)] for i in range(total)]


@pytest.mark.parametrize("layout", ["with-input-header", "id"])
def test_shards_interleave_to_the_unsharded_bytes(tmp_path, simscore, default_model, env, lcqmc_rows, layout):
    if layout == "with-input-header":
        path = write_lines(tmp_path / "pairs.tsv", ["sentence1\tsentence2\tlabel", *lcqmc_rows])
        flags = ["--header", "--with-input", "--text-a", "sentence1", "--text-b", "sentence2"]
    else:
        path = write_lines(tmp_path / "pairs.tsv", [f"row{i}\t{line}" for i, line in enumerate(lcqmc_rows)])
        flags = ["--id", "1", "--text-a", "2", "--text-b", "3"]
    # Small windows: every shard runs several, with batches unlike the unsharded run's.
    common = [simscore, "score", path, "--model", default_model, "--window", "150", "--quiet", *flags]
    whole = run(common, env=env)
    assert whole.returncode == 0, whole.stderr
    parts = []
    for k in range(SHARDS):
        result = run([*common, "--shard", f"{k}/{SHARDS}"], env=env)
        assert result.returncode == 0, result.stderr
        parts.append(result.stdout.splitlines())
    expected = whole.stdout.splitlines()
    if layout == "with-input-header":
        assert all(part[0] == "sentence1\tsentence2\tlabel\tscore" for part in parts)
        parts = [part[1:] for part in parts]
        expected = expected[1:]
    assert [len(part) for part in parts] == [len(range(k, len(lcqmc_rows), SHARDS)) for k in range(SHARDS)]
    assert "\n".join(interleave(parts)) + "\n" == "\n".join(expected) + "\n"
    # And the rows are the input's: the echo or the id says which row each line is.
    if layout == "id":
        assert [line.split("\t")[0] for line in parts[1]] == [f"row{i}" for i in range(1, len(lcqmc_rows), SHARDS)]
    else:
        assert [line.rsplit("\t", 1)[0] for line in parts[2]] == lcqmc_rows[2::SHARDS]


def test_sharded_run_resumes_to_the_same_bytes(tmp_path, simscore, default_model, env, lcqmc_rows):
    path = write_lines(tmp_path / "pairs.tsv", lcqmc_rows)
    common = [simscore, "score", path, "--model", default_model, "--window", "100", "--shard", "1/3"]
    reference = tmp_path / "reference.txt"
    assert run([*common, "-q", "-o", reference], env=env).returncode == 0
    lines = reference.read_text().splitlines(keepends=True)
    # As a killed run leaves it: 320 complete rows (three windows and 20 rows) and half a line. The
    # fingerprint of its input and options is the one a real run writes: one is started and killed
    # as soon as it has written it.
    out = tmp_path / "scores.txt"
    fingerprint = tmp_path / "scores.txt.partial.fingerprint"
    proc = subprocess.Popen([str(c) for c in [*common, "-q", "-o", out]], env=env)
    deadline = time.monotonic() + 60
    while not fingerprint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert fingerprint.exists(), "the run ended before it was stopped; nothing to resume"
    (tmp_path / "scores.txt.partial").write_text("".join(lines[:320]) + lines[320][:4])
    result = run([*common, "-o", out, "--resume"], env=env)
    assert result.returncode == 0, result.stderr
    assert "resuming after the 300 rows" in result.stderr
    assert out.read_bytes() == reference.read_bytes()


def test_eval_of_a_shard_is_eval_of_its_rows(tmp_path, simscore, default_model, env, lcqmc_rows):
    path = write_lines(tmp_path / "pairs.tsv", lcqmc_rows)
    rows = write_lines(tmp_path / "shard_rows.tsv", lcqmc_rows[1::4])
    sharded = run([simscore, "eval", path, "--model", default_model, "--shard", "1/4", "-q",
                   "--report", tmp_path / "sharded.json"], env=env)
    alone = run([simscore, "eval", rows, "--model", default_model, "-q", "--report", tmp_path / "alone.json"],
                env=env)
    assert sharded.returncode == 0 and alone.returncode == 0, sharded.stderr + alone.stderr
    assert sharded.stdout == alone.stdout
    assert sharded.stdout.startswith("pairs            300 ")
    for name in ("sharded", "alone"):
        assert json.loads((tmp_path / f"{name}.json").read_text())["rows"] == 300


@pytest.mark.parametrize("form", ["shard", "pipe"])
def test_parallel_one_liners_give_the_bytes_of_one_process(tmp_path, simscore, default_model, env, lcqmc_rows, form):
    if shutil.which("parallel") is None:
        pytest.skip("GNU parallel is absent: scripts/install_deps.sh --test installs it")
    path = write_lines(tmp_path / "pairs.tsv", lcqmc_rows)
    one = run([simscore, "score", path, "--model", default_model, "-q", "--with-input"], env=env)
    assert one.returncode == 0, one.stderr
    out = tmp_path / "scores.txt"
    # Blocks of 250 lines: the pipe form runs 5 processes.
    result = run([ROOT / "examples/parallel.sh", form, path, out, "3", "--model", default_model, "--with-input"],
                 env=dict(env, SIMSCORE=simscore, BLOCK_LINES="250"))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == one.stdout
