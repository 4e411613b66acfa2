"""One simscore process against the same work as a Spark job, on this machine, back to back.

Starts a standalone Spark master and worker on 127.0.0.1 (examples/spark/standalone_cluster.py),
then for each round runs, alternately so a changing machine load hits both alike:

  - one process:  simscore score INPUT --threads T
  - T processes:  simscore score INPUT --shard K/T --threads 1, at once (no Spark: what splitting
    the threads into processes gains by itself)
  - the pipe stage: sc.textFile(INPUT, P partitions).pipe("simscore score - --threads 1 ...")
    with T task slots (spark.executor.cores = T, spark.task.cpus = 1): the same thread total
  - the example job (examples/spark/score_pairs.py): row numbers, pipe with --id, join back and
    sort into input order, collected on the driver

Every run uses the same --max-memory; each simscore process writes its --report, from which the
per-task peak RSS (the kernel's high-water mark, as /usr/bin/time -v reports it) is read. Rates are
rows / wall seconds of the whole run or Spark action, model loading included; Spark's own start-up
(cluster, SparkContext, first executor) is timed separately and not included. Each run's output is
checked against the one process's, row for row.

    python3 bench/spark_scaleout.py --simscore build/cli/simscore --model models/all-MiniLM-L6-v2 \\
        --input ../shared/data/senteval_cn/LCQMC/LCQMC.test.data --threads 2 --partitions 4 \\
        --max-memory 128M --rounds 3 --json /tmp/spark_scaleout.json
"""
import argparse
import json
import os
import pathlib
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples/spark"))

from score_pairs import score_lines, simscore_command  # noqa: E402
from standalone_cluster import StandaloneCluster  # noqa: E402

MiB = 1024 * 1024


def one_process(args, work):
    report = work / "one.json"
    command = [args.simscore, "score", args.input, "--model", args.model, "--threads", str(args.threads),
               "--with-input", "-q", "--report", str(report)]
    if args.max_memory:
        command += ["--max-memory", args.max_memory]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env={})
    seconds = time.monotonic() - start
    if result.returncode:
        sys.exit(f"simscore failed ({result.returncode}): {result.stderr}")
    r = json.loads(report.read_text())
    return {"seconds": seconds, "rows": r["rows"], "peak_rss_mib": r["memory"]["peak_rss_bytes"] / MiB,
            "window_rows": r["batching"]["window_rows"], "max_batch_tokens": r["batching"]["max_batch_tokens"],
            "lines": result.stdout.splitlines()}


