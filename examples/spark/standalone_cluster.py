"""A throwaway Spark standalone cluster on this machine: one master and one worker on 127.0.0.1,
started with the `spark-class` of the pip-installed pyspark, on free ports, web UIs included (on free
ports too), no REST submission server. For trying examples/spark/score_pairs.py against a real
master, and for the tests and benchmarks that do the same.

    python3 examples/spark/standalone_cluster.py --cores 2     # prints the master URL; Ctrl-C stops it

In code:

    with StandaloneCluster(cores=2, memory="2g", work_dir=tmp) as cluster:
        sc = SparkContext(cluster.master_url, ...)
"""
import argparse
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import time


class ClusterError(RuntimeError):
    pass


def spark_home():
    import pyspark  # the pip package carries bin/spark-class and every jar

    return pathlib.Path(pyspark.__file__).resolve().parent


class StandaloneCluster:
    """Starts on __enter__, stops (master, worker and the worker's executors) on __exit__."""

    def __init__(self, cores, memory="2g", work_dir=None, timeout=120):
        self.cores = cores
        self.memory = memory
        self.work_dir = pathlib.Path(work_dir or tempfile.mkdtemp(prefix="spark-standalone-"))
        self.timeout = timeout
        self.master_url = None
        self._processes = []

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self):
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # No REST submission server (it would take the fixed port 6066); loopback only.
        properties = self.work_dir / "spark-daemon.conf"
        properties.write_text("spark.master.rest.enabled false\nspark.ui.reverseProxy false\n")
        env = dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_LOCAL_DIRS=str(self.work_dir / "local"))
        spark_class = str(spark_home() / "bin/spark-class")
        master_log = self.work_dir / "master.log"
        self._spawn([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                     "--port", "0", "--webui-port", "0", "--properties-file", str(properties)],
                    master_log, env)
        # Port 0: the master binds a free port and says which in its log.
        match = self._wait_for(master_log, r"Starting Spark master at (spark://\S+)")
        self.master_url = match.group(1)
        worker_log = self.work_dir / "worker.log"
        self._spawn([spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                     "--port", "0", "--webui-port", "0", "--cores", str(self.cores),
                     "--memory", self.memory, "--work-dir", str(self.work_dir / "work"),
                     "--properties-file", str(properties), self.master_url],
                    worker_log, env)
        self._wait_for(worker_log, r"Successfully registered with master")

    def _spawn(self, command, log_path, env):
        log = open(log_path, "w")
        # A session of its own, so stop() can end the JVM and every executor it started together.
        self._processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, env=env,
                                                start_new_session=True))
        log.close()

    def _wait_for(self, log_path, pattern):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, log_path.read_text(errors="replace"))
            if match:
                return match
            for process in self._processes:
                if process.poll() is not None:
                    raise ClusterError(f"a Spark daemon exited with {process.returncode}; "
                                       f"{log_path}:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        raise ClusterError(f"no '{pattern}' in {log_path} after {self.timeout} s")

    def stop(self):
        for process in reversed(self._processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in reversed(self._processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--memory", default="2g")
    parser.add_argument("--work-dir")
    args = parser.parse_args()
    # Ctrl-C or SIGTERM stops the cluster (a shell starts background jobs with SIGINT ignored).
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with StandaloneCluster(args.cores, args.memory, args.work_dir) as cluster:
        print(cluster.master_url, flush=True)
        print(f"logs and executor folders in {cluster.work_dir}; Ctrl-C or SIGTERM stops the cluster",
              flush=True)
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
