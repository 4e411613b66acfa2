"""simscore as a stage of Apache Spark: the LCQMC test set piped through `simscore score -` by
RDD.pipe, on a standalone master and worker started here (loopback only, free ports) with the binary
and the model shipped as spark-submit's --files / --archives would ship them, and in local[2] mode.
Both must give exactly what one `simscore score` process gives, row for row: simscore's scores do
not depend on which rows share a process, window or batch."""
import contextlib
import shlex
import shutil
import sys
import tarfile

import pytest

from conftest import ROOT, require_row_invariant_kernel, run

sys.path.insert(0, str(ROOT / "examples/spark"))

# PySpark's RDD.pipe starts its command with an empty environment when given no env=; the reference
# run gets the same, so both choose the same BLAS kernel.
PIPE_ENV = {}


@pytest.fixture(scope="module")
def pyspark():
    return pytest.importorskip("pyspark", reason="pyspark is absent: scripts/install_deps.sh --test "
                                                 "installs it (tests/reference/requirements.txt)")


@pytest.fixture(scope="module")
def java(pyspark):
    if shutil.which("java") is None:
        pytest.skip("Java is absent: scripts/install_deps.sh --test installs openjdk-17-jre-headless")


@pytest.fixture(scope="module")
def lcqmc(shared):
    return shared / "data/senteval_cn/LCQMC/LCQMC.test.data"


@pytest.fixture(scope="module")
def reference(simscore, default_model, lcqmc):
    """One process, two threads: the input line as it is (`a<TAB>b<TAB>label`), a tab and its score.
    The input's own lines, not `--with-input`'s echo: the echo escapes a backslash, a tab, LF or CR
    inside a field, while Spark keys each score by the raw line."""
    require_row_invariant_kernel(simscore, default_model, PIPE_ENV)
    result = run([simscore, "score", lcqmc, "--model", default_model, "--threads", "2", "-q"], env=PIPE_ENV)
    assert result.returncode == 0, result.stderr
    scores = result.stdout.splitlines()
    inputs = lcqmc.read_text(encoding="utf-8").splitlines()
    assert len(scores) == len(inputs) == 12500
    return [f"{line}\t{score}" for line, score in zip(inputs, scores)]


@contextlib.contextmanager
def spark_context(conf, tmp_path, monkeypatch):
    from pyspark import SparkContext

    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    conf = (conf.setAppName("simscore e2e")
            .set("spark.ui.enabled", "false")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.local.dir", str(tmp_path / "spark-local"))
            .set("spark.pyspark.python", sys.executable)
            .set("spark.pyspark.driver.python", sys.executable))
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    try:
        yield sc
    finally:
        sc.stop()


def first_mismatch(got, expected):
    for i, (g, e) in enumerate(zip(got, expected)):
        if g != e:
            return f"row {i}: got {g!r}, one process gave {e!r}"
    return f"{len(got)} rows against {len(expected)}"


def test_standalone_cluster_with_shipped_binary_and_model(tmp_path, monkeypatch, java, simscore, default_model,
                                                          lcqmc, reference):
    from pyspark import SparkConf
    from score_pairs import score_lines, simscore_command
    from standalone_cluster import StandaloneCluster

    # What `spark-submit --files build/cli/simscore --archives model.tar#model` ships, as
    # examples/spark/score_pairs.py says: the binary (Spark makes files it fetches executable;
    # archives lose their mode bits) and the model folder (`tar -cf model.tar -C models NAME`).
    model_tar = tmp_path / "model.tar"
    with tarfile.open(model_tar, "w") as tar:
        tar.add(default_model, arcname=default_model.name)
    with StandaloneCluster(cores=2, memory="2g", work_dir=tmp_path / "standalone") as cluster:
        conf = (SparkConf().setMaster(cluster.master_url)
                .set("spark.executor.cores", "2").set("spark.task.cpus", "1").set("spark.cores.max", "2")
                .set("spark.executor.memory", "1g")
                .set("spark.files", str(simscore)).set("spark.archives", f"{model_tar}#model"))
        with spark_context(conf, tmp_path, monkeypatch) as sc:
            lines = sc.textFile(str(lcqmc), minPartitions=4)
            assert lines.getNumPartitions() >= 4
            # Executors start tasks in their working folder, where the shipped files are.
            command = simscore_command("./simscore", f"./model/{default_model.name}", threads=1,
                                       max_memory="256M")
            joined = score_lines(lines, command).sortByKey().values().collect()
    got = [f"{line}\t{score}" for line, score in joined]
    assert got == reference, first_mismatch(got, reference)


def test_local_mode_pipe_keeps_rows_in_order_and_fails_on_a_bad_row(tmp_path, monkeypatch, java, simscore,
                                                                  default_model, lcqmc, reference):
    from pyspark import SparkConf

    command = shlex.join([str(simscore), "score", "-", "--model", str(default_model), "--with-input",
                          "--threads", "1", "-q"])
    with spark_context(SparkConf().setMaster("local[2]"), tmp_path, monkeypatch) as sc:
        lines = sc.textFile(str(lcqmc), minPartitions=3)
        # No join needed: each partition's output is one line per input line, in order.
        got = lines.pipe(command, checkCode=True).collect()
        # --with-input echoes each field with a backslash written as \\ (TSV fields hold no tab,
        # LF or CR), then the score.
        echoed = ["\t".join(field.replace("\\", "\\\\") for field in row.split("\t")) for row in reference]
        assert got == echoed, first_mismatch(got, echoed)

        # A malformed row fails its task with simscore's exit code (3: input), not a short output.
        with pytest.raises(Exception, match="exited with error code 3"):
            sc.parallelize(["a\tb", "only one column"], 1).pipe(command, checkCode=True).collect()
        # Under --on-error skip the row stays, with an empty score.
        skipping = sc.parallelize(["a\tb", "only one column"], 1).pipe(command + " --on-error skip",
                                                                      checkCode=True).collect()
        assert len(skipping) == 2 and skipping[1] == "only one column\t"
