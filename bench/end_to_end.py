#!/usr/bin/env python3
"""simscore against the engines people would otherwise use, on the same pairs, in one run.

Workloads (the issue's): the real all-MiniLM-L6-v2 as a bi-encoder on LCQMC test; a
bert-base-chinese-shaped cross-encoder (12 layers, hidden 768, vocab 21128); a StructBERT-large-shaped
cross-encoder (24 layers, hidden 1024, FFN 4096, vocab 21128) on the first 2,000 LCQMC test pairs.
Shaped models get random weights (speed does not depend on their values), written by transformers'
save_pretrained under --work, never into the repository. Engines: simscore's default (--precision
auto), fp16 storage (fp32 products), bf16 and int8; PyTorch + transformers fp32 and bf16 autocast;
CTranslate2 float32 and int8 (Encoder API; each with CT2_USE_MKL=1 and =0, the faster counting);
ONNX Runtime fp32 and int8 on the exported, BERT-optimised graph. The results record the CPU's model,
its instruction-set flags and what --precision auto picks on it. Each engine runs in its own
process (peak RSS = ru_maxrss from wait4); times exclude model loading. Also: kernels_bench's matmul
rates in the same run (for "useful GFLOP/s vs the matmul rate") and tokenizer speed on one thread.

Absolute numbers on a shared 2-vCPU host drift; compare the ratios of one run.

  python3 bench/end_to_end.py --simscore build/cli/simscore --kernels-bench build/bench/kernels_bench \
      --work /tmp/simscore-bench [--limit 2000] [--workloads minilm,base,large] [--threads 2]

ctranslate2, onnxruntime and onnx come from pip (bench/requirements.txt, pinned); --pythonpath adds a
folder they were installed into (pip install --target DIR -r bench/requirements.txt).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LCQMC = os.path.join(ROOT, "..", "shared", "data", "senteval_cn", "LCQMC", "LCQMC.test.data")
ZH_TOKENIZER = os.path.join(ROOT, "..", "shared", "tokenizers", "bge-small-zh-v1.5")

WORKLOADS = {
    # name: (mode, shape or None for a real model dir, pair limit)
    "minilm": ("bi", None, None),
    "base": ("cross", dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12,
                           intermediate_size=3072), None),
    "large": ("cross", dict(num_hidden_layers=24, hidden_size=1024, num_attention_heads=16,
                            intermediate_size=4096), 2000),
}
ENGINES = ["simscore-auto", "simscore-fp16", "simscore-fp16-onednn-prepacked", "simscore-bf16", "simscore-int8", "torch-fp32", "torch-bf16",
           "ct2-fp32", "ct2-int8", "ort-fp32", "ort-int8"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def child_env(args, extra=None):
    env = dict(os.environ)
    # Measure simscore's default behaviour, not a core type someone exported.
    env.pop("OPENBLAS_CORETYPE", None)
    env["OMP_NUM_THREADS"] = str(args.threads)
    if args.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), args.pythonpath]))
    env.update(extra or {})
    return env


def run_measured(cmd, env):
    """Runs cmd; returns (wall seconds, peak RSS MiB, stdout). Exits with its stderr on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    _, status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err.decode()[-3000:]}")
    return wall, out.decode(), err.decode()


