"""Fault injection (issue 14): each test reproduces one failure a hostile pass over the release binary
found, and checks what happens now. Outputs aimed at devices, FIFOs and links use test-made ones
under a temporary directory (device nodes by mknod, as root), or a private mount namespace whose /dev
is a tmpfs: never the machine's own /dev."""
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import threading
import time

import pytest

from conftest import run, write_lcqmc_pairs

EXIT_USAGE, EXIT_INPUT, EXIT_MODEL, EXIT_RESOURCE, EXIT_INTERRUPTED = 2, 3, 4, 5, 130
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="making device nodes (mknod) needs root")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory, shared):
    """30 real LCQMC rows."""
    return write_lcqmc_pairs(tmp_path_factory, shared, 30)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, simscore, default_model, pairs):
    """The scores of `pairs` written to stdout."""
    result = run([simscore, "score", pairs, "--model", default_model, "--quiet"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def score(simscore, model, *args, **kwargs):
    return run([simscore, "score", *args, "--model", model, "--quiet"], **kwargs)


def make_node(path, major, minor):
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))


def node(path):
    info = os.lstat(path)
    return stat.S_IFMT(info.st_mode), (os.major(info.st_rdev), os.minor(info.st_rdev))


# 1. Outputs onto devices, FIFOs and links are written through, never replaced.

@needs_root
def test_output_onto_device_nodes_writes_through(tmp_path, simscore, default_model, pairs):
    null, full = tmp_path / "null", tmp_path / "full"
    make_node(null, 1, 3)
    make_node(full, 1, 7)
    result = score(simscore, default_model, pairs, "-o", null, "--report", null)
    assert result.returncode == 0, result.stderr
    assert node(null) == (stat.S_IFCHR, (1, 3))
    result = score(simscore, default_model, pairs, "--report", full)
    assert result.returncode == EXIT_RESOURCE and "No space left" in result.stderr, result.stderr
    assert node(full) == (stat.S_IFCHR, (1, 7))
    assert sorted(os.listdir(tmp_path)) == ["full", "null"], "no .partial left beside a device"


