#!/usr/bin/env python3
"""Writes the encoder and scoring fixtures: tiny random-weight BERT models saved with the real
HuggingFace classes, their reference outputs computed in fp32 by transformers and
sentence-transformers, and (when the model directory is present) all-MiniLM-L6-v2 on STS-B test.

The C++ tests load the same model directories and compare ids, hidden states, embeddings and scores
with what is written here, so these numbers come from the reference libraries only.

Layout under --out:
  models/<name>/            a model directory as save_pretrained / SentenceTransformer.save write it
  expected/<name>.json      reference outputs for that model
  pairs/<name>.tsv          the same pairs as plain `a\\tb` lines, for command-line tests
  expected/minilm_stsb.json, expected/minilm_stsb_embeddings.f32
"""

import argparse
import csv
import gzip
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import torch
import transformers
from safetensors import safe_open
from tokenizers import Tokenizer
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertTokenizerFast,
)

warnings.filterwarnings("ignore", category=DeprecationWarning)
logging.getLogger("transformers").setLevel(logging.ERROR)
logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

from sentence_transformers import CrossEncoder, SentenceTransformer, util  # noqa: E402

try:  # sentence-transformers >= 6 moved the modules; the old path still works with a warning.
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
except ImportError:  # pragma: no cover
    from sentence_transformers.models import Normalize, Pooling, Transformer

REPO_ROOT = Path(__file__).resolve().parents[2]
HIDDEN_SIZE = 32
HIDDEN_INPUTS = 6      # inputs whose ids and last_hidden_state are recorded
MIN_SCORE_STD = 0.02   # a random model whose scores barely vary makes a weak test
SELF_CHECK_TOL = 1e-5  # batched (padded) reference vs the same input run alone
EMBEDDING_DIGITS = 9   # float32 round-trips through 9 significant digits

ZH_TOKENIZER = "bge-small-zh-v1.5"
EN_TOKENIZER = "all-MiniLM-L6-v2"

# name, mode, tokenizer, export, pooling, normalize, max length, initializer_range, seed.
# initializer_range 0.3 for all: at 0.1 every model's scores sit within ~0.02 of each other, at 0.2
# the Chinese bi-encoders are still borderline (std 0.02-0.03); 0.3 gives std 0.06-0.24.
MODELS = [
    dict(name="tiny-zh-bi", mode="bi", vocab=ZH_TOKENIZER, export="st", pooling="mean",
         normalize=True, max_length=48, init=0.3, seed=101),
    dict(name="tiny-en-bi-cls", mode="bi", vocab=EN_TOKENIZER, export="st", pooling="cls",
         normalize=False, max_length=40, init=0.3, seed=102),
    dict(name="tiny-zh-bi-max", mode="bi", vocab=ZH_TOKENIZER, export="st", pooling="max",
         normalize=False, max_length=48, init=0.3, seed=103),
    dict(name="tiny-en-plain", mode="bi", vocab=EN_TOKENIZER, export="plain", pooling="mean",
         normalize=False, max_length=40, init=0.3, seed=104),
    dict(name="tiny-zh-cross", mode="cross", vocab=ZH_TOKENIZER, num_labels=2, max_length=64,
         init=0.3, seed=105),
    dict(name="tiny-en-cross1", mode="cross", vocab=EN_TOKENIZER, num_labels=1, max_length=40,
         init=0.3, seed=106),
]


# ---------------------------------------------------------------------------------------------
# Data: fixed selections, read without any quoting rules (the texts contain quote characters).

