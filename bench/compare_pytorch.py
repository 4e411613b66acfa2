#!/usr/bin/env python3
"""simscore against PyTorch + sentence-transformers / transformers on the same pairs, in one run.

Each engine runs in its own child process so that its peak RSS (the kernel's high-water mark,
ru_maxrss from wait4) is measured the same way for both. Prints pairs/s, peak RSS and the ratios.
Absolute numbers on a shared machine are noise; compare the ratios within one run.

  bench/compare_pytorch.py --pairs ../shared/data/senteval_cn/LCQMC/LCQMC.test.data \
      --model models/all-MiniLM-L6-v2 [--limit 2000] [--threads 2]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

REFERENCE = r'''
import sys, time, torch
model_dir, pairs_path, mode, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
pairs = [line.rstrip("\n").split("\t")[:2] for line in open(pairs_path, encoding="utf-8")]
start = time.perf_counter()
if mode == "bi":
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(model_dir, device="cpu")
    texts = list(dict.fromkeys(t for p in pairs for t in p))
    emb = model.encode(texts, batch_size=32, convert_to_tensor=True, normalize_embeddings=True)
    index = {t: i for i, t in enumerate(texts)}
    a = emb[[index[p[0]] for p in pairs]]
    b = emb[[index[p[1]] for p in pairs]]
    scores = (a * b).sum(-1)
else:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    scores = [0.0] * len(pairs)
    with torch.inference_mode():
        for s in range(0, len(order), 8):
            idx = order[s:s + 8]
            enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                      truncation="longest_first", return_tensors="pt")
            probs = model(**enc).logits.softmax(-1)[:, -1]
            for i, p in zip(idx, probs.tolist()):
                scores[i] = p
elapsed = time.perf_counter() - start
print(f"{elapsed:.6f}")
'''


def peak_rss_mib(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS in MiB from wait4, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd[:3])} failed: {err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--mode", choices=["bi", "cross"], default="bi")
    ap.add_argument("--limit", type=int, default=0, help="first N pairs only")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--simscore", default="build/cli/simscore")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pairs_path = os.path.join(tmp, "pairs.tsv")
        with open(args.pairs, encoding="utf-8") as src, open(pairs_path, "w", encoding="utf-8") as dst:
            for n, line in enumerate(src):
                if args.limit and n >= args.limit:
                    break
                dst.write("\t".join(line.rstrip("\n").split("\t")[:2]) + "\n")
        n_pairs = sum(1 for _ in open(pairs_path, encoding="utf-8"))
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), TOKENIZERS_PARALLELISM="false",
                   HF_HUB_OFFLINE="1")
        ref_script = os.path.join(tmp, "reference.py")
        open(ref_script, "w").write(REFERENCE)

        rows = []
        wall, rss, out = peak_rss_mib([args.python, ref_script, args.model, pairs_path, args.mode,
                                       str(args.threads)], env)
        rows.append(("PyTorch fp32", float(out.strip()), wall, rss))
        for precision in ("fp32", "fp16"):
            wall, rss, _ = peak_rss_mib([args.simscore, "score", pairs_path, "--model", args.model,
                                         "--mode", args.mode, "--precision", precision,
                                         "--threads", str(args.threads)], env)
            rows.append((f"simscore {precision}", wall, wall, rss))

    base_rate = n_pairs / rows[0][1]
    base_rss = rows[0][3]
    print(f"{n_pairs} pairs, {args.threads} threads, model {args.model}")
    print(f"{'engine':<16} {'pairs/s':>9} {'peak RSS MiB':>13} {'speed ratio':>12} {'RSS ratio':>10}")
    for name, seconds, _, rss in rows:
        rate = n_pairs / seconds
        print(f"{name:<16} {rate:9.1f} {rss:13.0f} {rate / base_rate:11.2f}x {rss / base_rss:9.2f}x")
    print("PyTorch time excludes its process start and model load (measured inside); simscore's is the "
          "whole command (start, load, tokenize, score, write).")


if __name__ == "__main__":
    main()