def test_output_onto_fifo_writes_through(tmp_path, simscore, default_model, pairs, reference):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = score(simscore, default_model, pairs, "-o", fifo, timeout=120)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received == [reference]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_onto_symlink_replaces_its_target(tmp_path, simscore, default_model, pairs, reference):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data/scores.txt"
    target.write_text("old\n")
    link = tmp_path / "scores.txt"
    link.symlink_to("data/scores.txt")
    result = score(simscore, default_model, pairs, "-o", link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "data/scores.txt"
    assert target.read_text() == reference
    dangling = tmp_path / "new.txt"
    dangling.symlink_to("data/new.txt")
    assert score(simscore, default_model, pairs, "-o", dangling).returncode == 0
    assert dangling.is_symlink() and (tmp_path / "data/new.txt").read_text() == reference


def test_report_onto_descriptor_and_stdout(tmp_path, simscore, default_model, pairs):
    # What `--report >(jq .)` passes: the name of an inherited pipe (/dev/fd/63 there).
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([simscore, "score", str(pairs), "--model", str(default_model), "--quiet",
                             "-o", str(tmp_path / "scores.txt"), "--report", f"/proc/self/fd/{write_end}"],
                            pass_fds=[write_end], stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = json.loads(pipe.read())
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert report["rows"] == 30
    # A link to our stdout, as /dev/stdout is.
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    result = score(simscore, default_model, pairs, "-o", tmp_path / "out.txt", "--report", link)
    assert result.returncode == 0 and json.loads(result.stdout)["rows"] == 30, result.stderr
    assert link.is_symlink()
    result = score(simscore, default_model, pairs, "-o", tmp_path / "out.txt", "--report", "-")
    assert result.returncode == 0 and json.loads(result.stdout)["rows"] == 30, result.stderr


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_literal_dev_paths_in_a_private_mount_namespace(tmp_path, simscore, default_model, pairs, reference):
    # `-o /dev/null`, `--report /dev/full`, `-o /dev/stdout` as a user types them, against a tmpfs
    # mounted over /dev in a private mount namespace: the machine's /dev is not visible to the run.
    script = (
        "set -e; mount --make-rprivate / && mount -t tmpfs tmpfs /dev && "
        "mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 && "
        "ln -s /proc/self/fd/1 /dev/stdout && "
        f"{simscore} score {pairs} --model {default_model} --quiet -o /dev/null; "
        f"if {simscore} score {pairs} --model {default_model} --quiet --report /dev/full; "
        "then echo FULL-ACCEPTED; fi; "
        f"{simscore} score {pairs} --model {default_model} --quiet -o /dev/stdout > {tmp_path}/via-stdout; "
        f"stat -c '%n %F %t:%T' /dev/null /dev/full /dev/stdout > {tmp_path}/after; ls /dev > {tmp_path}/dev")
    result = run(["unshare", "-m", "--propagation", "private", "sh", "-c", script])
    if result.returncode != 0 and "mount" in result.stderr and not (tmp_path / "after").exists():
        pytest.skip(f"no private mount namespace here: {result.stderr}")
    assert "FULL-ACCEPTED" not in result.stdout
    assert (tmp_path / "via-stdout").read_text() == reference
    assert (tmp_path / "after").read_text().splitlines() == [
        "/dev/null character special file 1:3", "/dev/full character special file 1:7",
        "/dev/stdout symbolic link 0:0"]
    assert sorted((tmp_path / "dev").read_text().split()) == ["full", "null", "stdout"]


# 2. Two runs onto one output: the second refuses, the first completes.

def test_second_run_onto_the_same_output_refuses(tmp_path, simscore, default_model, pairs, reference):
    out = tmp_path / "scores.txt"
    first = subprocess.Popen([simscore, "score", "-", "--model", str(default_model), "--quiet", "-o", str(out)],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = pairs.read_text().splitlines(keepends=True)
    first.stdin.write(rows[0])  # the output is opened once the input has begun
    first.stdin.flush()
    deadline = time.time() + 60
    while not (tmp_path / "scores.txt.partial").exists() and time.time() < deadline:
        time.sleep(0.05)
    second = score(simscore, default_model, pairs, "-o", out)
    assert second.returncode == EXIT_RESOURCE and "another run is writing" in second.stderr, second.stderr
    first.stdin.write("".join(rows[1:]))
    first.stdin.close()
    assert first.wait(timeout=120) == 0, first.stderr.read()
    assert out.read_text() == reference
    assert sorted(os.listdir(tmp_path)) == ["scores.txt"]


# 3. An output that is an input, or two outputs that are one file, are refused up front.

def test_outputs_that_are_inputs_are_refused(tmp_path, simscore, default_model, pairs):
    partial_named = tmp_path / "scores.txt.partial"
    shutil.copy(pairs, partial_named)
    content = partial_named.read_bytes()
    for args in (["-o", tmp_path / "scores.txt"],  # its .partial is the input
                 ["-o", partial_named],            # the input itself
                 ["-o", tmp_path / "x.txt", "--report", partial_named]):
        result = score(simscore, default_model, partial_named, *args)
        assert result.returncode == EXIT_USAGE and "is the input" in result.stderr, (args, result.stderr)
        assert partial_named.read_bytes() == content
    out = tmp_path / "same.txt"
    result = score(simscore, default_model, pairs, "-o", out, "--report", out)
    assert result.returncode == EXIT_USAGE and "also -o" in result.stderr, result.stderr
    assert not out.exists()


def test_unwritable_outputs_fail_before_scoring(tmp_path, simscore, default_model, pairs):
    (tmp_path / "dir").mkdir()
    for args in (["-o", tmp_path / "dir"], ["--report", tmp_path / "dir"],
                 ["-o", tmp_path / "missing/scores.txt"]):
        start = time.time()
        result = score(simscore, default_model, pairs, *args)
        assert result.returncode == EXIT_RESOURCE, (args, result.stderr)
        assert "directory" in result.stderr, result.stderr
        assert "rows" not in result.stderr  # refused before the model was loaded
    assert os.listdir(tmp_path / "dir") == []


# 4. Numbers that cannot be represented are a model error, never NaN with exit 0.

def model_copy(tmp_path, default_model):
    """A copy of the default model's directory: links to every file but config.json and the weights."""
    copy = tmp_path / "model"
    copy.mkdir()
    for entry in default_model.iterdir():
        if entry.name not in ("config.json", "model.safetensors"):
            (copy / entry.name).symlink_to(entry)
    shutil.copy(default_model / "config.json", copy / "config.json")
    return copy


def write_weights_with(path, source, tensor_name, value):
    """Copies safetensors `source` to `path`, setting element 0 of F32 tensor `tensor_name` to `value`."""
    shutil.copy(source, path)  # patched in place: this process stays small (children inherit its size)
    with open(path, "r+b") as f:
        header_size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_size))
        entry = next(v for k, v in header.items() if k.endswith(tensor_name))
        assert entry["dtype"] == "F32"
        f.seek(8 + header_size + entry["data_offsets"][0])
        f.write(struct.pack("<f", value))


def test_fp16_overflow_and_bad_eps_are_model_errors(tmp_path, simscore, default_model, pairs):
    model = model_copy(tmp_path, default_model)
    write_weights_with(model / "model.safetensors", default_model / "model.safetensors",
                       "encoder.layer.0.attention.self.query.weight", 70000.0)
    result = score(simscore, model, pairs, "--precision", "fp16")  # (bf16, which auto may pick, holds it)
    assert result.returncode == EXIT_MODEL, result.stderr
    assert "70000" in result.stderr and "fp16 cannot represent" in result.stderr and "bf16" in result.stderr
    assert result.stdout == ""
    result = score(simscore, model, pairs, "--precision", "fp32")
    assert result.returncode == 0 and "nan" not in result.stdout.lower(), result.stderr

    (model / "model.safetensors").unlink()
    (model / "model.safetensors").symlink_to(default_model / "model.safetensors")
    config = json.loads((model / "config.json").read_text())
    for eps in (-1, 0):
        config["layer_norm_eps"] = eps
        (model / "config.json").write_text(json.dumps(config))
        result = score(simscore, model, pairs)
        assert result.returncode == EXIT_MODEL and "layer_norm_eps" in result.stderr, result.stderr
        assert result.stdout == ""


def test_non_finite_scores_are_row_errors(tmp_path, simscore, default_model, pairs):
    # 3e38 is a finite fp32 weight, so fp32 storage takes it; the products overflow and the scores
    # are NaN. They used to print as "-nan" with exit 0 (and `eval` then failed with exit 1).
    model = model_copy(tmp_path, default_model)
    write_weights_with(model / "model.safetensors", default_model / "model.safetensors",
                       "encoder.layer.0.attention.self.query.weight", 3e38)
    result = score(simscore, model, pairs, "--precision", "fp32")
    assert result.returncode == EXIT_MODEL and "the score is" in result.stderr, result.stderr
    assert "nan" not in result.stdout.lower()
    report = tmp_path / "report.json"
    result = score(simscore, model, pairs, "--precision", "fp32", "--on-error", "skip", "--report", report)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n" * 30
    assert json.loads(report.read_text())["rows_failed_by_reason"] == {"non_finite_score": 30}
    result = run([simscore, "eval", pairs, "--model", model, "--precision", "fp32", "--quiet"])
    assert result.returncode == EXIT_MODEL and "internal error" not in result.stderr, result.stderr


# 5 and 7. A stop while waiting for input ends the run at once; --resume refuses another input or
# other options.

def interrupted_partial(tmp_path, simscore, default_model, pairs, extra=()):
    """Scores `pairs` through a FIFO that then stays silent, stops the run with SIGTERM, and returns
    (input path, output path, seconds from the signal to the exit)."""
    fifo = tmp_path / "input.tsv"
    os.mkfifo(fifo)
    out = tmp_path / "scores.txt"
    proc = subprocess.Popen([simscore, "score", str(fifo), "--model", str(default_model), "--quiet",
                             "--window", "10", "-o", str(out), *extra], stderr=subprocess.PIPE, text=True)
    writer = open(fifo, "w")
    writer.write("".join(pairs.read_text().splitlines(keepends=True)[:20]))
    writer.flush()
    partial = tmp_path / "scores.txt.partial"
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.read_text().count("\n") < 20):
        time.sleep(0.05)
    start = time.time()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    elapsed = time.time() - start
    writer.close()
    assert proc.returncode == EXIT_INTERRUPTED, err
    return fifo, out, elapsed


