#!/usr/bin/env python3
"""Writes the StructBERT / PyTorch-checkpoint fixtures.

A StructBERT sentence-similarity model as ModelScope ships it (damo/iic
nlp_structbert_sentence-similarity_chinese-*): pytorch_model.bin written by torch.save, config.json
with model_type "structbert" and id2label, ModelScope's configuration.json and vocab.txt. ModelScope's
SbertForSequenceClassification is BERT's architecture under BERT's names (bert.embeddings.*,
bert.encoder.layer.N.*, bert.pooler.dense, classifier) plus the persistent buffer
bert.embeddings.position_ids (an expanded arange: a view with stride 0). modelscope itself is not a
test dependency, so the reference scores come from transformers' BertForSequenceClassification
loaded with exactly those tensors (the same computation), in fp32.

Layout under --out:
  models/structbert-tiny/            fp32 checkpoint, id2label {"0": "0", "1": "1"}
  models/structbert-tiny-fp16/       the same weights in HalfStorage
  models/structbert-tiny-bf16/       the same weights in BFloat16Storage
  models/structbert-tiny-swapped/    classifier rows swapped and id2label {"0": "1", "1": "0"}:
                                     the "similar" probability is unchanged
  models/minilm-bin/                 all-MiniLM-L6-v2 (--minilm) with its weights as pytorch_model.bin
  pairs/structbert.tsv               LCQMC test pairs (a<TAB>b)
  expected/structbert.json           reference scores (fp32 weights, and bf16-rounded weights)
  torch/                             small checkpoints for the reader's tests (see torch_cases)

--large DIR writes only a StructBERT-large-shaped fp32 model (24 layers, hidden 1024) into DIR for
bench/structbert_memory.sh.
"""

import argparse
import datetime
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

logging.getLogger("transformers").setLevel(logging.ERROR)
transformers.utils.logging.set_verbosity_error()

REPO_ROOT = Path(__file__).resolve().parents[2]
PAIRS = 200
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)


def read_pairs(shared, n):
    path = shared / "data" / "senteval_cn" / "LCQMC" / "LCQMC.test.data"
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 2 and parts[0] and parts[1]:
                rows.append((parts[0], parts[1]))
    return rows[:n] if n else rows


def structbert_config(shape, vocab_size, init):
    """config.json as ModelScope's SbertConfig.save_pretrained writes it (the fields that matter)."""
    return {
        "architectures": ["SbertForSequenceClassification"],
        "model_type": "structbert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "initializer_range": init,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "vocab_size": vocab_size,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "id2label": {"0": "0", "1": "1"},
        "label2id": {"0": 0, "1": 1},
        **shape,
    }


CONFIGURATION_JSON = {  # ModelScope's own file beside config.json
    "framework": "pytorch",
    "task": "sentence-similarity",
    "model": {"type": "structbert"},
    "pipeline": {"type": "sentence-similarity"},
    "preprocessor": {"type": "sen-sim-tokenizer", "first_sequence": "sentence1",
                     "second_sequence": "sentence2"},
}


def build_model(config_json, seed):
    torch.manual_seed(seed)
    fields = {k: v for k, v in config_json.items() if k not in ("architectures", "model_type")}
    config = BertConfig(**fields)
    config.num_labels = 2
    return BertForSequenceClassification(config).eval()


def modelscope_state_dict(model):
    """The state dict SbertForSequenceClassification has: BERT's plus the position_ids buffer."""
    state = dict(model.state_dict())
    state.pop("bert.embeddings.token_type_ids", None)  # non-persistent in ModelScope
    max_pos = model.config.max_position_embeddings
    state["bert.embeddings.position_ids"] = torch.arange(max_pos).expand((1, -1))
    ordered = {"bert.embeddings.position_ids": state.pop("bert.embeddings.position_ids")}
    ordered.update(state)
    return ordered


def write_dir(model_dir, config_json, state, vocab):
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.json").write_text(json.dumps(config_json, indent=2, ensure_ascii=False) + "\n")
    (model_dir / "configuration.json").write_text(json.dumps(CONFIGURATION_JSON, indent=2) + "\n")
    shutil.copyfile(vocab, model_dir / "vocab.txt")
    torch.save(state, model_dir / "pytorch_model.bin")


@torch.no_grad()
def similar_scores(model, tokenizer, pairs):
    out = []
    for start in range(0, len(pairs), 32):
        chunk = pairs[start:start + 32]
        enc = tokenizer([a for a, _ in chunk], [b for _, b in chunk], padding=True,
                        truncation="longest_first", max_length=512, return_tensors="pt")
        logits = model(**enc).logits.float()
        out += torch.softmax(logits, dim=-1)[:, 1].tolist()
    return out


