#!/usr/bin/env python3
"""Where simscore's memory goes, and whether budgets hold (the batching issue's checks), with
PyTorch + transformers (fp32, sorted, batch 8: the seed system's dynamic batching) on the same data
in the same run. Peak RSS of every run is the kernel's high-water mark (ru_maxrss from wait4, what
/usr/bin/time -v reports). Not a CI test: writing the large model and running it takes minutes.

  python3 bench/memory.py --simscore build/cli/simscore --work /tmp/simscore-memory \
      [--pairs N] [--budgets 1G,900M,800M,750M,700M] [--stream-rows 200000]

Prints, as a table:
  1. the report's peak RSS against the external measurement (must agree within 5%);
  2. LCQMC test at the default budget: padding efficiency (real / computed tokens; packed batches
     compute none) and what a padding batcher (batch x longest) would have computed;
  3. flat memory: 200,000 streamed pairs (LCQMC rows repeated and shuffled) against 10,000;
  4. a StructBERT-large-shaped cross-encoder (24 layers, hidden 1024, FFN 4096, vocab 21128, random
     weights saved fp32 by transformers): fp16 against fp32 peak, and --max-memory from 1G down to
     the smallest that fits (peak must stay under each), then a refusal below it;
  5. PyTorch fp32 on the same pairs, peak RSS and the ratio.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1024 * 1024

TORCH_SCRIPT = r'''
import sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
model_dir, pairs_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(int(sys.argv[3]))
pairs = [l.rstrip("\n").split("\t")[:2] for l in open(pairs_path, encoding="utf-8")]
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
with torch.inference_mode():
    for s in range(0, len(order), 8):
        idx = order[s:s + 8]
        enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                  truncation="longest_first", max_length=512, return_tensors="pt")
        model(**enc).logits.softmax(-1)
'''


def measured(cmd, stdin=None):
    """(exit code, peak RSS bytes, stderr) of a command."""
    proc = subprocess.Popen([str(c) for c in cmd], stdin=stdin, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024, err


def score(args, model, pairs, *flags, stdin=None):
    report = os.path.join(args.work, "report.json")
    if os.path.exists(report):
        os.remove(report)
    code, peak, err = measured([args.simscore, "score", pairs, "--model", model, "--quiet",
                                "--report", report, *flags], stdin=stdin)
    r = json.load(open(report)) if code == 0 else None
    return code, peak, err, r


def write_pairs(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines("\t".join(r[:2]) + "\n" for r in rows)


MAKE_LARGE = r'''
import sys, torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
path, tokenizer_json = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
config = BertConfig(vocab_size=21128, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                    intermediate_size=4096, max_position_embeddings=512, num_labels=2)
BertForSequenceClassification(config).save_pretrained(path)
tok = BertTokenizerFast(tokenizer_file=tokenizer_json)
tok.model_max_length = 512
tok.save_pretrained(path)
'''


def large_model(args):
    # Written by a child process: Linux keeps a process's RSS high-water mark across fork and exec,
    # so a parent that once held the model would inflate every later child's measured peak.
    path = os.path.join(args.work, "structbert-large-shaped")
    if not os.path.exists(os.path.join(path, "model.safetensors")):
        subprocess.run([sys.executable, "-c", MAKE_LARGE, path,
                        os.path.join(args.shared, "tokenizers/bge-small-zh-v1.5/tokenizer.json")], check=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simscore", default=os.path.join(ROOT, "build/cli/simscore"))
    ap.add_argument("--minilm", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "simscore-memory"))
    ap.add_argument("--pairs", type=int, default=0, help="large-model runs: first N LCQMC pairs (0: all)")
    ap.add_argument("--budgets", default="1G,900M,800M,750M,720M,700M,680M")
    ap.add_argument("--stream-rows", type=int, default=200000)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--skip-torch", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    rows = [l.rstrip("\n").split("\t") for l in
            open(os.path.join(args.shared, "data/senteval_cn/LCQMC/LCQMC.test.data"), encoding="utf-8")]
    lcqmc = os.path.join(args.work, "lcqmc.tsv")
    write_pairs(lcqmc, rows)
    table = []

    # 1 + 2: MiniLM on LCQMC test at the default settings.
    code, peak, err, r = score(args, args.minilm, lcqmc)
    assert code == 0, err
    b = r["batching"]
    table.append(("report peak vs wait4 peak (MiniLM, LCQMC)",
                  f"{r['memory']['peak_rss_bytes'] / MiB:.1f} vs {peak / MiB:.1f} MiB "
                  f"({abs(r['memory']['peak_rss_bytes'] - peak) / peak * 100:.2f}% apart)"))
    table.append(("padding efficiency, LCQMC test, default budget",
                  f"{b['padding_efficiency']:.3f} (packed; a padding batcher would compute "
                  f"{b['padded_tokens_if_padded']} tokens for {b['real_tokens']} real: "
                  f"{b['real_tokens'] / b['padded_tokens_if_padded']:.3f})"))

    # 3: flat memory under streaming.
    rng = random.Random(0)
    stream = [rows[rng.randrange(len(rows))] for _ in range(args.stream_rows)]
    big, small = os.path.join(args.work, "stream.tsv"), os.path.join(args.work, "stream_small.tsv")
    write_pairs(big, stream)
    write_pairs(small, stream[:10000])
    with open(small) as f:
        _, peak_small, _, _ = score(args, args.minilm, "-", stdin=f)
    with open(big) as f:
        _, peak_big, _, _ = score(args, args.minilm, "-", stdin=f)
    table.append((f"stdin stream: {args.stream_rows} vs 10000 pairs peak RSS",
                  f"{peak_big / MiB:.1f} vs {peak_small / MiB:.1f} MiB ({peak_big / peak_small:.3f}x)"))

    # 4: the large-shaped model.
    model = large_model(args)
    pairs = lcqmc
    if args.pairs:
        pairs = os.path.join(args.work, f"lcqmc_{args.pairs}.tsv")
        write_pairs(pairs, rows[:args.pairs])
    code16, peak16, err16, r16 = score(args, model, pairs, "--precision", "fp16")
    code32, peak32, err32, _ = score(args, model, pairs, "--precision", "fp32")
    assert code16 == 0 and code32 == 0, err16 + err32
    table.append(("large-shaped: fp16 vs fp32 peak RSS",
                  f"{peak16 / MiB:.1f} vs {peak32 / MiB:.1f} MiB ({peak16 / peak32:.3f}x; target <= 0.55)"))
    table.append(("large-shaped fp16 peak under 720 MiB", f"{peak16 / MiB:.1f} MiB: {'yes' if peak16 < 720 * MiB else 'NO'}"))
    for budget in args.budgets.split(","):
        code, peak, err, r = score(args, model, pairs, "--precision", "fp16", "--max-memory", budget)
        if code == 0:
            limit = r["memory"]["budget_bytes"]
            table.append((f"--max-memory {budget}", f"peak {peak / MiB:.1f} MiB, "
                          f"{'under' if peak <= limit else 'OVER'} the budget; batch "
                          f"{r['batching']['max_batch_tokens']} tokens"))
        else:
            table.append((f"--max-memory {budget}", f"refused (exit {code}): {err.strip().splitlines()[-1][:150]}"))

    # 5: PyTorch fp32, the seed's batching, on the same pairs.
    if not args.skip_torch:
        script = os.path.join(args.work, "torch_run.py")
        open(script, "w").write(TORCH_SCRIPT)
        code, peak_torch, err = measured([sys.executable, script, model, pairs, args.threads])
        assert code == 0, err
        table.append(("PyTorch fp32 (sorted, batch 8) peak RSS",
                      f"{peak_torch / MiB:.1f} MiB; simscore fp16 is {peak16 / peak_torch:.3f}x of it"))

    width = max(len(k) for k, _ in table)
    for k, v in table:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