def test_stop_while_waiting_for_input_exits_at_once(tmp_path, simscore, default_model, pairs):
    _, out, elapsed = interrupted_partial(tmp_path, simscore, default_model, pairs)
    assert elapsed < 1.5
    assert not out.exists()
    assert (tmp_path / "scores.txt.partial").read_text().count("\n") == 20


def test_resume_refuses_another_input_or_other_options(tmp_path, simscore, default_model, pairs, reference):
    fifo, out, _ = interrupted_partial(tmp_path, simscore, default_model, pairs)
    partial = tmp_path / "scores.txt.partial"
    written = partial.read_bytes()
    fifo.unlink()
    shutil.copy(pairs, fifo)  # another file at the same path
    for extra in ([], ["--with-input"], ["--shard", "1/2"]):
        result = score(simscore, default_model, fifo, "--window", "10", "-o", out, "--resume", *extra)
        assert result.returncode == EXIT_RESOURCE and "cannot resume" in result.stderr, result.stderr
        assert "input size" in result.stderr or "with-input" in result.stderr or "shard" in result.stderr
        assert partial.read_bytes() == written and not out.exists()
    # A partial without its fingerprint cannot be checked: refused too.
    (tmp_path / "scores.txt.partial.fingerprint").unlink()
    result = score(simscore, default_model, fifo, "--window", "10", "-o", out, "--resume")
    assert result.returncode == EXIT_RESOURCE and "missing" in result.stderr, result.stderr