def peak_rss_of(cmd, env):
    """Runs cmd under wait4 to read its own peak RSS. Returns (wall, rss MiB, stdout, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # Read both pipes fully, then reap with wait4 (Popen.wait would discard rusage).
    import threading
    chunks = {"out": b"", "err": b""}

    def drain(name, pipe):
        chunks[name] = pipe.read()

    threads = [threading.Thread(target=drain, args=("out", proc.stdout)),
               threading.Thread(target=drain, args=("err", proc.stderr))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): "
                           f"{chunks['err'].decode()[-3000:]}")
    return wall, usage.ru_maxrss / 1024, chunks["out"].decode(), chunks["err"].decode()


PREPARE = r'''
import json, os, shutil, sys, torch
from transformers import BertConfig, BertForSequenceClassification, BertModel, AutoModel, AutoTokenizer
kind, out, shape, tokenizer_dir = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
wanted = sys.argv[5].split(",")  # the converted copies the engines asked for need: ct2, onnx
if kind == "shaped" and not os.path.exists(os.path.join(out, "model.safetensors")):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=21128, max_position_embeddings=512, num_labels=2,
                        position_embedding_type="absolute", **shape)  # CTranslate2 reads the last
    BertForSequenceClassification(config).eval().save_pretrained(out, safe_serialization=True)
    for name in os.listdir(tokenizer_dir):
        if name.startswith("tokenizer") or name in ("vocab.txt", "special_tokens_map.json"):
            shutil.copy(os.path.join(tokenizer_dir, name), out)
ct2 = os.path.join(out, "ct2")
if "ct2" in wanted and not os.path.exists(ct2):
    # CTranslate2 converts a plain BertModel; the cross-encoder head is applied by engines.py.
    plain = os.path.join(out, "_bert_model")
    bert = AutoModel.from_pretrained(out)
    bert.config.position_embedding_type = getattr(bert.config, "position_embedding_type", "absolute")
    bert.save_pretrained(plain, safe_serialization=True)
    AutoTokenizer.from_pretrained(out).save_pretrained(plain)
    import ctranslate2.converters
    ctranslate2.converters.TransformersConverter(plain).convert(ct2, quantization="float16", force=True)
    shutil.rmtree(plain)
onnx_dir = os.path.join(out, "onnx")
if "onnx" in wanted and not os.path.exists(os.path.join(onnx_dir, "model.opt.onnx")):
    os.makedirs(onnx_dir, exist_ok=True)
    if kind == "shaped":
        model = BertForSequenceClassification.from_pretrained(out).eval()
        output = "logits"
    else:
        model = AutoModel.from_pretrained(out).eval()
        output = "last_hidden_state"
    class Wrap(torch.nn.Module):
        def __init__(self, m): super().__init__(); self.m = m
        def forward(self, input_ids, attention_mask, token_type_ids):
            r = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return r.logits if output == "logits" else r.last_hidden_state
    ids = torch.ones(2, 16, dtype=torch.long)
    raw = os.path.join(onnx_dir, "model.onnx")
    torch.onnx.export(Wrap(model), (ids, ids, torch.zeros_like(ids)), raw, dynamo=False,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=[output],
                      dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids"]},
                      opset_version=17)
    from onnxruntime.transformers import optimizer
    cfg = model.config
    opt = optimizer.optimize_model(raw, model_type="bert", num_heads=cfg.num_attention_heads,
                                   hidden_size=cfg.hidden_size)
    opt.save_model_to_file(os.path.join(onnx_dir, "model.opt.onnx"))
    os.remove(raw)
if "onnx" in wanted and not os.path.exists(os.path.join(onnx_dir, "model.int8.onnx")):
    # ONNX Runtime's own dynamic int8: weights per output channel (per_channel, the finer choice,
    # as simscore's), activations per tensor at run time, on the optimised graph (whose fused
    # com.microsoft operators defeat ONNX's shape inference: their outputs are float).
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(os.path.join(onnx_dir, "model.opt.onnx"), os.path.join(onnx_dir, "model.int8.onnx"),
                     per_channel=True, weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
print("ready")
'''


def prepare(args, name, shape, real_dir):
    if shape is None:
        model = os.path.join(args.work, name)
        if not os.path.exists(model):
            shutil.copytree(real_dir, model)
        kind = "real"
    else:
        model = os.path.join(args.work, name)
        os.makedirs(model, exist_ok=True)
        kind = "shaped"
    log(f"[{name}] preparing {model}")
    engines = args.engines.split(",")
    wanted = [copy for copy, prefix in (("ct2", "ct2-"), ("onnx", "ort-")) if any(e.startswith(prefix) for e in engines)]
    subprocess.run([args.python, "-c", PREPARE, kind, model, json.dumps(shape or {}), ZH_TOKENIZER, ",".join(wanted)],
                   check=True, env=child_env(args), stdout=subprocess.DEVNULL)
    return model


def sequence_lengths(model, pairs, mode):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    tok.no_padding()  # sentence-transformers' tokenizer.json pads to 128: count real tokens only
    if mode == "bi":
        tok.enable_truncation(128)
        texts = list(dict.fromkeys(t for p in pairs for t in p))
        return [len(e.ids) for e in tok.encode_batch(texts)]
    tok.enable_truncation(512)
    return [len(e.ids) for e in tok.encode_batch(pairs)]


def useful_flops(config, lengths):
    h, f, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return sum(layers * (2 * n * (4 * h * h + 2 * h * f) + 4 * n * n * h) for n in lengths)


def run_simscore(args, model, pairs_path, mode, engine, tmp):
    """engine: simscore-PRECISION[-BACKEND], BACKEND going to SIMSCORE_GEMM."""
    precision, _, backend = engine.removeprefix("simscore-").partition("-")
    out = os.path.join(tmp, f"{engine}.txt")
    report = os.path.join(tmp, f"{engine}.json")
    cmd = [args.simscore, "score", pairs_path, "--model", model, "--precision", precision,
           "--threads", str(args.threads), "--mode", mode, "--output", out, "--report", report,
           "--quiet"]
    wall, rss, _, _ = peak_rss_of(cmd, child_env(args, {"SIMSCORE_GEMM": backend} if backend else None))
    seconds = wall
    extra = {}
    if os.path.exists(report):
        r = json.load(open(report))
        seconds = r.get("throughput", {}).get("seconds", wall) or wall
        extra = {"stage_seconds": r.get("stage_seconds"), "gemm_kernel": r.get("cpu", {}).get("gemm_kernel")}
    return seconds, rss, extra


def run_engine(args, engine, model, pairs_path, mode, tmp):
    out = os.path.join(tmp, f"{engine}.txt")
    cmd = [args.python, os.path.join(HERE, "engines.py"), engine, model, pairs_path, mode,
           str(args.threads), out]
    extra_env = {"RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"} if engine == "hf-tokenizers" else {}
    if engine.startswith("ct2-"):
        # CTranslate2 uses Intel MKL by default only on Intel CPUs (CT2_USE_MKL overrides), and which
        # is faster depends on the CPU and the compute type (on an AMD EPYC: fp32 12.7x faster with
        # MKL, int8 ~9x faster without; on the Xeon int8 was 4% faster with its other
        # setting): run both, and the faster counts.
        tries = {}
        for mkl in ("1", "0"):
            wall, rss, stdout, _ = peak_rss_of(cmd, child_env(args, {**extra_env, "CT2_USE_MKL": mkl}))
            tries[mkl] = (json.loads(stdout.strip().splitlines()[-1]), rss)
        best = min(tries, key=lambda mkl: tries[mkl][0]["seconds"])
        line, rss = tries[best]
        extra = {"ct2_use_mkl": best, "seconds_by_ct2_use_mkl": {m: t[0]["seconds"] for m, t in tries.items()}}
        return line["seconds"], rss, {**extra, **({"batch": line["batch"]} if "batch" in line else {})}
    wall, rss, stdout, _ = peak_rss_of(cmd, child_env(args, extra_env))
    line = json.loads(stdout.strip().splitlines()[-1])
    return line["seconds"], rss, {"batch": line["batch"]} if "batch" in line else {}


def cpu_facts(args):
    """The CPU the figures come from: its model name, the instruction-set flags that decide which
    kernels run, and the precision simscore's --precision auto picks on it (and why)."""
    model, flags = "?", []
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "?":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = sorted(flag for flag in value.split()
                               if flag in ("avx2", "fma", "f16c") or flag.startswith(("avx512", "amx", "avx_vnni")))
    facts = {"model": model, "flags": flags, "logical_cpus": os.cpu_count()}
    inspect = subprocess.run([args.simscore, "inspect", "--model", args.minilm, "--json"], capture_output=True,
                             text=True, env=child_env(args))
    if inspect.returncode == 0:
        planned = json.loads(inspect.stdout)
        facts["simscore_auto_precision"] = planned.get("precision_reason", planned.get("precision"))
    return facts