def torch_cases(out):
    """Checkpoints that exercise the reader: views, dtypes, and files it must refuse."""
    d = out / "torch"
    d.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    base = torch.randn(6, 5, generator=g)
    tied = torch.randn(4, 3, generator=g)
    ok = {
        "plain": base.clone(),
        "row_slice": base[2:4],                  # a view with a storage offset
        "tied_a": tied, "tied_b": tied,          # one storage, two names
        "half": base.half(),
        "bf16": base.bfloat16(),
        "vector": torch.arange(7, dtype=torch.float32),
        "expanded": torch.arange(9).expand((1, -1)),  # stride 0 on a dimension of size 1
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 4),
    }
    torch.save(ok, d / "views.bin")
    expected = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                    "values": v.float().flatten().tolist()} for k, v in ok.items()}
    (d / "views.json").write_text(json.dumps(expected) + "\n")
    torch.save({"w": base.t()}, d / "transposed.bin")                    # non-contiguous
    torch.save({"w": base}, d / "legacy.bin", _use_new_zipfile_serialization=False)
    torch.save({"w": base, "when": datetime.date(2020, 1, 1)}, d / "global.bin")
    torch.save({"state_dict": {"w": base}, "epoch": 3}, d / "nested.bin")
    data = (d / "views.bin").read_bytes()
    (d / "truncated.bin").write_bytes(data[: len(data) // 2])


def minilm_bin(minilm, out):
    from safetensors.torch import load_file

    if not (minilm / "model.safetensors").exists():
        print(f"make_structbert_fixtures: {minilm} is absent; the MiniLM .bin fixture is skipped")
        return
    target = out / "models" / "minilm-bin"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(minilm, target, ignore=shutil.ignore_patterns("model.safetensors", "*.md"))
    torch.save(load_file(str(minilm / "model.safetensors")), target / "pytorch_model.bin")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "fixtures")
    ap.add_argument("--minilm", type=Path, default=REPO_ROOT / "models" / "all-MiniLM-L6-v2")
    ap.add_argument("--large", type=Path, help="write only a StructBERT-large-shaped model here")
    args = ap.parse_args()
    vocab = args.shared / "tokenizers" / "bge-small-zh-v1.5" / "vocab.txt"  # bert-base-chinese's
    vocab_size = sum(1 for _ in open(vocab, encoding="utf-8"))

    if args.large:
        config_json = structbert_config(LARGE, vocab_size, 0.02)
        write_dir(args.large, config_json, modelscope_state_dict(build_model(config_json, 7)), vocab)
        return

    out = args.out
    torch_cases(out)
    minilm_bin(args.minilm, out)

    pairs = read_pairs(args.shared, PAIRS)
    (out / "pairs").mkdir(parents=True, exist_ok=True)
    (out / "pairs" / "structbert.tsv").write_text("".join(f"{a}\t{b}\n" for a, b in pairs), encoding="utf-8")

    config_json = structbert_config(TINY, vocab_size, 0.3)
    model = build_model(config_json, 201)
    state = modelscope_state_dict(model)
    models = out / "models"
    write_dir(models / "structbert-tiny", config_json, state, vocab)
    write_dir(models / "structbert-tiny-fp16", config_json,
              {k: v.half() if v.is_floating_point() else v for k, v in state.items()}, vocab)
    bf16 = {k: v.bfloat16() if v.is_floating_point() else v for k, v in state.items()}
    write_dir(models / "structbert-tiny-bf16", config_json, bf16, vocab)
    swapped = dict(state)
    swapped["classifier.weight"] = state["classifier.weight"].flip(0).contiguous()
    swapped["classifier.bias"] = state["classifier.bias"].flip(0).contiguous()
    swapped_config = dict(config_json, id2label={"0": "1", "1": "0"}, label2id={"1": 0, "0": 1})
    write_dir(models / "structbert-tiny-swapped", swapped_config, swapped, vocab)

    # As ModelScope's preprocessor does: the BERT tokenizer read from the directory's vocab.txt.
    tokenizer = BertTokenizer.from_pretrained(str(models / "structbert-tiny"))
    ids = [i for a, b in pairs for i in tokenizer(a, b)["input_ids"]]
    assert ids.count(tokenizer.unk_token_id) < 0.02 * len(ids), "the vocabulary was not loaded"
    scores = similar_scores(model, tokenizer, pairs)
    rounded = build_model(config_json, 201)
    rounded.load_state_dict({k: v.float() for k, v in bf16.items() if k != "bert.embeddings.position_ids"},
                            strict=False)
    scores_bf16 = similar_scores(rounded, tokenizer, pairs)
    assert float(np.std(scores)) > 0.02, "random model too flat to make a useful test"
    (out / "expected").mkdir(parents=True, exist_ok=True)
    (out / "expected" / "structbert.json").write_text(
        json.dumps({"scores": scores, "scores_bf16": scores_bf16, "pairs": len(pairs)}) + "\n")
    print(f"make_structbert_fixtures: {len(pairs)} pairs, score std {np.std(scores):.3f}")


if __name__ == "__main__":
    main()