def test_resume_refuses_other_products(tmp_path, simscore, default_model, pairs):
    # --precision int8 and fp16 store the same fp16 weights; the products (int8, or FFN output in
    # fp32 with --int8-ffn-output fp32) change the scores, so they are part of the fingerprint.
    fifo, out, _ = interrupted_partial(tmp_path, simscore, default_model, pairs, ["--precision", "int8"])
    partial = tmp_path / "scores.txt.partial"
    written = partial.read_bytes()
    fifo.unlink()
    shutil.copy(pairs, fifo)
    for other in (["--precision", "int8", "--int8-ffn-output", "fp32"], ["--precision", "fp16"]):
        result = score(simscore, default_model, fifo, "--window", "10", "-o", out, "--resume", *other)
        assert result.returncode == EXIT_RESOURCE and "cannot resume" in result.stderr, result.stderr
        assert "products" in result.stderr, result.stderr
        assert partial.read_bytes() == written and not out.exists()


def test_the_fingerprint_records_the_precision_auto_resolved(tmp_path, simscore, default_model, pairs):
    # --precision auto (the default) resumes only into a run that resolves the same precision.
    interrupted_partial(tmp_path, simscore, default_model, pairs)
    planned = run([simscore, "inspect", "--model", default_model, "--json"])
    chosen = json.loads(planned.stdout)["precision"]
    text = (tmp_path / "scores.txt.partial.fingerprint").read_text()
    assert f"\n--precision: {chosen}\n" in text and "precision: auto" not in text, text


# (The same input and options resume to the same bytes: test_robustness.py.)


# 6. A failed write to stderr is ignored: every row is still written.

@needs_root
def test_stderr_on_a_full_device_loses_no_row(tmp_path, simscore, default_model, pairs, reference):
    full = tmp_path / "full"
    make_node(full, 1, 7)
    bad = tmp_path / "bad.tsv"
    rows = pairs.read_text().splitlines()
    bad.write_text("\n".join(rows[:10] + ["only one column"] + rows[10:]) + "\n")
    with open(full, "w") as stderr:
        result = subprocess.run([simscore, "score", str(bad), "--model", str(default_model), "--on-error", "skip"],
                                stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=120)
    assert result.returncode == 0
    expected = reference.splitlines(keepends=True)
    assert result.stdout == "".join(expected[:10] + ["\n"] + expected[10:])


# 8. --max-memory holds for long rows.

def test_max_memory_holds_for_long_rows(tmp_path, simscore, default_model):
    # 30 rows of two 400 KB texts hold about 48 MiB of text: at the row count the budget allowed
    # (hundreds of rows of about 1 KB), one window took them all and passed a 100 MiB budget. A text
    # with no space tokenizes at once (one [UNK]), so the test is quick; docs/performance.md "A run
    # of very long rows" gives the 200-row, 150 MiB run of real words.
    text = "x" * 400_000
    long_rows = tmp_path / "long.tsv"
    long_rows.write_text("".join(f"{i} {text}\t{text} {i}\n" for i in range(30)))
    report = tmp_path / "report.json"
    result = score(simscore, default_model, long_rows, "--max-memory", "100M", "-o", tmp_path / "out.txt",
                   "--report", report, timeout=600)
    if result.returncode == EXIT_RESOURCE:
        pytest.skip(f"100M does not hold the model on this machine: {result.stderr}")
    assert result.returncode == 0, result.stderr
    memory = json.loads(report.read_text())["memory"]
    assert memory["peak_rss_bytes"] < 100 * 2**20, memory
    assert (tmp_path / "out.txt").read_text().count("\n") == 30