def matmul_rates(args):
    """GFLOP/s of one bert-base layer's products (512 tokens) per kernel, from kernels_bench."""
    out = subprocess.run([args.kernels_bench, "--benchmark_filter=MatmulOneDnn/(f32|bf16)_prepacked/512/",
                          "--benchmark_format=json", "--benchmark_min_time=0.5"],
                         capture_output=True, check=True, env=child_env(args)).stdout
    rates = {}
    for precision in ("f32", "bf16"):
        flops = seconds = 0.0
        for b in json.loads(out)["benchmarks"]:
            name = b["name"]
            if f"/{precision}_prepacked/512/" not in name or "error_occurred" in b:
                continue
            _, _, _, n, k = name.split("/")[:5]
            if int(k) == 768 or (int(n) == 768 and int(k) == 3072):  # bert-base shapes
                f = 2.0 * 512 * int(n) * int(k)
                flops += f
                seconds += f / (b["GFLOP/s"] * 1e9)
        rates[precision] = flops / seconds / 1e9 if seconds else float("nan")
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simscore", default=os.path.join(ROOT, "build/cli/simscore"))
    ap.add_argument("--kernels-bench", default=os.path.join(ROOT, "build/bench/kernels_bench"))
    ap.add_argument("--work", default="/tmp/simscore-bench", help="shaped models and converted copies")
    ap.add_argument("--pairs", default=LCQMC)
    ap.add_argument("--minilm", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
    ap.add_argument("--workloads", default="minilm,base,large")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--limit", type=int, default=0, help="first N pairs of every workload (0: as the issue says)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--pythonpath", default="", help="extra folder with ctranslate2 / onnxruntime")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    with open(args.pairs, encoding="utf-8") as f:
        all_pairs = [tuple(line.rstrip("\n").split("\t")[:2]) for line in f]
    results = {"uptime_before": open("/proc/loadavg").read().split()[:3], "cpu": cpu_facts(args), "workloads": {}}
    results["matmul_gflops"] = {}
    if os.path.exists(args.kernels_bench):
        log("matmul rates (kernels_bench, bert-base layer shapes, 512 tokens) ...")
        results["matmul_gflops"] = matmul_rates(args)
    else:
        log(f"{args.kernels_bench} is missing (SIMSCORE_BUILD_BENCH=OFF): no matmul rates")

    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workloads.split(","):
            mode, shape, limit = WORKLOADS[name]
            limit = args.limit or limit
            pairs = all_pairs[:limit] if limit else all_pairs
            pairs_path = os.path.join(tmp, f"{name}.tsv")
            with open(pairs_path, "w", encoding="utf-8") as f:
                f.writelines(f"{a}\t{b}\n" for a, b in pairs)
            model = prepare(args, name, shape, args.minilm)
            config = json.load(open(os.path.join(model, "config.json")))
            flops = useful_flops(config, sequence_lengths(model, pairs, mode))
            rows = {}
            for engine in args.engines.split(","):
                log(f"[{name}] {engine} on {len(pairs)} pairs ...")
                try:
                    if engine.startswith("simscore-"):
                        seconds, rss, extra = run_simscore(args, model, pairs_path, mode, engine, tmp)
                    else:
                        seconds, rss, extra = run_engine(args, engine, model, pairs_path, mode, tmp)
                except RuntimeError as e:
                    log(f"  skipped: {e}")
                    continue
                rows[engine] = dict(pairs_per_second=len(pairs) / seconds, seconds=seconds,
                                    peak_rss_mib=rss, useful_gflops=flops / seconds / 1e9, **extra)
                log(f"  {rows[engine]['pairs_per_second']:.1f} pairs/s, {rss:.0f} MiB")
            results["workloads"][name] = {"pairs": len(pairs), "mode": mode, "rows": rows}

        if "tokenize" not in args.engines:  # tokenizer speed on the bert-base workload's file
            pairs_path = os.path.join(tmp, "tokenize.tsv")
            with open(pairs_path, "w", encoding="utf-8") as f:
                f.writelines(f"{a}\t{b}\n" for a, b in all_pairs)
            model = os.path.join(args.work, "base")
            if os.path.exists(os.path.join(model, "tokenizer.json")):
                hf_seconds, _, _ = run_engine(args, "hf-tokenizers", model, pairs_path, "cross", tmp)
                start = time.perf_counter()
                subprocess.run([args.simscore, "tokenize", pairs_path, "--model", model, "--output",
                                os.devnull], check=True, env=child_env(args), stdout=subprocess.DEVNULL)
                ours = time.perf_counter() - start
                results["tokenize"] = {"pairs": len(all_pairs), "hf_tokenizers_seconds": hf_seconds,
                                       "simscore_seconds_including_startup": ours}
    results["uptime_after"] = open("/proc/loadavg").read().split()[:3]
    print_table(results)
    if args.json:
        json.dump(results, open(args.json, "w"), indent=2)


def print_table(results):
    rates = results["matmul_gflops"]
    cpu = results["cpu"]
    print(f"CPU {cpu['model']} ({cpu['logical_cpus']} logical), flags {' '.join(cpu['flags'])}")
    if "simscore_auto_precision" in cpu:
        print(f"simscore --precision {cpu['simscore_auto_precision']}")
    print(f"load average before {' '.join(results['uptime_before'])}, after {' '.join(results['uptime_after'])}")
    if rates:
        print(f"oneDNN matmul, bert-base layer shapes at 512 tokens: fp32 {rates['f32']:.0f} GFLOP/s, "
              f"bf16 {rates['bf16']:.0f} GFLOP/s")
    for name, w in results["workloads"].items():
        rows = w["rows"]
        print(f"\n{name} ({w['mode']}, {w['pairs']} pairs)")
        print(f"  {'engine':<30} {'pairs/s':>9} {'peak RSS MiB':>13} {'useful GFLOP/s':>15}  ratios")
        for engine, r in rows.items():
            ratios = ""
            if engine.startswith("simscore-"):
                others = [e for e in rows if not e.startswith("simscore-")]
                ratios = ", ".join(f"{r['pairs_per_second'] / rows[e]['pairs_per_second']:.2f}x {e}"
                                   for e in others)
            batch = f" (batch {r['batch']})" if "batch" in r else ""
            batch += f" (CT2_USE_MKL={r['ct2_use_mkl']})" if "ct2_use_mkl" in r else ""
            print(f"  {engine + batch:<30} {r['pairs_per_second']:9.1f} {r['peak_rss_mib']:13.0f} "
                  f"{r['useful_gflops']:15.1f}  {ratios}")
    if "tokenize" in results:
        t = results["tokenize"]
        print(f"\ntokenize {t['pairs']} LCQMC pairs on one thread: HF tokenizers {t['hf_tokenizers_seconds']:.2f} s, "
              f"simscore {t['simscore_seconds_including_startup']:.2f} s (process start included)")


if __name__ == "__main__":
    main()