def read_tsv_rows(path, encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as f:
        return [line.rstrip("\r\n").split("\t") for line in f if line.strip("\r\n")]


def chinese_pairs(shared):
    base = shared / "data" / "senteval_cn"
    lcqmc = read_tsv_rows(base / "LCQMC" / "LCQMC.test.data")[:100]
    pawsx = read_tsv_rows(base / "PAWSX" / "PAWSX.test.data")[:40]
    return [(r[0], r[1]) for r in lcqmc + pawsx]


def stsb_test(shared):
    """STS-B English test split: list of (sentence1, sentence2, score)."""
    with gzip.open(shared / "data" / "stsb_en" / "stsbenchmark.tsv.gz", "rt", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        return [(r[col["sentence1"]], r[col["sentence2"]], float(r[col["score"]]))
                for r in reader if r[col["split"]] == "test"]


def english_pairs(shared):
    sts = [(a, b) for a, b, _ in stsb_test(shared)[:100]]
    mrpc = read_tsv_rows(shared / "data" / "mrpc" / "msr_paraphrase_test.txt", encoding="utf-8-sig")
    assert mrpc[0][0] == "Quality", mrpc[0]
    return sts + [(r[3], r[4]) for r in mrpc[1:41]]


def distinct_texts(pairs):
    seen = {}
    for a, b in pairs:
        seen.setdefault(a, None)
        seen.setdefault(b, None)
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Building the models.

def make_tokenizer(shared, vocab, max_length):
    """The shared tokenizer.json as a transformers tokenizer, without the truncation/padding that
    all-MiniLM-L6-v2's tokenizer.json carries (they would leak into tokenizer_config.json)."""
    src = shared / "tokenizers" / vocab
    backend = Tokenizer.from_file(str(src / "tokenizer.json"))
    backend.no_truncation()
    backend.no_padding()
    # bge-small-zh-v1.5 is cased (lowercase false), all-MiniLM-L6-v2 uncased.
    lowercase = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))["normalizer"]["lowercase"]
    tok = BertTokenizerFast(tokenizer_object=backend, do_lower_case=bool(lowercase),
                            model_max_length=max_length)
    return tok, src


def check_tokenizer_matches(tok, src, texts):
    """The saved tokenizer must give the same ids as the shared tokenizer.json."""
    ref = Tokenizer.from_file(str(src / "tokenizer.json"))
    ref.no_truncation()
    ref.no_padding()
    for text in texts:
        assert tok(text)["input_ids"] == ref.encode(text).ids, text


def bert_config(spec, vocab_size):
    config = BertConfig(
        vocab_size=vocab_size, hidden_size=HIDDEN_SIZE, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128, hidden_act="gelu", type_vocab_size=2,
        initializer_range=spec["init"], pad_token_id=0)
    if spec["mode"] == "cross":
        config.num_labels = spec["num_labels"]
        config.id2label = {i: str(i) for i in range(spec["num_labels"])}
        config.label2id = {str(i): i for i in range(spec["num_labels"])}
    return config


def save_base(spec, shared, model_dir):
    """Random-weight model plus tokenizer, written with save_pretrained; returns the model."""
    tok, src = make_tokenizer(shared, spec["vocab"], spec["max_length"])
    torch.manual_seed(spec["seed"])
    config = bert_config(spec, tok.vocab_size)
    cls = BertForSequenceClassification if spec["mode"] == "cross" else BertModel
    model = cls(config).eval()
    model.save_pretrained(model_dir, safe_serialization=True)
    tok.save_pretrained(model_dir)
    # transformers 5 writes only tokenizer.json; real model directories also ship vocab.txt.
    shutil.copyfile(src / "vocab.txt", Path(model_dir) / "vocab.txt")
    return model, tok, src


def export_sentence_transformer(spec, base_dir, model_dir):
    transformer = Transformer(str(base_dir), max_seq_length=spec["max_length"])
    modules = [transformer, Pooling(HIDDEN_SIZE, spec["pooling"])]
    if spec["normalize"]:
        modules.append(Normalize())
    SentenceTransformer(modules=modules, device="cpu").save(str(model_dir))


def tensor_prefix(model_dir):
    files = sorted(Path(model_dir).glob("*.safetensors"))
    assert len(files) == 1, files
    with safe_open(str(files[0]), "pt") as f:
        names = list(f.keys())
        dtypes = {str(f.get_tensor(n).dtype) for n in names}
    assert dtypes == {"torch.float32"}, dtypes
    if any(n.startswith("bert.") for n in names):
        assert all(n.startswith("bert.") or n.startswith("classifier.") for n in names), names
        return "bert.", names
    assert all(n.split(".")[0] in ("embeddings", "encoder", "pooler") for n in names), names
    return "", names


# ---------------------------------------------------------------------------------------------
# Reference outputs.

def rounded(values):
    return [float(f"{v:.{EMBEDDING_DIGITS}g}") for v in values]