# 9. eval, inspect and --help on a full disk: exit 5, not 0.

@needs_root
def test_stdout_on_a_full_device_is_an_error_everywhere(tmp_path, simscore, default_model, pairs):
    full = tmp_path / "full"
    make_node(full, 1, 7)
    commands = ([simscore, "--help"], [simscore, "score", "--help"], [simscore, "inspect", "--model", default_model],
                [simscore, "eval", pairs, "--model", default_model, "--quiet"],
                [simscore, "score", pairs, "--model", default_model, "--quiet"])
    for command in commands:
        with open(full, "w") as stdout:
            result = subprocess.run([str(c) for c in command], stdout=stdout, stderr=subprocess.PIPE,
                                    text=True, timeout=120)
        assert result.returncode == EXIT_RESOURCE, (command, result.stderr)
        assert "No space left" in result.stderr, (command, result.stderr)


# 10. Bad values are usage errors (2), never an internal error (1).

def test_out_of_range_values_are_usage_errors(simscore, default_model, pairs):
    for args in (["score", pairs, "--max-batch-tokens", "1073741824"],
                 ["score", pairs, "--max-memory", "99999999999999999999G"],
                 ["eval", pairs, "--threshold", "nan"], ["eval", pairs, "--positive-min", "nan"],
                 ["eval", pairs, "--threshold", "inf"]):
        result = run([simscore, *args, "--model", default_model, "--quiet"])
        assert result.returncode == EXIT_USAGE, (args, result.stderr)
        assert "internal error" not in result.stderr


# 11. Smaller ones.

def test_closed_stdin_is_refused(simscore, default_model):
    result = subprocess.run([simscore, "score", "--model", str(default_model), "--quiet"],
                            capture_output=True, text=True, preexec_fn=lambda: os.close(0))
    assert result.returncode == EXIT_INPUT and "stdin is closed" in result.stderr, result.stderr


def test_threads_beyond_the_build_limit_are_said(simscore, default_model, pairs):
    result = run([simscore, "score", pairs, "--model", default_model, "--threads", "1000"])
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "--threads 1000" in line]
    threads = json.loads(run([simscore, "score", pairs, "--model", default_model, "--quiet", "--threads",
                              "1000", "--report", "-", "-o", "/proc/self/fd/2"]).stdout)["cpu"]["threads"]
    assert threads == 1000 or lines, "a cap on --threads must be said"


def test_report_says_the_batch_tokens_that_ran(tmp_path, simscore, default_model, pairs):
    report = tmp_path / "report.json"
    result = score(simscore, default_model, pairs, "--max-memory", "92M", "--report", report)
    if result.returncode == EXIT_RESOURCE:
        pytest.skip(f"92M does not hold the model on this machine: {result.stderr}")
    assert result.returncode == 0, result.stderr
    assert json.loads(report.read_text())["batching"]["max_batch_tokens"] > 0


def test_unreadable_weights_are_model_errors(tmp_path, simscore, default_model, pairs):
    model = model_copy(tmp_path, default_model)
    weights = model / "model.safetensors"
    weights.symlink_to("model.safetensors")  # a link to itself: a loop
    result = score(simscore, model, pairs, timeout=60)
    assert result.returncode == EXIT_MODEL, result.stderr
    weights.unlink()
    os.mkfifo(weights)
    result = score(simscore, model, pairs, timeout=60)  # used to wait at open for a writer
    assert result.returncode == EXIT_MODEL and "not a regular file" in result.stderr, result.stderr


def test_jsonl_header_names_the_echoed_fields(tmp_path, simscore, default_model):
    rows = tmp_path / "pairs.jsonl"
    rows.write_text('{"x": 1, "s1": "a cat", "s2": "a dog", "extra": "e"}\n'
                    '{"x": 2, "s1": "one", "s2": "two", "extra": "f"}\n')
    result = score(simscore, default_model, rows, "--text-a", "s1", "--text-b", "s2", "--with-input", "--header")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "s1\ts2\tscore"
    assert all(line.count("\t") == 2 for line in lines)
