"""A failed row is counted by the reason set where it was found (the reader, eval's label check),
never by the words of its message: a text column named "label_text" holding null is `other`, a
label that is not a number is `bad_label`, a missing key `column_count`, and a text that merely
mentions JSON or a label scores."""
import json

from conftest import run


def test_eval_counts_rows_by_their_typed_reason(tmp_path, simscore, default_model):
    rows = [
        {"label_text": "a cat sits", "sentence2": "a cat sat", "label": 1},
        {"label_text": "invalid JSON label NUL", "sentence2": "expected at least one", "label": 0},
        {"label_text": None, "sentence2": "b", "label": 1},
        {"label_text": "a", "sentence2": "b", "label": "yes"},
        {"label_text": "a", "sentence2": "b"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "[1]\n")
    report = tmp_path / "report.json"
    result = run([simscore, "eval", path, "--model", default_model, "--text-a", "label_text",
                  "--on-error", "skip", "--report", report, "--threads", "1"])
    assert result.returncode == 0, result.stderr
    r = json.loads(report.read_text())
    assert r["rows"] == 6 and r["rows_failed"] == 4, r
    assert r["rows_failed_by_reason"] == {"other": 1, "bad_label": 1, "column_count": 1,
                                          "invalid_json": 1}, r
    for line in ("pairs.jsonl:3:", "pairs.jsonl:4:", "pairs.jsonl:5:", "pairs.jsonl:6:"):
        assert line in result.stderr