def hidden_entry(bert, encoding):
    ids = encoding["input_ids"]
    type_ids = encoding["token_type_ids"]
    with torch.no_grad():
        out = bert(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([type_ids]),
                   attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    return {"ids": ids, "type_ids": type_ids,
            "last_hidden_state": [rounded(row) for row in out.last_hidden_state[0].tolist()]}


def reference_bi(spec, model_dir, pairs):
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    transformer = model[0]
    max_length = transformer.max_seq_length
    if spec["export"] == "st":
        assert max_length == spec["max_length"], (max_length, spec["max_length"])
    texts = distinct_texts(pairs)
    emb = model.encode(texts, batch_size=32, convert_to_tensor=True)
    assert emb.dtype == torch.float32
    index = {t: i for i, t in enumerate(texts)}
    a = emb[[index[p[0]] for p in pairs]]
    b = emb[[index[p[1]] for p in pairs]]
    scores = [util.cos_sim(a[i:i + 1], b[i:i + 1]).item() for i in range(len(pairs))]

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    bert = transformer.auto_model if hasattr(transformer, "auto_model") else transformer.model
    assert isinstance(bert, BertModel), type(bert)
    hidden = [hidden_entry(bert, tok(t, truncation=True, max_length=max_length))
              for t in texts[:HIDDEN_INPUTS]]
    # The hidden states run alone, pooled by hand, must give the batched sentence embeddings:
    # this ties the recorded ids and hidden states to the scores.
    for i, entry in enumerate(hidden):
        states = torch.tensor(entry["last_hidden_state"])
        pooled = {"mean": states.mean(0), "cls": states[0], "max": states.max(0).values}[spec["pooling"]]
        if spec["normalize"]:
            pooled = torch.nn.functional.normalize(pooled, dim=0)
        worst = (pooled - emb[i]).abs().max().item()
        assert worst < SELF_CHECK_TOL, f"{spec['name']}: text {i} pooled by hand differs by {worst}"
    return {"max_length": max_length, "scores": scores, "texts": texts,
            "embeddings": [rounded(row) for row in emb.tolist()], "hidden": hidden}


def reference_cross(spec, model_dir, pairs):
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = BertForSequenceClassification.from_pretrained(str(model_dir)).eval()
    max_length = spec["max_length"]
    assert tok.model_max_length == max_length
    logits = []
    with torch.no_grad():
        for start in range(0, len(pairs), 32):
            chunk = pairs[start:start + 32]
            batch = tok([p[0] for p in chunk], [p[1] for p in chunk], truncation="longest_first",
                        max_length=max_length, padding=True, return_tensors="pt")
            logits.append(model(**batch).logits)
    logits = torch.cat(logits)
    if spec["num_labels"] == 2:
        scores = torch.softmax(logits, dim=-1)[:, 1]
    else:
        scores = torch.sigmoid(logits[:, 0])
        cross = CrossEncoder(str(model_dir), device="cpu")
        predicted = torch.as_tensor(cross.predict(pairs, batch_size=32), dtype=torch.float32)
        worst = (predicted - scores).abs().max().item()
        assert worst < 1e-5, f"CrossEncoder.predict disagrees with sigmoid(logit) by {worst}"
        print(f"  CrossEncoder.predict agrees with sigmoid(logit): max diff {worst:.2e}")

    hidden = []
    for a, b in pairs[:HIDDEN_INPUTS]:
        encoding = tok(a, b, truncation="longest_first", max_length=max_length)
        entry = hidden_entry(model.bert, encoding)
        with torch.no_grad():
            entry["logits"] = rounded(model(input_ids=torch.tensor([encoding["input_ids"]]),
                                            token_type_ids=torch.tensor([encoding["token_type_ids"]])
                                            ).logits[0].tolist())
        worst = (torch.tensor(entry["logits"]) - logits[len(hidden)]).abs().max().item()
        assert worst < SELF_CHECK_TOL, f"{spec['name']}: pair {len(hidden)} alone differs by {worst}"
        hidden.append(entry)
    return {"max_length": max_length, "scores": scores.tolist(), "hidden": hidden}


def write_pairs_tsv(path, pairs):
    for a, b in pairs:
        assert "\t" not in a + b and "\n" not in a + b
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(f"{a}\t{b}\n" for a, b in pairs)


def make_tiny_model(spec, shared, out, pairs, scratch):
    name = spec["name"]
    model_dir = out / "models" / name
    if model_dir.exists():
        shutil.rmtree(model_dir)
    if spec.get("export") == "st":
        base_dir = scratch / name
        _, tok, src = save_base(spec, shared, base_dir)
        export_sentence_transformer(spec, base_dir, model_dir)
    else:
        _, tok, src = save_base(spec, shared, model_dir)
    check_tokenizer_matches(AutoTokenizer.from_pretrained(str(model_dir)), src,
                            distinct_texts(pairs))

    if spec["mode"] == "bi":
        result = reference_bi(spec, model_dir, pairs)
    else:
        result = reference_cross(spec, model_dir, pairs)
    prefix, _ = tensor_prefix(model_dir)

    scores = np.asarray(result["scores"], dtype=np.float64)
    assert np.all(np.isfinite(scores))
    std = float(scores.std())
    print(f"  {name}: {len(pairs)} pairs, max_length {result['max_length']}, scores "
          f"min {scores.min():.4f} max {scores.max():.4f} std {std:.4f}, prefix '{prefix}'")
    assert std > MIN_SCORE_STD, f"{name}: score std {std:.4f} is too small for a useful test"

    expected = {"model": name, "mode": spec["mode"], "max_length": result["max_length"],
                "pairs": [list(p) for p in pairs], "scores": result["scores"]}
    if spec["mode"] == "bi":
        expected["texts"] = result["texts"]
        expected["embeddings"] = result["embeddings"]
    expected["hidden"] = result["hidden"]
    expected["tensor_prefix"] = prefix
    with open(out / "expected" / f"{name}.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
    write_pairs_tsv(out / "pairs" / f"{name}.tsv", pairs)
    return std


# ---------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 on STS-B test.

def make_minilm(shared, out, minilm_dir):
    from scipy.stats import spearmanr

    rows = stsb_test(shared)
    pairs = [(a, b) for a, b, _ in rows]
    gold = [g for _, _, g in rows]
    texts = distinct_texts(pairs)
    model = SentenceTransformer(str(minilm_dir), device="cpu")
    model.eval()
    emb = model.encode(texts, batch_size=64, convert_to_tensor=True)
    assert emb.dtype == torch.float32 and emb.shape[1] == 384, (emb.dtype, emb.shape)
    index = {t: i for i, t in enumerate(texts)}
    a = emb[[index[p[0]] for p in pairs]]
    b = emb[[index[p[1]] for p in pairs]]
    scores = [util.cos_sim(a[i:i + 1], b[i:i + 1]).item() for i in range(len(pairs))]
    spearman = float(spearmanr(scores, gold).statistic) * 100
    expected = {"pairs": [list(p) for p in pairs], "gold": gold, "scores": scores,
                "spearman": spearman, "texts": texts, "embedding_dim": 384,
                "max_length": model[0].max_seq_length}
    with open(out / "expected" / "minilm_stsb.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
    emb.numpy().astype("<f4").tofile(out / "expected" / "minilm_stsb_embeddings.f32")
    print(f"  minilm_stsb: {len(pairs)} pairs, {len(texts)} texts, max_length "
          f"{model[0].max_seq_length}, Spearman {spearman:.2f} (published 82.03)")
    return spearman


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minilm", type=Path, default=REPO_ROOT / "models" / "all-MiniLM-L6-v2")
    args = parser.parse_args()

    started = time.time()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for sub in ("models", "expected", "pairs"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)

    zh = chinese_pairs(args.shared)
    en = english_pairs(args.shared)
    assert len(zh) == 140 and len(en) == 140, (len(zh), len(en))
    with tempfile.TemporaryDirectory() as scratch:
        for spec in MODELS:
            pairs = zh if spec["vocab"] == ZH_TOKENIZER else en
            make_tiny_model(spec, args.shared, args.out, pairs, Path(scratch))

    if (args.minilm / "modules.json").exists():
        make_minilm(args.shared, args.out, args.minilm)
    else:
        print(f"  {args.minilm} is absent: skipping the all-MiniLM-L6-v2 fixtures")
    print(f"model fixtures written to {args.out} in {time.time() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
