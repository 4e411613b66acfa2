"""Scores a TSV pair file with simscore as a stage of a Spark job.

Each partition is piped through one `simscore score -` process (RDD.pipe): simscore writes exactly
one line per input line, in order, and with `--id` each line carries the row's number, which the job
joins back to the input. Output: text files of `input line<TAB>score`, in input order.

Run it (a standalone cluster for trying: `python3 examples/spark/standalone_cluster.py`):

    # simscore and the model at the same path on every node (a shared file system, or one image):
    spark-submit --master spark://HOST:7077 \\
        --conf spark.executor.cores=2 --conf spark.task.cpus=1 \\
        examples/spark/score_pairs.py --simscore /opt/simscore/bin/simscore \\
        --model /opt/simscore/models/all-MiniLM-L6-v2 --threads 1 --max-memory 256M \\
        pairs.tsv scores/

    # or shipped with the job: the binary as a file, the model directory as an archive
    #   tar -cf model.tar -C models all-MiniLM-L6-v2
    spark-submit --master spark://HOST:7077 \\
        --files build/cli/simscore --archives model.tar#model \\
        examples/spark/score_pairs.py --simscore ./simscore \\
        --model ./model/all-MiniLM-L6-v2 pairs.tsv scores/

What matters:

- Shipping. `--files` and `--archives FILE#NAME` put their content in each executor's working
  folder, which is where the tasks' processes start, so relative paths such as `./simscore` work on
  executors (standalone, YARN, Kubernetes) but not in `local[*]` mode, where the driver runs the
  tasks: use absolute paths there. Ship the binary with `--files` (Spark makes the files it fetches
  executable; Spark 4 unpacks archives without their mode bits) and the model folder with
  `--archives`. The binary is linked against the Debian packages docs/development.md
  "Dependencies" lists (OpenBLAS, oneDNN, ICU, SentencePiece, ...): executors need the same
  libraries, i.e. the same image. An fp16 copy of the model (`simscore convert --precision fp16`)
  halves what is shipped and is mapped in place.
- Cores. Spark runs spark.executor.cores / spark.task.cpus tasks at once per executor, each one a
  simscore process: give it `--threads` = spark.task.cpus. Without `--threads` every process
  starts one thread per CPU of the machine and concurrent tasks fight over them.
- Memory. simscore is outside the JVM: its resident memory counts against the executor's
  memory overhead (spark.executor.memoryOverhead on YARN and Kubernetes), not spark.executor.memory.
  `--max-memory` caps each process (batches and windows are sized to fit; refused at start, exit 5,
  when the model cannot fit), so the overhead to allow is about (executor cores / task cpus) x
  `--max-memory`, plus the Python workers'.
- PySpark's RDD.pipe starts the command with an empty environment unless `env=` is given:
  no PATH, no SIMSCORE_MODEL, no OMP_NUM_THREADS. Pass the binary's path and `--model` explicitly.
- Failures. `checkCode=True` turns a non-zero exit (3: a malformed row, 4: a bad model, 5: memory
  budget; docs/usage.md "Exit codes") into a failed task; without it a failing process just
  yields fewer lines. `--on-error skip` scores the good rows and leaves an empty score for a bad
  one.
- Partitions. Each task loads the model once (a fraction of a second for MiniLM, seconds for
  large models); partitions of tens of thousands of rows amortise it.
"""
import argparse
import shlex


def simscore_command(simscore, model, threads=1, max_memory=None, window=None, on_error="fail",
                     text_a=1, text_b=2):
    """The command each task runs: rows arrive as `number<TAB>input line`, and leave as
    `number<TAB>score` (`--id 1`, the text columns shifted by one)."""
    argv = [simscore, "score", "-", "--model", model, "--quiet", "--threads", str(threads),
            "--id", "1", "--text-a", str(text_a + 1), "--text-b", str(text_b + 1),
            "--on-error", on_error]
    if max_memory:
        argv += ["--max-memory", max_memory]
    if window:
        argv += ["--window", str(window)]
    return shlex.join(argv)


def score_lines(lines, command, env=None):
    """lines: an RDD of input lines. Returns an RDD of (row number, (line, score text)); the score
    text is empty for a row skipped under --on-error skip."""
    numbered = lines.zipWithIndex().map(lambda pair: (pair[1], pair[0]))

    def parse(output_line):
        number, score = output_line.split("\t", 1)
        return int(number), score

    scores = (numbered.map(lambda pair: f"{pair[0]}\t{pair[1]}")
              .pipe(command, env=env, checkCode=True)
              .map(parse))
    return numbered.join(scores)


def main():
    parser = argparse.ArgumentParser(description="Score a TSV pair file with simscore on Spark")
    parser.add_argument("input", help="pair file (TSV: text a, text b, anything else)")
    parser.add_argument("output", help="output folder: lines of `input line<TAB>score`, in order")
    parser.add_argument("--simscore", required=True, help="the simscore binary, as executors see it")
    parser.add_argument("--model", required=True, help="the model directory, as executors see it")
    parser.add_argument("--threads", type=int, default=1, help="per task: spark.task.cpus")
    parser.add_argument("--max-memory", help="per task, e.g. 256M")
    parser.add_argument("--window", type=int)
    parser.add_argument("--on-error", choices=["fail", "skip"], default="fail")
    parser.add_argument("--partitions", type=int, help="minimum input partitions")
    args = parser.parse_args()

    from pyspark import SparkConf, SparkContext

    sc = SparkContext.getOrCreate(SparkConf().setAppName("simscore score"))
    command = simscore_command(args.simscore, args.model, args.threads, args.max_memory,
                               args.window, args.on_error)
    lines = sc.textFile(args.input, minPartitions=args.partitions)
    scored = score_lines(lines, command)
    # sortByKey range-partitions by row number, so the part files hold the rows in input order.
    scored.sortByKey().map(lambda pair: f"{pair[1][0]}\t{pair[1][1]}").saveAsTextFile(args.output)
    sc.stop()


if __name__ == "__main__":
    main()
