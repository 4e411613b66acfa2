"""A model directory is checked field by field, each refusal naming the field (exit 4): sizes that
must be positive, hidden_size against num_attention_heads, a layer count the weights file does not
hold, a sentence-transformers module without a type. `inspect` refuses what `score` refuses."""
import json
import os

import pytest

from conftest import run

MODEL_ERROR = 4


def linked_copy(model, destination):
    """`model` as a folder of symlinks to its files (cheap to copy: MiniLM's weights are not copied);
    a test replaces the files it edits."""
    for root, _, files in os.walk(model):
        target = destination / os.path.relpath(root, model)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            (target / name).symlink_to(os.path.join(root, name))
    return destination


def edited_config(default_model, tmp_path, **changes):
    model = linked_copy(default_model, tmp_path / "model")
    config = json.loads((default_model / "config.json").read_text())
    config.update(changes)
    (model / "config.json").unlink()
    (model / "config.json").write_text(json.dumps(config))
    return model


def refusals(simscore, model):
    """score and inspect on `model`: both must refuse it with the same exit code."""
    score = run([simscore, "score", "-", "--model", model, "-q"], input="a\tb\n")
    inspect = run([simscore, "inspect", "--model", model])
    return score, inspect


@pytest.mark.parametrize("changes,expected", [
    ({"num_hidden_layers": 0}, "num_hidden_layers is 0"),
    ({"num_attention_heads": 0}, "num_attention_heads is 0"),
    ({"intermediate_size": -1}, "intermediate_size is -1"),
    ({"type_vocab_size": 0}, "type_vocab_size is 0"),
    ({"num_attention_heads": 5}, "hidden_size 384 is not a multiple of num_attention_heads 5"),
    # The file holds 6 layers: a config of 5 would run a truncated encoder, one of 7 read nothing.
    ({"num_hidden_layers": 5}, "num_hidden_layers is 5, but"),
    ({"num_hidden_layers": 7}, "num_hidden_layers is 7, but"),
])
def test_each_config_field_is_checked_and_named(simscore, default_model, tmp_path, changes, expected):
    model = edited_config(default_model, tmp_path, **changes)
    for result in refusals(simscore, model):
        assert result.returncode == MODEL_ERROR, result.stderr
        assert expected in result.stderr, result.stderr
        assert result.stdout == ""
    if "num_hidden_layers" in changes and changes["num_hidden_layers"] > 0:
        assert "holds 6 layers" in result.stderr, result.stderr
    if changes.get("num_hidden_layers") == 0:
        assert "hidden_size" not in result.stderr, result.stderr


def test_a_module_without_a_type_is_named(simscore, default_model, tmp_path):
    model = linked_copy(default_model, tmp_path / "model")
    modules = json.loads((default_model / "modules.json").read_text())
    del modules[1]["type"]
    (model / "modules.json").unlink()
    (model / "modules.json").write_text(json.dumps(modules))
    for result in refusals(simscore, model):
        assert result.returncode == MODEL_ERROR, result.stderr
        assert 'module 1 (path "1_Pooling") has no "type"' in result.stderr, result.stderr
        assert "module  is" not in result.stderr


def test_inspect_says_it_checked_what_score_checks(simscore, default_model):
    result = run([simscore, "inspect", "--model", default_model])
    assert result.returncode == 0, result.stderr
    assert "every tensor read and checked" in result.stdout, result.stdout
