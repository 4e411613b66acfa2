"""Defaults that cannot be silently wrong: JSON lines and headed files are read by column name, a
header without those names falls back to positions with a notice, and JSON lines on stdin read as
TSV are refused. Scores are compared with the same pairs given as plain TSV."""
import json

from conftest import ROOT, run

PAIRS = [line.split("\t") for line in (ROOT / "examples/pairs.tsv").read_text().splitlines()]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]


def tsv_scores(simscore, default_model):
    text = "".join(f"{a}\t{b}\n" for a, b in PAIRS)
    result = run([simscore, "score", "-", "--model", default_model], input=text)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_jsonl_with_an_id_first_scores_with_no_flags(simscore, default_model, tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"id": i, "sentence1": a, "sentence2": b, "label": label}) + "\n"
                            for i, ((a, b), label) in enumerate(zip(PAIRS, LABELS))))
    result = run([simscore, "score", path, "--model", default_model])
    assert result.returncode == 0, result.stderr
    assert result.stdout == tsv_scores(simscore, default_model)

    evaluated = run([simscore, "eval", path, "--model", default_model, "--report", tmp_path / "r.json"])
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads((tmp_path / "r.json").read_text())["metrics"]["count"] == len(PAIRS)


def test_other_key_names_and_a_missing_key(simscore, default_model, tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"query": a, "passage": b}) + "\n" for a, b in PAIRS))
    result = run([simscore, "score", path, "--model", default_model])
    assert result.returncode == 0, result.stderr
    assert result.stdout == tsv_scores(simscore, default_model)

    path.write_text(json.dumps({"id": 1, "s1": "a", "s2": "b"}) + "\n")
    failed = run([simscore, "score", path, "--model", default_model])
    assert failed.returncode == 3
    assert f'{path}:1: missing key "sentence1" (nor "text_a", "query"); the line has "id", "s1", "s2"' in failed.stderr


def test_jsonl_on_stdin_read_as_tsv_is_refused(simscore, default_model):
    text = json.dumps({"sentence1": "a", "sentence2": "b"}) + "\n"
    result = run([simscore, "score", "--model", default_model], input=text)
    assert result.returncode == 3
    assert "<stdin>:1:" in result.stderr and "--format jsonl" in result.stderr, result.stderr
    assert result.stdout == ""
    as_jsonl = run([simscore, "score", "--format", "jsonl", "--model", default_model], input=text)
    assert as_jsonl.returncode == 0, as_jsonl.stderr


def test_header_names_else_positions_with_a_notice(simscore, default_model, tmp_path):
    named = tmp_path / "named.tsv"
    named.write_text("label\tsentence2\tsentence1\n" +
                     "".join(f"{label}\t{b}\t{a}\n" for (a, b), label in zip(PAIRS, LABELS)))
    result = run([simscore, "eval", named, "--header", "--model", default_model, "-o", tmp_path / "s.txt"])
    assert result.returncode == 0, result.stderr
    assert "by position" not in result.stderr
    assert (tmp_path / "s.txt").read_text().splitlines()[1:] == tsv_scores(simscore, default_model).splitlines()

    positional = tmp_path / "positional.tsv"
    positional.write_text("first\tsecond\tgold\n" +
                          "".join(f"{a}\t{b}\t{label}\n" for (a, b), label in zip(PAIRS, LABELS)))
    result = run([simscore, "eval", positional, "--header", "--model", default_model])
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "by position" in line]
    assert notices == [f'simscore: {positional}: the header names no default column, so by position: '
                       'text_a = column 1 ("first"), text_b = column 2 ("second"), label = column 3 ("gold")']
    quiet = run([simscore, "eval", positional, "--header", "--model", default_model, "--quiet"])
    assert "by position" not in quiet.stderr
