#!/usr/bin/env python3
"""Reference token ids for tests/tokenizer_reference_test.cc, from HuggingFace tokenizers.

For every row of every data file in shared/data, with every tokenizer in shared/tokenizers that has
a tokenizer.json, writes the pair encoding at max_length 512 and 32 and each text's single encoding
at 512, plus the same for a hand-written set of hostile texts. It also checks that transformers'
BertTokenizer built from vocab.txt + tokenizer_config.json agrees with tokenizer.json (the loader's
fallback path), that AutoTokenizer on the whole directory (as sentence-transformers loads it) agrees
too, and writes per-code-point normalizer and pre-tokenizer results so the C++ side can
check its Unicode tables on every code point.

Output (all under --out/tokenizer/):
  manifest.json                 which fixture files exist, with their tokenizer, files and row count
  <variant>__<dataset>.jsonl    one JSON object per row:
      {"row", "a", "b", "p512", "t512", "p32", "t32", "a512", "b512"}
      pN: pair ids at max_length N; tN: how many leading tokens have type id 0 (the rest have 1);
      a512/b512: single encodings of a and b at 512.
  codepoints.tsv                code point, then its normalized form under four BertNormalizer
                                settings (hex code points, space separated), then the pre-tokenizer
                                class (W whitespace, P punctuation, N other); identity rows omitted.

Usage: make_tokenizer_fixtures.py [--shared DIR] [--out DIR]
"""

import argparse
import csv
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tokenizers import Tokenizer, normalizers, pre_tokenizers

REPO = Path(__file__).resolve().parents[2]
MAX_LENGTHS = (512, 32)

# Each exercises one rule of the pipeline; they are paired with their neighbour as (a, b).
HOSTILE_TEXTS = [
    "",
    "   ",
    "\t\n\r \u3000\u00a0\u2028",
    "control\x00chars\x01here\x7f and \x0b\x0c\x1c\x1d bell\x07",
    "zero\u200bwidth\u200c\u200djoiners\ufeff and soft\u00adhyphen",
    "combining e\u0301 a\u0300 o\u0308 n\u0303 and stacked a\u0301\u0316\u0323\u0300",
    "reordered marks q\u0307\u0323 q\u0323\u0307 \U0001D16D\U0001D165 \U0001D165\U0001D16D",
    "Accents: Café, naïve, Ångström, façade, Ærøskøbing, ŒUVRE, İstanbul, ΣΊΣΥΦΟΣ",
    "ÉCOLE, crème brûlée, résumé, Straße, ﬁancé, Ⅻ, ①②, ℃",
    "emoji 😀👍🏽 family 👨\u200d👩\u200d👧 flags 🇨🇳🇺🇸 keycap 1\ufe0f\u20e3 🥰 🫠",
    "全角标点：“你好”，（测试）！？【括号】《书名》……——～",
    "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ １２３ ＡＢＣ",
    "mixed 混合 scripts русский текст العربية עברית ελληνικά 日本語のテキスト 한국어 텍스트 ไทย",
    "compat ideographs \uf900\uf901\ufa0e and ext-b \U00020000\U0002a6d6 ext-g \U00030000",
    "[SEP] inside [CLS] text [PAD] and [MASK][UNK] and [sep] [ SEP ] [SEP][SEP]x[SEP]",
    "lowercase [sep] and prefixed##SEP ## # ### hash##tags",
    "a" * 99 + " " + "b" * 100 + " " + "c" * 101 + " " + "d" * 150,
    "supercalifragilisticexpialidocious" * 4,
    "中" * 120,
    "long" + "é" * 97 + " " + "x" * 97 + "é",
    "unassigned \u0378 \U000e0080 private use \ue000 \U000f0000 noncharacter \ufdd0 \uffff",
    "replacement \ufffd char and isolated punctuation !!!...??? a-b-c e.g. don't",
    "Unicode 9+ punctuation \u2e43 \U0001144b and newer marks \u08d4 \U00011938 \u166d \U000111c9",
    "new case pairs \u1c89 \ua7cb \U00010d50 \U00016ea0 and greek final ΟΔΟΣ",
    "tabs\tand\nnewlines\r\nmixed   spaces",
    "numbers 3.14159 1,000,000 12:30 2023-01-01 50% $100 #1",
    "URL https://example.com/path?q=1&x=y email someone@example.org",
    "Ｈｅｌｌｏ，ｗｏｒｌｄ！你好世界！",
    "ǅungla ǈudi ǋ ß ẞ ﬀ ﬃ ſ K Å",
    "Hangul 한글 decomposes 갃 and jamo \u1100\u1161\u11a8",
]


def read_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [line.rstrip("\n").rstrip("\r") for line in f]


def read_senteval(path):
    rows = []
    for line in read_lines(path):
        if not line:
            continue
        fields = line.split("\t")
        rows.append((fields[0], fields[1]))
    return rows


