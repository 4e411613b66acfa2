#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets in tests/fuzz from ../shared (rows of the data files,
the tokenizer files), so nothing licensed is copied into the repository. Deterministic.

Usage: make_corpus.py [--shared DIR] [--out DIR]   (writes DIR/<target>/<seed>)
"""
import argparse
import gzip
import json
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Options byte of the pair_reader target (see pair_reader_fuzz.cc).
TSV, CSV, JSONL = 0, 1, 2
HEADER, GZIP, LABEL, ID, NAMES, SHORT_LINES = 4, 8, 16, 32, 64, 128


def lines(path, count, skip=0):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read().split(b"\n")
    return data[skip : skip + count]


def write(out, target, name, data):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def pair_reader_seeds(shared, out):
    d = shared / "data"
    lcqmc = lines(d / "senteval_cn/LCQMC/LCQMC.test.data", 12)
    stsb = lines(d / "stsb_en/stsbenchmark.tsv.gz", 10)  # header + 9 rows
    mrpc = lines(d / "mrpc/msr_paraphrase_test.txt", 8)  # BOM + header + rows
    afqmc = lines(d / "afqmc/dev.json", 10)
    pawsx = lines(d / "senteval_cn/PAWSX/PAWSX.test.data", 6)

    def seed(name, flags, rows, sep=b"\n"):
        write(out, "pair_reader", name, bytes([flags]) + sep.join(rows) + b"\n")

    seed("lcqmc.tsv", TSV | LABEL, lcqmc)
    seed("lcqmc-short.tsv", TSV | SHORT_LINES, lcqmc)
    seed("lcqmc-crlf.tsv", TSV | LABEL | ID, lcqmc, b"\r\n")
    seed("stsb.tsv.gz", TSV | HEADER | GZIP | LABEL, stsb)
    seed("mrpc.tsv", TSV | HEADER | LABEL, mrpc)
    seed("pawsx.tsv", TSV | LABEL, pawsx)
    # Raw gzip bytes: the reader must sniff the magic itself.
    write(out, "pair_reader", "lcqmc-raw.gz", bytes([TSV]) + gzip.compress(b"\n".join(lcqmc) + b"\n", mtime=0))
    seed("afqmc.jsonl", JSONL | NAMES, afqmc)
    seed("afqmc-index.jsonl", JSONL | LABEL, afqmc)

    def csv_row(fields):
        return b",".join(b'"' + f.replace(b'"', b'""') + b'"' if (b"," in f or b'"' in f or b" " in f) else f
                         for f in fields)
    rows = [csv_row([b"sentence1", b"sentence2", b"label"])]
    for line in lcqmc[:5] + stsb[1:6]:
        fields = line.split(b"\t")
        rows.append(csv_row(fields[-2:] + fields[:1] if len(fields) > 3 else fields))
    rows.append(b'"multi\nline ""quoted"" field",b,1')
    seed("pairs.csv", CSV | HEADER | NAMES | LABEL, rows)
    seed("pairs-index.csv", CSV | HEADER, rows)


def safetensors_file(tensors, metadata=None, pad=True):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds(out):
    f32 = lambda values: struct.pack(f"<{len(values)}f", *values)
    write(out, "safetensors", "bert-like", safetensors_file([
        ("embeddings.word_embeddings.weight", "F32", [4, 2], f32([0.5, -1, 2, 3, 0, 0, 1e-3, 7])),
        ("embeddings.position_ids", "I64", [1, 3], struct.pack("<3q", 0, 1, 2)),
        ("encoder.layer.0.attention.self.query.bias", "F16", [2], struct.pack("<2e", 1.5, -2)),
        ("pooler.dense.bias", "BF16", [2], b"\x80\x3f\x00\x40"),
    ], {"format": "pt"}))
    write(out, "safetensors", "empty-and-scalar", safetensors_file([
        ("empty", "F32", [0, 3], b""),
        ("scalar", "F64", [], struct.pack("<d", 3.25)),
        ("flags", "BOOL", [3], b"\x01\x00\x01"),
    ]))
    write(out, "safetensors", "unpadded", safetensors_file([("x", "I32", [2], struct.pack("<2i", 7, -7))], pad=False))
    write(out, "safetensors", "header-only", safetensors_file([]))


def trimmed_tokenizer_json(path, keep):
    """The real tokenizer.json with its vocabulary cut to the special tokens and `keep` more."""
    root = json.loads(path.read_text(encoding="utf-8"))
    vocab = root["model"]["vocab"]
    specials = {t["content"] for t in root.get("added_tokens", [])}
    small = {}
    for i, (token, index) in enumerate(vocab.items()):
        if token in specials or token.startswith("##") and i % 7 == 0 or 990 <= index < 990 + keep:
            small[token] = index
    root["model"]["vocab"] = small
    return json.dumps(root, ensure_ascii=False, indent=1).encode()


def tokenizer_seeds(shared, out):
    t = shared / "tokenizers"
    minilm, bge = t / "all-MiniLM-L6-v2", t / "bge-small-zh-v1.5"
    config = (minilm / "tokenizer_config.json").read_bytes()
    write(out, "tokenizer_files", "minilm-json", trimmed_tokenizer_json(minilm / "tokenizer.json", 300))
    write(out, "tokenizer_files", "minilm-json-config",
          trimmed_tokenizer_json(minilm / "tokenizer.json", 200) + b"\0" + config)
    write(out, "tokenizer_files", "bge-json", trimmed_tokenizer_json(bge / "tokenizer.json", 300))
    vocab = (minilm / "vocab.txt").read_bytes().split(b"\n")[:1400]
    write(out, "tokenizer_files", "minilm-vocab-config", b"\n".join(vocab) + b"\n\0" + config)
    write(out, "tokenizer_files", "bge-vocab", b"\n".join((bge / "vocab.txt").read_bytes().split(b"\n")[:1400]))

    # The wordpiece and sentencepiece targets: vocabulary byte, max_length (2 bytes), text a TAB text b.
    d = shared / "data"
    rows = (lines(d / "senteval_cn/LCQMC/LCQMC.test.data", 4) + lines(d / "stsb_en/stsbenchmark.tsv.gz", 5, 1)
            + lines(d / "mrpc/msr_paraphrase_test.txt", 4, 1) + lines(d / "senteval_cn/PAWSX/PAWSX.test.data", 3))
    for i, row in enumerate(rows):
        fields = row.split(b"\t")
        a, b = (fields[-2], fields[-1]) if len(fields) > 3 else (fields[0], fields[1] if len(fields) > 1 else b"")
        max_length = [512, 128, 16, 7, 3, 2][i % 6]
        seed = bytes([i & 1]) + struct.pack("<H", max_length) + a + b"\t" + b
        write(out, "wordpiece", f"row{i:02d}", seed)
        write(out, "sentencepiece", f"row{i:02d}", seed)  # same layout: model byte, max_length, text
    hostile = ["Ｆｕｌｌ－ｗｉｄｔｈ！ café naïve e\u0301 \u200bzero\u200dwidth 😀👍🏽 ١٢٣ mixed中文English",
               "[CLS] [SEP][MASK]x [PAD] [UNK]\t\u0000\u0007\u00ad\ufeff control \x85 chars",
               "ǅungla Σίσυφος ΑΣ ＡＢＣ Straße İstanbul" + "\u0301" * 40]
    for i, text in enumerate(hostile):
        seed = bytes([i & 1]) + struct.pack("<H", 64) + text.encode()
        write(out, "wordpiece", f"hostile{i}", seed)
        write(out, "sentencepiece", f"hostile{i}", seed)


def torch_checkpoint_seeds(out):
    """Small state dicts as torch.save writes them; skipped when torch is not installed."""
    try:
        import io
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32)
    dicts = {
        "state-dict": {"embeddings.weight": base.reshape(3, 4), "bias": torch.ones(4, dtype=torch.float16),
                       "position_ids": torch.arange(3, dtype=torch.int64).unsqueeze(0)},
        "shared-storage": {"a": base[:6].view(2, 3), "b": base[6:], "scalar": torch.tensor(2.5, dtype=torch.bfloat16)},
        "empty": {"empty": torch.zeros(0, 3)},
    }
    for name, state in dicts.items():
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write(out, "torch_checkpoint", name, buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    pair_reader_seeds(args.shared, args.out)
    safetensors_seeds(args.out)
    tokenizer_seeds(args.shared, args.out)
    torch_checkpoint_seeds(args.out)


if __name__ == "__main__":
    main()
