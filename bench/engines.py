#!/usr/bin/env python3
"""One engine scoring one pair file, in its own process (so end_to_end.py can read its peak RSS).

  engines.py ENGINE MODEL_DIR PAIRS_TSV MODE THREADS SCORES_OUT

ENGINE: torch-fp32 | torch-bf16 (autocast) | ct2-fp32 | ct2-int8 | ort-fp32 | ort-int8 | hf-tokenizers.
Prints one JSON line: {"seconds": scoring time after the model is loaded, "tokens": real tokens}.
Inputs are sorted by length and batched by 32 as sentence-transformers does; bi-encoders encode each
distinct text once and score by cosine, cross-encoders score the positive-class probability.
CTranslate2 gets its best: inputs tokenized before the timer, and each batch size of CT2_BATCHES
(default 16,32,64,128) timed, the fastest reported (with "batch" in the JSON line).
ort-int8 runs the graph ONNX Runtime's own quantize_dynamic made (end_to_end.py's PREPARE).
"""
import json
import os
import sys
import time

BATCH = 32


def read_pairs(path):
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            pairs.append((cols[0], cols[1]))
    return pairs


def batches(items, key, size=BATCH):
    order = sorted(range(len(items)), key=key)
    for s in range(0, len(order), size):
        yield order[s:s + size]


def pooling_of(model_dir):
    """mean (sentence-transformers default) or cls, from the model's pooling config."""
    cfg = os.path.join(model_dir, "1_Pooling", "config.json")
    if os.path.exists(cfg):
        c = json.load(open(cfg))
        if c.get("pooling_mode_cls_token"):
            return "cls"
    return "mean"


def run_torch(model_dir, pairs, mode, threads, bf16):
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer
    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(model_dir)
    cls = AutoModel if mode == "bi" else AutoModelForSequenceClassification
    model = cls.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else (lambda: torch.no_grad())
    tokens = 0
    start = time.perf_counter()
    with torch.inference_mode(), ctx():
        if mode == "bi":
            texts = list(dict.fromkeys(t for p in pairs for t in p))
            emb = [None] * len(texts)
            for idx in batches(texts, lambda i: -len(texts[i])):
                enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=128,
                          return_tensors="pt")
                tokens += int(enc["attention_mask"].sum())
                out = model(**enc).last_hidden_state.float()
                m = enc["attention_mask"].unsqueeze(-1).float()
                pooled = (out * m).sum(1) / m.sum(1)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                for i, e in zip(idx, pooled):
                    emb[i] = e
            index = {t: i for i, t in enumerate(texts)}
            scores = [float(emb[index[a]] @ emb[index[b]]) for a, b in pairs]
        else:
            scores = [0.0] * len(pairs)
            for idx in batches(pairs, lambda i: -(len(pairs[i][0]) + len(pairs[i][1]))):
                enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                          truncation="longest_first", max_length=512, return_tensors="pt")
                tokens += int(enc["attention_mask"].sum())
                probs = model(**enc).logits.float().softmax(-1)[:, -1]
                for i, p in zip(idx, probs.tolist()):
                    scores[i] = p
    return time.perf_counter() - start, tokens, scores


def softmax_last(logits):
    import numpy as np
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True))[:, -1]


def classifier_head(model_dir):
    """The pooler and classifier of a BertForSequenceClassification, as numpy arrays."""
    from safetensors.numpy import load_file
    w = load_file(os.path.join(model_dir, "model.safetensors"))
    return (w["bert.pooler.dense.weight"], w["bert.pooler.dense.bias"], w["classifier.weight"],
            w["classifier.bias"])


