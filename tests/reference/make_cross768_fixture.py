#!/usr/bin/env python3
"""Writes models/cross-768: a random-weight BertForSequenceClassification as wide as bert-base
(hidden 768, 12 heads, FFN 3072; one layer, a 58-token letter vocabulary, 2 labels), saved by
transformers' save_pretrained with its tokenizer. The head's products are 768 x 768 and 2 x 768,
the shapes whose BLAS results depended on how many rows shared a batch; tests/e2e/test_cross_head.py
checks that its scores are byte-identical across --max-batch-tokens, --window, --shard and --threads,
and within 1e-5 of transformers' own scores, written here to expected/cross-768.json.

Usage: make_cross768_fixture.py --out OUT_DIR
"""
import argparse
import json
import random
import string
import tempfile
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

PAIRS = 24  # scored by transformers here, for the accuracy check


def sentences(count, seed):
    rng = random.Random(seed)
    return [" ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 7)))
                     for _ in range(rng.randint(1, 30))) for _ in range(count)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, type=Path)
    out = parser.parse_args().out
    target = out / "models" / "cross-768"
    target.mkdir(parents=True, exist_ok=True)

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *string.ascii_lowercase,
             *("##" + c for c in string.ascii_lowercase)]
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.txt"
        vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
        tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    tokenizer.save_pretrained(target)

    torch.manual_seed(768)
    config = BertConfig(vocab_size=len(vocab), hidden_size=768, num_hidden_layers=1, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512, num_labels=2,
                        initializer_range=0.05)
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(target)

    a, b = sentences(PAIRS, 1), sentences(PAIRS, 2)
    with torch.no_grad():
        encoded = tokenizer(a, b, padding=True, truncation=True, max_length=512, return_tensors="pt")
        probabilities = torch.softmax(model(**encoded).logits.float(), dim=-1)[:, 1]
    expected = {"pairs": [[x, y] for x, y in zip(a, b)], "scores": probabilities.tolist()}
    (out / "expected").mkdir(parents=True, exist_ok=True)
    (out / "expected" / "cross-768.json").write_text(json.dumps(expected), encoding="utf-8")


if __name__ == "__main__":
    main()