def read_afqmc(path):
    rows = []
    for line in read_lines(path):
        if line.strip():
            record = json.loads(line)
            rows.append((record["sentence1"], record["sentence2"]))
    return rows


def read_tsv_with_header(text, first, second):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    a = header.index(first) if isinstance(first, str) else first
    b = header.index(second) if isinstance(second, str) else second
    return [(row[a], row[b]) for row in reader if row]


def read_stsb_en(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return read_tsv_with_header(f.read(), "sentence1", "sentence2")


def read_mrpc(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return read_tsv_with_header(f.read(), 3, 4)


def datasets(shared):
    data = shared / "data"
    cn = data / "senteval_cn"
    sources = [
        ("lcqmc_test", cn / "LCQMC/LCQMC.test.data", read_senteval),
        ("lcqmc_valid", cn / "LCQMC/LCQMC.valid.data", read_senteval),
        ("pawsx_test", cn / "PAWSX/PAWSX.test.data", read_senteval),
        ("pawsx_valid", cn / "PAWSX/PAWSX.valid.data", read_senteval),
        ("stsb_zh_test", cn / "STS-B/STS-B.test.data", read_senteval),
        ("stsb_zh_valid", cn / "STS-B/STS-B.valid.data", read_senteval),
        ("stsb_zh_train", cn / "STS-B/STS-B.train.data", read_senteval),
        ("afqmc_dev", data / "afqmc/dev.json", read_afqmc),
        ("stsb_en", data / "stsb_en/stsbenchmark.tsv.gz", read_stsb_en),
        ("mrpc_test", data / "mrpc/msr_paraphrase_test.txt", read_mrpc),
    ]
    result = []
    for name, path, reader in sources:
        if not path.exists():
            sys.exit(f"missing data file {path}")
        result.append((name, reader(path)))
    count = len(HOSTILE_TEXTS)
    hostile = [(HOSTILE_TEXTS[i], HOSTILE_TEXTS[(i + 1) % count]) for i in range(count)]
    result.append(("hostile", hostile))
    return result


def hf_tokenizer(path, max_length):
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first", direction="right")
    return tokenizer


class Encoder:
    """Encodes rows at every length we need, with tokenizers or with transformers."""

    def __init__(self, tokenizer_json=None, transformers_dir=None):
        if tokenizer_json is not None:
            self.by_length = {n: hf_tokenizer(tokenizer_json, n) for n in MAX_LENGTHS}
            self.transformers = None
        else:
            from transformers import AutoTokenizer, BertTokenizer

            if (transformers_dir / "tokenizer.json").exists():
                # The whole model directory, as sentence-transformers loads it.
                self.transformers = AutoTokenizer.from_pretrained(str(transformers_dir))
            elif (transformers_dir / "tokenizer_config.json").exists():
                self.transformers = AutoTokenizer.from_pretrained(str(transformers_dir))
            else:
                self.transformers = BertTokenizer.from_pretrained(str(transformers_dir))

    def pairs(self, rows, max_length):
        if self.transformers is None:
            encodings = self.by_length[max_length].encode_batch(list(rows))
            return [(e.ids, e.type_ids) for e in encodings]
        out = self.transformers([a for a, _ in rows], [b for _, b in rows],
                                truncation="longest_first", max_length=max_length,
                                return_token_type_ids=True)
        return list(zip(out["input_ids"], out["token_type_ids"]))

    def singles(self, texts):
        if self.transformers is None:
            return [e.ids for e in self.by_length[512].encode_batch(list(texts))]
        return self.transformers(list(texts), truncation=True, max_length=512)["input_ids"]


def type_zero_count(type_ids):
    zeros = type_ids.index(1) if 1 in type_ids else len(type_ids)
    assert all(t == 0 for t in type_ids[:zeros]) and all(t == 1 for t in type_ids[zeros:]), type_ids
    return zeros


def encode_rows(encoder, rows):
    records = [{"row": i, "a": a, "b": b} for i, (a, b) in enumerate(rows)]
    for n in MAX_LENGTHS:
        for record, (ids, types) in zip(records, encoder.pairs(rows, n)):
            record[f"p{n}"] = ids
            record[f"t{n}"] = type_zero_count(types)
    for key, texts in (("a512", [a for a, _ in rows]), ("b512", [b for _, b in rows])):
        for record, ids in zip(records, encoder.singles(texts)):
            record[key] = ids
    return records


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def disagreements(reference, other):
    found = []
    for r, o in zip(reference, other):
        for key in ("p512", "t512", "p32", "t32", "a512", "b512"):
            if r[key] != o[key]:
                found.append((r["row"], key, r["a"], r["b"], r[key], o[key]))
                break
    return found


def write_codepoints(path):
    """What each code point becomes under four normalizer settings, and its pre-tokenizer class."""
    # clean_text, handle_chinese_chars, strip_accents, lowercase
    flags = [(True, True, False, False), (True, True, True, True),
             (False, False, True, False), (False, False, False, True)]
    settings = [normalizers.BertNormalizer(clean_text=c, handle_chinese_chars=h, strip_accents=s,
                                           lowercase=l) for c, h, s, l in flags]
    pre = pre_tokenizers.BertPreTokenizer()
    written = 0
    with open(path, "w", encoding="ascii") as f:
        for c in range(0x110000):
            if 0xD800 <= c <= 0xDFFF:
                continue
            s = chr(c)
            outputs = [n.normalize_str(s) for n in settings]
            words = [w for w, _ in pre.pre_tokenize_str("a" + s + "a")]
            kind = "N" if words == ["a" + s + "a"] else ("W" if words == ["a", "a"] else "P")
            assert kind != "P" or words == ["a", s, "a"], (hex(c), words)
            if kind == "N" and all(o == s for o in outputs):
                continue
            hexes = [" ".join("%X" % ord(ch) for ch in o) for o in outputs]
            f.write("%X\t%s\t%s\n" % (c, "\t".join(hexes), kind))
            written += 1
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fixtures")
    args = parser.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", "2")

    out = args.out / "tokenizer"
    out.mkdir(parents=True, exist_ok=True)
    all_data = datasets(args.shared)
    manifest = {"max_lengths": list(MAX_LENGTHS), "fixtures": []}
    problems = []

    # The loader's vocab.txt path is compared on these (all data is compared in this script).
    vocab_subset = {"hostile", "stsb_zh_test", "mrpc_test"}

    tokenizer_dirs = sorted(p for p in (args.shared / "tokenizers").iterdir()
                            if (p / "tokenizer.json").exists())
    for tokenizer_dir in tokenizer_dirs:
        name = tokenizer_dir.name
        reference = Encoder(tokenizer_json=tokenizer_dir / "tokenizer.json")
        has_config = (tokenizer_dir / "tokenizer_config.json").exists()
        config_files = ["tokenizer_config.json"] if has_config else []
        variants = [(name, ["tokenizer.json"] + config_files, reference)]

        with tempfile.TemporaryDirectory(dir=out) as scratch:
            vocab_dir = Path(scratch)
            vocab_files = ["vocab.txt"] + config_files
            for file in vocab_files:
                shutil.copy(tokenizer_dir / file, vocab_dir / file)
            vocab_encoder = Encoder(transformers_dir=vocab_dir)
            variants.append((name + "@vocab", vocab_files, vocab_encoder))
            # The whole directory through AutoTokenizer, as sentence-transformers loads it, must
            # agree too: the C++ loader follows tokenizer.json (plus tokenizer_config.json's
            # BertTokenizer flags, which transformers applies on top).
            auto_encoder = Encoder(transformers_dir=tokenizer_dir)

            for dataset, rows in all_data:
                expected = encode_rows(reference, rows)
                mismatched = disagreements(expected, encode_rows(auto_encoder, rows))
                if mismatched:
                    problems.append((name + "@AutoTokenizer", dataset, len(mismatched),
                                     mismatched[:3]))
                for variant, files, encoder in variants:
                    if encoder is reference:
                        records = expected
                    else:
                        records = encode_rows(encoder, rows)
                        mismatched = disagreements(expected, records)
                        # With a tokenizer_config.json, transformers must build the same tokenizer;
                        # without one it falls back to BERT defaults, which may differ on purpose.
                        if mismatched and has_config:
                            problems.append((variant, dataset, len(mismatched), mismatched[:3]))
                        if mismatched:
                            why = "" if has_config else " (no tokenizer_config.json: BERT defaults)"
                            print(f"  {variant} {dataset}: {len(mismatched)} rows differ from "
                                  f"tokenizer.json{why}")
                        if dataset not in vocab_subset:
                            continue
                    filename = f"{variant}__{dataset}.jsonl"
                    write_jsonl(out / filename, records)
                    manifest["fixtures"].append({"tokenizer": name, "files": files,
                                                 "dataset": dataset, "path": filename,
                                                 "rows": len(records)})
                    print(f"{variant:32s} {dataset:14s} {len(records):6d} rows")

    manifest["codepoints"] = "codepoints.tsv"
    manifest["codepoint_rows"] = write_codepoints(out / "codepoints.tsv")
    with open(out / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)

    if problems:
        for variant, dataset, count, examples in problems:
            print(f"DISAGREEMENT {variant} {dataset}: {count} rows, e.g.", file=sys.stderr)
            for example in examples:
                print("   ", example, file=sys.stderr)
        sys.exit("transformers disagrees with tokenizer.json")


if __name__ == "__main__":
    main()
