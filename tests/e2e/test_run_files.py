"""Issue 21, the run's files and the run's identity, with the real default model: side files planted
as links are never written through, a replaced file keeps its mode, --resume refuses another prompt,
another pooling, stdin and a hand-edited partial, and counts every row when it resumes; a stop while
a FIFO output waits for its reader or during `convert` exits 130 and leaves nothing of ours; a closed
stdout is refused. (Every output flag against every kind of target: tests/run_files_test.cc.)"""
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import run, write_lcqmc_pairs

EXIT_USAGE, EXIT_RESOURCE, EXIT_INTERRUPTED = 2, 5, 130


@pytest.fixture(scope="module")
def pairs(tmp_path_factory, shared):
    """30 real LCQMC rows."""
    return write_lcqmc_pairs(tmp_path_factory, shared, 30)


@pytest.fixture(scope="module")
def many_pairs(tmp_path_factory, shared):
    """3,000 real LCQMC rows: long enough to be stopped half way."""
    return write_lcqmc_pairs(tmp_path_factory, shared, 3000)


@pytest.fixture(scope="module")
def reference(simscore, default_model, pairs):
    result = run([simscore, "score", pairs, "--model", default_model, "--quiet"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def score(simscore, model, *args, **kwargs):
    return run([simscore, "score", *args, "--model", model, "--quiet"], **kwargs)


def stopped_half_way(simscore, model, input_path, out, *extra):
    """Scores the regular file `input_path` to `out` in windows of 10 rows and stops the run with
    SIGTERM once 20 rows are in OUT.partial; returns the partial's path."""
    partial = out.parent / (out.name + ".partial")
    proc = subprocess.Popen([simscore, "score", input_path, "--model", model, "--quiet", "--window", "10",
                             "-o", out, *extra], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.read_text().count("\n") < 20):
        assert proc.poll() is None, "the run ended before it could be stopped"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    return partial


def test_planted_side_files_are_never_written_through(tmp_path, simscore, default_model, pairs, reference):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "O"
    os.symlink(victim, tmp_path / "O.partial.fingerprint")
    result = score(simscore, default_model, pairs, "-o", out)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n" and out.read_text() == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["O", "victim"]

    out.unlink()
    os.link(victim, tmp_path / "O.partial")  # a hard link: opening it would truncate the victim
    result = score(simscore, default_model, pairs, "-o", out)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n" and out.read_text() == reference
    assert os.stat(victim).st_nlink == 1


def test_replacing_a_file_keeps_its_mode(tmp_path, simscore, default_model, pairs, reference):
    out, report = tmp_path / "scores.txt", tmp_path / "report.json"
    for path in (out, report):
        path.write_text("old\n")
        os.chmod(path, 0o600)
    result = score(simscore, default_model, pairs, "-o", out, "--report", report)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == reference and json.loads(report.read_text())["rows"] == 30
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600 and stat.S_IMODE(os.stat(report).st_mode) == 0o600


def test_resume_refuses_other_prompts_and_edited_partials_then_counts_every_row(
        tmp_path, simscore, default_model, many_pairs):
    out = tmp_path / "scores.txt"
    partial = stopped_half_way(simscore, default_model, many_pairs, out)
    written = partial.read_bytes()
    for other, key in ((["--prompt-a", "query: "], "prompt a"), (["--prompt-b", "passage: "], "prompt b"),
                       (["--prompt", "query: "], "prompt a")):
        result = score(simscore, default_model, many_pairs, "--window", "10", "-o", out, "--resume", *other)
        assert result.returncode == EXIT_RESOURCE and "cannot resume" in result.stderr, result.stderr
        assert key in result.stderr and "Invalid argument" not in result.stderr, result.stderr
        assert "columns:" not in result.stderr
        assert partial.read_bytes() == written and not out.exists()

    lines = written.decode().splitlines(keepends=True)
    partial.write_text("".join(lines[:5] + ["this is no score\n"] + lines[5:]))
    result = score(simscore, default_model, many_pairs, "--window", "10", "-o", out, "--resume")
    assert result.returncode == EXIT_RESOURCE and "line 6" in result.stderr, result.stderr
    assert "not a line simscore wrote" in result.stderr
    partial.write_bytes(written)

    report, page = tmp_path / "report.json", tmp_path / "page.html"
    result = score(simscore, default_model, many_pairs, "--window", "10", "-o", out, "--resume",
                   "--report", report, "--html", page)
    assert result.returncode == 0, result.stderr
    facts = json.loads(report.read_text())
    assert facts["rows"] == 3000 == out.read_text().count("\n")
    assert 20 <= facts["resumed_rows"] < 3000
    assert "all pairs (3000)" in page.read_text()  # the page's histogram holds the kept rows too


def test_resume_refuses_a_changed_pooling(tmp_path, simscore, default_model, many_pairs):
    model = tmp_path / "model"
    model.mkdir()
    for entry in default_model.iterdir():
        if entry.name != "1_Pooling":
            (model / entry.name).symlink_to(entry)
    shutil.copytree(default_model / "1_Pooling", model / "1_Pooling")
    out = tmp_path / "scores.txt"
    partial = stopped_half_way(simscore, model, many_pairs, out)
    config_path = model / "1_Pooling/config.json"
    config = json.loads(config_path.read_text())
    config["pooling_mode_mean_tokens"], config["pooling_mode_cls_token"] = False, True
    config_path.write_text(json.dumps(config))
    result = score(simscore, model, many_pairs, "--window", "10", "-o", out, "--resume")
    assert result.returncode == EXIT_RESOURCE and "pooling: mean then, cls now" in result.stderr, result.stderr
    assert "model file 1_Pooling/config.json" in result.stderr
    assert partial.exists() and not out.exists()


def test_resume_refuses_stdin(tmp_path, simscore, default_model, pairs):
    out = tmp_path / "scores.txt"
    with open(pairs) as stdin:
        result = score(simscore, default_model, "-", "-o", out, "--resume", stdin=stdin)
    assert result.returncode == EXIT_USAGE and "regular file" in result.stderr, result.stderr
    assert os.listdir(tmp_path) == []


def test_interrupted_eval_does_not_offer_resume(tmp_path, simscore, default_model, many_pairs):
    out = tmp_path / "scores.txt"
    partial = tmp_path / "scores.txt.partial"
    proc = subprocess.Popen([simscore, "eval", many_pairs, "--model", default_model, "--window", "10", "-o", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.read_text().count("\n") < 20):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "partial" in err and "--resume" not in err, err


def test_stop_while_a_fifo_output_waits_for_its_reader(tmp_path, simscore, default_model, pairs):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen([simscore, "score", pairs, "--model", default_model, "-o", fifo, "--quiet"],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the model is loaded and the open waits for a reader
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert os.listdir(tmp_path) == ["out.fifo"]


def test_stop_during_convert_removes_the_temporary_directory(tmp_path, simscore, default_model):
    out = tmp_path / "converted"
    proc = subprocess.Popen([simscore, "convert", "--model", default_model, "--precision", "int8", out],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith(".converted.tmp-") for p in tmp_path.iterdir()):
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "wrote" not in err and os.listdir(tmp_path) == []


def test_a_closed_stdout_is_refused(simscore, default_model, pairs):
    result = subprocess.run(["sh", "-c", '"$0" score "$1" --model "$2" >&-', simscore, pairs, default_model],
                            capture_output=False, stderr=subprocess.PIPE, text=True)
    assert result.returncode == EXIT_RESOURCE, result.stderr
    assert "standard output is closed" in result.stderr and "rows" not in result.stderr
    # inspect prints its description on stdout: refused the same way, never discarded.
    result = subprocess.run(["sh", "-c", '"$0" inspect --model "$1" >&-', simscore, default_model],
                            capture_output=False, stderr=subprocess.PIPE, text=True)
    assert result.returncode == EXIT_RESOURCE, result.stderr
    assert "standard output is closed" in result.stderr, result.stderr
