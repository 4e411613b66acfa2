#!/usr/bin/env python3
"""Reference pair encodings for tests/tokenizer_settings_test.cc: which normalizer settings
transformers 5's AutoTokenizer applies for every combination of config.json / tokenizer.json /
tokenizer_config.json in a WordPiece model directory.

The settings can come from three files that disagree: tokenizer.json's normalizer (lowercase, ...),
tokenizer_config.json (tokenizer_class, do_lower_case) and config.json (model_type, which picks the
tokenizer class when tokenizer_config.json names none). For each shared WordPiece tokenizer, each
directory below holds one combination, built from the shared files; AutoTokenizer loads it and its
pair encodings of texts with Latin capitals and accents (where lowercasing shows) are written next
to the files.

Output (under --out/tokenizer_settings/):
  manifest.json   [{"name", "tokenizer", "files", "class" or "error"}]: "error" when AutoTokenizer
                  refuses the directory (then there is nothing to compare)
  <name>/         the model directory as built, plus expected.json: {"pairs": [[a, b], ...],
                  "ids": [[...], ...]} (pair encodings at max_length 512)

Usage: make_tokenizer_settings_fixtures.py --shared DIR --out DIR
"""

import argparse
import itertools
import json
import shutil
import warnings
from pathlib import Path

TOKENIZERS = ("all-MiniLM-L6-v2", "bge-small-zh-v1.5")
PAIRS = [
    ["Hello QQ, how is the APP on my iPhone?", "WeChat Pay 与 QQ 钱包 APP 的区别"],
    ["Café NAÏVE Ångström façade", "ÉCOLE crème brûlée résumé Straße"],
    ["ABC abc AbC", "全角 ＡＢＣ and 中文 MiXeD"],
]
CONFIGS = {
    "noconfig": None,
    "bertconfig": {"model_type": "bert"},
    "untypedconfig": {"hidden_size": 384},  # a config.json without model_type
}
TOKENIZER_CONFIGS = {
    "notokcfg": None,
    "emptytokcfg": {},
    "bertclass": {"tokenizer_class": "BertTokenizer"},
    "bertclass-cased": {"tokenizer_class": "BertTokenizer", "do_lower_case": False},
    "cased": {"do_lower_case": False},
    "fastclass": {"tokenizer_class": "PreTrainedTokenizerFast"},
}
TOKENIZER_JSONS = ("notokjson", "shippedtokjson", "casedtokjson")


def build(directory, source, config, tokenizer_config, tokenizer_json):
    directory.mkdir(parents=True)
    shutil.copy(source / "vocab.txt", directory / "vocab.txt")
    files = ["vocab.txt"]
    if config is not None:
        (directory / "config.json").write_text(json.dumps(config))
        files.append("config.json")
    if tokenizer_config is not None:
        (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
        files.append("tokenizer_config.json")
    if tokenizer_json != "notokjson":
        root = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
        if tokenizer_json == "casedtokjson":
            root["normalizer"]["lowercase"] = False
            root["normalizer"]["strip_accents"] = None
        (directory / "tokenizer.json").write_text(json.dumps(root, ensure_ascii=False), encoding="utf-8")
        files.append("tokenizer.json")
    return files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from transformers import AutoTokenizer

    out = args.out / "tokenizer_settings"
    shutil.rmtree(out, ignore_errors=True)
    manifest = []
    for tokenizer, (config_name, config), (tokcfg_name, tokcfg), tokjson in itertools.product(
            TOKENIZERS, CONFIGS.items(), TOKENIZER_CONFIGS.items(), TOKENIZER_JSONS):
        name = f"{tokenizer}__{config_name}__{tokcfg_name}__{tokjson}"
        directory = out / name
        files = build(directory, args.shared / "tokenizers" / tokenizer, config, tokcfg, tokjson)
        entry = {"name": name, "tokenizer": tokenizer, "files": files}
        try:
            auto = AutoTokenizer.from_pretrained(directory)
        except Exception as error:  # transformers refuses some combinations; nothing to compare then
            entry["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            manifest.append(entry)
            continue
        entry["class"] = type(auto).__name__
        ids = [auto(a, b, truncation=True, max_length=512)["input_ids"] for a, b in PAIRS]
        (directory / "expected.json").write_text(json.dumps({"pairs": PAIRS, "ids": ids}, ensure_ascii=False),
                                                 encoding="utf-8")
        manifest.append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    refused = sum("error" in e for e in manifest)
    print(f"tokenizer_settings: {len(manifest)} directories, {refused} refused by AutoTokenizer")


if __name__ == "__main__":
    main()