def shard_processes(args, work):
    base = [args.simscore, "score", args.input, "--model", args.model, "--threads", "1", "--with-input", "-q"]
    if args.max_memory:
        base += ["--max-memory", args.max_memory]
    # Outputs go to files: reading one process's pipe to its end would stall the others on theirs.
    outputs = [work / f"shard{k}.txt" for k in range(args.threads)]
    start = time.monotonic()
    processes = []
    for k, output in enumerate(outputs):
        with open(output, "w") as out:
            processes.append(subprocess.Popen(
                base + ["--shard", f"{k}/{args.threads}", "--report", str(work / f"shard{k}.json")],
                stdout=out, env={}))
    if any(p.wait() for p in processes):
        sys.exit("a sharded simscore failed")
    seconds = time.monotonic() - start
    parts = [output.read_text().splitlines() for output in outputs]
    lines = [parts[i % len(parts)][i // len(parts)] for i in range(sum(map(len, parts)))]
    peaks = [json.loads((work / f"shard{k}.json").read_text())["memory"]["peak_rss_bytes"] / MiB
             for k in range(args.threads)]
    return {"seconds": seconds, "lines": lines, "peak_rss_mib": peaks}


def task_reports(folder):
    reports = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    for p in folder.glob("*.json"):
        p.unlink()
    return [{"rows": r["rows"], "seconds": r["throughput"]["seconds"],
             "peak_rss_mib": r["memory"]["peak_rss_bytes"] / MiB} for r in reports]


def pipe_stage(sc, args, reports):
    # Each task's process writes its own report: sh's $$ is the pid simscore inherits through exec.
    simscore = [args.simscore, "score", "-", "--model", args.model, "--threads", "1", "--with-input", "-q"]
    if args.max_memory:
        simscore += ["--max-memory", args.max_memory]
    inner = shlex.join(simscore) + f" --report {shlex.quote(str(reports))}/task-$$.json"
    command = shlex.join(["/bin/sh", "-c", "exec " + inner])
    start = time.monotonic()
    lines = sc.textFile(args.input, minPartitions=args.partitions).pipe(command, checkCode=True).collect()
    return {"seconds": time.monotonic() - start, "lines": lines, "tasks": task_reports(reports)}


def example_job(sc, args):
    command = simscore_command(args.simscore, args.model, threads=1, max_memory=args.max_memory)
    start = time.monotonic()
    joined = score_lines(sc.textFile(args.input, minPartitions=args.partitions), command)
    rows = joined.sortByKey().values().collect()
    return {"seconds": time.monotonic() - start, "lines": [f"{line}\t{score}" for line, score in rows]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simscore", default=str(ROOT / "build/cli/simscore"))
    parser.add_argument("--model", default=str(ROOT / "models/all-MiniLM-L6-v2"))
    parser.add_argument("--input", default=str(ROOT.parent / "shared/data/senteval_cn/LCQMC/LCQMC.test.data"))
    parser.add_argument("--threads", type=int, default=2, help="one process's threads = Spark's task slots")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--max-memory", default="128M")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write every measurement here")
    args = parser.parse_args()
    args.simscore = str(pathlib.Path(args.simscore).resolve())
    args.model = str(pathlib.Path(args.model).resolve())
    args.input = str(pathlib.Path(args.input).resolve())

    from pyspark import SparkConf, SparkContext

    work = pathlib.Path(tempfile.mkdtemp(prefix="spark-scaleout-"))
    reports = work / "reports"
    reports.mkdir()
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    results = {"settings": {k: v for k, v in vars(args).items() if k != "json"}, "rounds": []}
    start = time.monotonic()
    with StandaloneCluster(cores=args.threads, memory="4g", work_dir=work / "standalone") as cluster:
        conf = (SparkConf().setMaster(cluster.master_url).setAppName("simscore scale-out")
                .set("spark.executor.cores", str(args.threads)).set("spark.task.cpus", "1")
                .set("spark.cores.max", str(args.threads)).set("spark.executor.memory", "1g")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1").set("spark.local.dir", str(work / "local"))
                .set("spark.pyspark.python", sys.executable))
        sc = SparkContext(conf=conf)
        sc.setLogLevel("ERROR")
        try:
            sc.parallelize(range(args.threads * 4), args.threads * 4).map(lambda x: x).count()  # executors up
            results["spark_startup_seconds"] = time.monotonic() - start
            for round_number in range(args.rounds):
                one = one_process(args, work)
                shards = shard_processes(args, work)
                pipe = pipe_stage(sc, args, reports)
                job = example_job(sc, args)
                for name, run in (("sharded processes", shards), ("pipe", pipe), ("job", job)):
                    if run["lines"] != one["lines"]:
                        diff = next(i for i, (a, b) in enumerate(zip(run["lines"], one["lines"])) if a != b)
                        sys.exit(f"round {round_number}: the Spark {name} differs from one process at row {diff}")
                rows = one["rows"]
                entry = {
                    "one_process": {k: v for k, v in one.items() if k != "lines"} | {"pairs_per_second": rows / one["seconds"]},
                    "shard_processes": {"seconds": shards["seconds"], "pairs_per_second": rows / shards["seconds"],
                                        "peak_rss_mib": shards["peak_rss_mib"]},
                    "spark_pipe": {"seconds": pipe["seconds"], "pairs_per_second": rows / pipe["seconds"],
                                   "tasks": pipe["tasks"]},
                    "spark_job": {"seconds": job["seconds"], "pairs_per_second": rows / job["seconds"]},
                    "load_average": os.getloadavg(),
                }
                results["rounds"].append(entry)
                tasks = pipe["tasks"]
                print(f"round {round_number + 1}: one process {entry['one_process']['pairs_per_second']:.1f} pairs/s "
                      f"({one['seconds']:.1f} s, peak RSS {one['peak_rss_mib']:.1f} MiB); "
                      f"{args.threads} shard processes {entry['shard_processes']['pairs_per_second']:.1f} pairs/s; "
                      f"Spark pipe {entry['spark_pipe']['pairs_per_second']:.1f} pairs/s ({pipe['seconds']:.1f} s, "
                      f"{len(tasks)} tasks, peak RSS per task {min(t['peak_rss_mib'] for t in tasks):.1f}-"
                      f"{max(t['peak_rss_mib'] for t in tasks):.1f} MiB); "
                      f"example job {entry['spark_job']['pairs_per_second']:.1f} pairs/s ({job['seconds']:.1f} s); "
                      f"load {entry['load_average'][0]:.1f}", flush=True)
        finally:
            sc.stop()

    def median(path):
        return statistics.median(path(r) for r in results["rounds"])

    one_rate = median(lambda r: r["one_process"]["pairs_per_second"])
    shard_rate = median(lambda r: r["shard_processes"]["pairs_per_second"])
    pipe_rate = median(lambda r: r["spark_pipe"]["pairs_per_second"])
    job_rate = median(lambda r: r["spark_job"]["pairs_per_second"])
    results["summary"] = {"one_process_pairs_per_second": one_rate, "shard_processes_pairs_per_second": shard_rate,
                          "spark_pipe_pairs_per_second": pipe_rate,
                          "spark_job_pairs_per_second": job_rate, "pipe_over_one": pipe_rate / one_rate,
                          "job_over_one": job_rate / one_rate}
    print(f"median of {args.rounds}: one process {one_rate:.1f} pairs/s; {args.threads} shard processes "
          f"{shard_rate:.1f} ({shard_rate / one_rate:.2f}x); Spark pipe {pipe_rate:.1f} "
          f"({pipe_rate / one_rate:.2f}x); example job {job_rate:.1f} ({job_rate / one_rate:.2f}x); "
          f"Spark start-up {results['spark_startup_seconds']:.1f} s (not included)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