def run_ct2(model_dir, pairs, mode, threads, compute_type):
    import ctranslate2
    import numpy as np
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    enc_model = ctranslate2.Encoder(os.path.join(model_dir, "ct2"), device="cpu",
                                    compute_type=compute_type, intra_threads=threads)
    head = classifier_head(model_dir) if mode == "cross" else None

    def encode(batch_ids, batch_types):
        out = enc_model.forward_batch(batch_ids, token_type_ids=batch_types)
        return np.array(out.last_hidden_state), (np.array(out.pooler_output)
                                                 if out.pooler_output is not None else None)

    # Tokenized before the timer: (index, token strings, token types) per input.
    if mode == "bi":
        texts = list(dict.fromkeys(t for p in pairs for t in p))
        inputs = []
        for i, text in enumerate(texts):
            ids = tok(text, truncation=True, max_length=128)["input_ids"]
            inputs.append((tok.convert_ids_to_tokens(ids), [0] * len(ids)))
    else:
        inputs = []
        for a, b in pairs:
            e = tok(a, b, truncation="longest_first", max_length=512)
            inputs.append((tok.convert_ids_to_tokens(e["input_ids"]), e["token_type_ids"]))
    tokens = sum(len(t) for t, _ in inputs)

    def timed(size):
        start = time.perf_counter()
        results = [None] * len(inputs)
        for idx in batches(inputs, lambda i: -len(inputs[i][0]), size):
            hidden, pooled = encode([inputs[i][0] for i in idx], [inputs[i][1] for i in idx])
            if mode == "bi":
                for j, i in enumerate(idx):
                    v = hidden[j, :len(inputs[i][0])].mean(0)
                    results[i] = v / np.linalg.norm(v)
            else:
                pw, pb, cw, cb = head
                if pooled is None:
                    pooled = np.tanh(hidden[:, 0] @ pw.T + pb)
                for i, p in zip(idx, softmax_last(pooled @ cw.T + cb).tolist()):
                    results[i] = p
        if mode == "bi":
            index = {t: i for i, t in enumerate(texts)}
            scores = [float(results[index[a]] @ results[index[b]]) for a, b in pairs]
        else:
            scores = results
        return time.perf_counter() - start, scores

    best = None
    for size in [int(b) for b in os.environ.get("CT2_BATCHES", "16,32,64,128").split(",")]:
        seconds, scores = timed(size)
        if best is None or seconds < best[0]:
            best = (seconds, scores, size)
    return best[0], tokens, best[1], {"batch": best[2]}


def run_ort(model_dir, pairs, mode, threads, graph="model.opt.onnx"):
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(model_dir, "onnx", graph), so,
                                providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    tokens = 0
    start = time.perf_counter()

    def run(enc):
        feed = {k: enc[k].astype(np.int64) for k in names if k in enc}
        return sess.run(None, feed)[0]

    if mode == "bi":
        texts = list(dict.fromkeys(t for p in pairs for t in p))
        emb = [None] * len(texts)
        for idx in batches(texts, lambda i: -len(texts[i])):
            enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=128,
                      return_tensors="np")
            tokens += int(enc["attention_mask"].sum())
            out = run(enc)
            m = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (out * m).sum(1) / m.sum(1)
            pooled /= np.linalg.norm(pooled, axis=-1, keepdims=True)
            for i, e in zip(idx, pooled):
                emb[i] = e
        index = {t: i for i, t in enumerate(texts)}
        scores = [float(emb[index[a]] @ emb[index[b]]) for a, b in pairs]
    else:
        scores = [0.0] * len(pairs)
        for idx in batches(pairs, lambda i: -(len(pairs[i][0]) + len(pairs[i][1]))):
            enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                      truncation="longest_first", max_length=512, return_tensors="np")
            tokens += int(enc["attention_mask"].sum())
            probs = softmax_last(run(enc))
            for i, p in zip(idx, probs.tolist()):
                scores[i] = p
    return time.perf_counter() - start, tokens, scores


def run_hf_tokenizers(model_dir, pairs, mode):
    """HuggingFace tokenizers (Rust) batch-encoding the pair file on one thread."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    start = time.perf_counter()
    out = tok.encode_batch([(a, b) for a, b in pairs])
    seconds = time.perf_counter() - start
    return seconds, sum(len(e.ids) for e in out), []


def main():
    engine, model_dir, pairs_path, mode, threads, scores_out = sys.argv[1:7]
    threads = int(threads)
    pairs = read_pairs(pairs_path)
    extra = {}
    if engine.startswith("torch-"):
        seconds, tokens, scores = run_torch(model_dir, pairs, mode, threads, engine == "torch-bf16")
    elif engine.startswith("ct2-"):
        seconds, tokens, scores, extra = run_ct2(model_dir, pairs, mode, threads,
                                                 {"ct2-fp32": "float32", "ct2-int8": "int8"}[engine])
    elif engine == "ort-fp32":
        seconds, tokens, scores = run_ort(model_dir, pairs, mode, threads)
    elif engine == "ort-int8":
        seconds, tokens, scores = run_ort(model_dir, pairs, mode, threads, "model.int8.onnx")
    elif engine == "hf-tokenizers":
        seconds, tokens, scores = run_hf_tokenizers(model_dir, pairs, mode)
    else:
        sys.exit(f"unknown engine {engine}")
    with open(scores_out, "w") as f:
        f.write("\n".join(f"{s:.6f}" for s in scores))
    print(json.dumps({"seconds": seconds, "tokens": tokens, **extra}))


if __name__ == "__main__":
    main()
