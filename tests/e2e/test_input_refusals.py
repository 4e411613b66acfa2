"""Input the reader refuses instead of accepting silently, and waits a signal ends: an endless line
fails at the line limit (exit 3) without being read to its end; the first SIGINT ends a blocking
open or read (exit 130); invalid UTF-8 in a prompt, a non-string JSON text, duplicate header names
and classic Mac line ends are errors naming what and where; --with-input tells a backslash from an
escape; numbers and columns given badly on the command line are usage errors (exit 2)."""
import os
import signal
import subprocess
import time

import pytest

from conftest import run

INPUT_ERROR, USAGE_ERROR, INTERRUPTED = 3, 2, 130


def endless_line(simscore, model, *flags):
    """`tr '\\0' a </dev/zero | simscore score - ...`: a line that never ends."""
    with open("/dev/zero", "rb") as zero:
        tr = subprocess.Popen(["tr", "\\0", "a"], stdin=zero, stdout=subprocess.PIPE)
    scorer = subprocess.Popen([str(simscore), "score", "-", "--model", str(model), "-q", *flags],
                              stdin=tr.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tr.stdout.close()  # the scorer holds the pipe's read end now
    return tr, scorer


def finish(tr, scorer, timeout):
    try:
        out, err = scorer.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        scorer.kill()
        scorer.communicate()
        pytest.fail(f"simscore was still running after {timeout} s")
    finally:
        tr.kill()
        tr.wait()
    return scorer.returncode, out, err


def interrupt_after(scorer, seconds, what):
    """Sends one SIGINT once `scorer` has run `seconds`; returns its exit code and stderr."""
    time.sleep(seconds)
    assert scorer.poll() is None
    scorer.send_signal(signal.SIGINT)
    try:
        _, err = scorer.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        scorer.kill()
        scorer.communicate()
        pytest.fail(f"the first SIGINT did not end {what}")
    return scorer.returncode, err


@pytest.mark.parametrize("form", ["tsv", "csv", "jsonl"])
def test_an_endless_line_fails_at_the_limit(simscore, default_model, form):
    tr, scorer = endless_line(simscore, default_model, "--format", form)
    code, out, err = finish(tr, scorer, 60)
    assert code == INPUT_ERROR, err
    assert "<stdin>:1:" in err and "longer than 1048576 bytes" in err, err
    assert out == ""


def test_the_first_signal_ends_an_endless_read(simscore, default_model, tmp_path):
    """Under --on-error skip the rest of a too-long line is read past: here a sparse file of 1 TiB
    without a newline, whose reads never block (so no EINTR): the first SIGINT still ends it."""
    endless = tmp_path / "endless.tsv"
    with open(endless, "wb") as f:
        f.truncate(1 << 40)
    with open(endless, "rb") as stdin:
        scorer = subprocess.Popen([str(simscore), "score", "-", "--model", str(default_model), "-q",
                                   "--on-error", "skip"],
                                  stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, err = interrupt_after(scorer, 3, "the endless read")
    assert code == INTERRUPTED, err


def test_the_first_signal_ends_the_wait_for_a_fifo_writer(simscore, default_model, tmp_path):
    fifo = tmp_path / "pairs.fifo"
    os.mkfifo(fifo)
    scorer = subprocess.Popen([str(simscore), "score", str(fifo), "--model", str(default_model), "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The model loads, then the open waits for a writer that never comes.
    code, err = interrupt_after(scorer, 3, "the wait for the FIFO's writer")
    assert code == INTERRUPTED, err


@pytest.mark.parametrize("flag", ["--prompt", "--prompt-a", "--prompt-b"])
def test_invalid_utf8_in_a_prompt_is_refused(simscore, default_model, flag):
    result = subprocess.run([str(simscore).encode(), b"score", b"-", b"--model", str(default_model).encode(),
                             flag.encode(), b"query: \xff\xfe"], input=b"a\tb\n", capture_output=True)
    err = result.stderr.decode(errors="replace")
    assert result.returncode == USAGE_ERROR, err
    assert flag in err and "invalid UTF-8 at byte 8" in err, err
    assert result.stdout == b""


@pytest.mark.parametrize("value", ["true", "3.5", "null", "[\"a\"]"])
def test_a_text_must_be_a_json_string(simscore, default_model, tmp_path, value):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"sentence1": "a cat", "sentence2": "a dog"}\n'
                    f'{{"sentence1": {value}, "sentence2": "a dog"}}\n')
    result = run([simscore, "score", path, "--model", default_model, "-q"])
    assert result.returncode == INPUT_ERROR, result.stderr
    assert f"{path}:2:" in result.stderr and "expected a string" in result.stderr, result.stderr


def test_duplicate_header_names_are_refused(simscore, default_model, tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("sentence1\tsentence2\tsentence1\na cat\ta dog\tanother\n")
    for flags in ([], ["--text-a", "sentence1", "--text-b", "sentence2"]):
        result = run([simscore, "score", path, "--header", "--model", default_model, "-q", *flags])
        assert result.returncode == INPUT_ERROR, result.stderr
        assert f"{path}:1:" in result.stderr and "two columns \"sentence1\" (columns 1 and 3)" in result.stderr
    by_number = run([simscore, "score", path, "--header", "--model", default_model, "-q",
                     "--text-a", "3", "--text-b", "2"])
    assert by_number.returncode == 0, by_number.stderr


@pytest.mark.parametrize("form", ["tsv", "csv", "jsonl"])
def test_classic_mac_line_ends_are_an_error_naming_the_line(simscore, default_model, tmp_path, form):
    rows = {"tsv": ["a cat\ta dog", "a bird\ta fish"], "csv": ["a cat,a dog", "a bird,a fish"],
            "jsonl": ['{"sentence1": "a cat", "sentence2": "a dog"}',
                      '{"sentence1": "a bird", "sentence2": "a fish"}']}[form]
    path = tmp_path / f"pairs.{form}"
    path.write_bytes(("good\tline\n" if form == "tsv" else
                      "good,line\n" if form == "csv" else
                      '{"sentence1": "good", "sentence2": "line"}\n').encode() + "\r".join(rows).encode() + b"\r")
    result = run([simscore, "score", path, "--model", default_model, "-q"])
    assert result.returncode == INPUT_ERROR, result.stderr
    assert f"{path}:2:" in result.stderr and "carriage return" in result.stderr, result.stderr
    skipped = run([simscore, "score", path, "--model", default_model, "-q", "--on-error", "skip"])
    assert skipped.returncode == 0, skipped.stderr
    lines = skipped.stdout.split("\n")
    assert len(lines) == 3 and lines[0] != "" and lines[1] == "" and lines[2] == "", skipped.stdout


def test_with_input_tells_a_backslash_from_a_tab(simscore, default_model, tmp_path):
    """A literal backslash-t in a text and a real tab (possible in CSV) echoed the same on 2a995c9."""
    path = tmp_path / "pairs.csv"
    path.write_text('"a\\tb",c\n"a\tb",c\n"x\\\\y",z\n')
    result = run([simscore, "score", path, "--model", default_model, "-q", "--with-input"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("a\\\\tb\tc\t"), lines[0]   # a, backslash, t, b: the backslash doubled
    assert lines[1].startswith("a\\tb\tc\t"), lines[1]     # a, tab, b: the tab escaped
    assert lines[2].startswith("x\\\\\\\\y\tz\t"), lines[2]
    assert lines[0].split("\t")[0] != lines[1].split("\t")[0]


@pytest.mark.parametrize("flag", ["--threads", "--max-batch-tokens", "--max-length"])
def test_a_number_that_is_not_one_is_said_so(simscore, default_model, flag):
    result = run([simscore, "score", "-", "--model", default_model, flag, "abc"], input="a\tb\n")
    assert result.returncode == USAGE_ERROR, result.stderr
    assert "abc is not a whole number" in result.stderr and "not in range" not in result.stderr, result.stderr


@pytest.mark.parametrize("command,flag", [("eval", "--label"), ("score", "--text-a"), ("score", "--text-b"),
                                          ("score", "--id")])
def test_column_zero_is_a_usage_error(simscore, default_model, tmp_path, command, flag):
    path = tmp_path / "pairs.tsv"
    path.write_text("a cat\ta dog\t1\n")
    result = run([simscore, command, path, "--model", default_model, flag, "0"])
    assert result.returncode == USAGE_ERROR, result.stderr
    assert flag in result.stderr and "counted from 1" in result.stderr, result.stderr
