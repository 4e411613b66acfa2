"""Shared fixtures of the end-to-end tests: the simscore binary, the shared data, the default model."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def simscore():
    path = os.environ.get("SIMSCORE_BINARY", str(ROOT / "build/cli/simscore"))
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: build first")
    return path


@pytest.fixture(scope="session")
def shared():
    path = pathlib.Path(os.environ.get("SIMSCORE_SHARED", ROOT.parent / "shared"))
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the shared data folder is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def default_model():
    path = pathlib.Path(os.environ.get("SIMSCORE_DEFAULT_MODEL", ROOT / "models/all-MiniLM-L6-v2"))
    if not (path / "model.safetensors").exists():
        pytest.skip(f"{path} is absent: run scripts/fetch_default_model.sh")
    return path


def lcqmc_test_lines(shared, count):
    """The first `count` rows of the real LCQMC test split (a, b, label), as lines without their newline."""
    with open(shared / "data/senteval_cn/LCQMC/LCQMC.test.data", encoding="utf-8") as f:
        return [line.rstrip("\n") for _, line in zip(range(count), f)]


def write_lcqmc_pairs(tmp_path_factory, shared, count):
    """A file of the first `count` LCQMC test rows, in a fresh temporary folder."""
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text("".join(line + "\n" for line in lcqmc_test_lines(shared, count)), encoding="utf-8")
    return path


def run(cmd, **kwargs):
    """Runs a command, returning the CompletedProcess (text mode)."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)


# OpenBLAS kernels whose result for a row does not depend on how many rows share the product (checked
# for every row count from 4 to 2,100 at MiniLM's shapes). With its AVX2 kernels (Haswell, Zen) the
# last rows of a product are summed in another order, so a score can change in its last bit with
# the batch its row lands in: then sharded or partitioned runs are not byte-identical to one process.
# oneDNN's kernels (the default backend) are row-invariant, and a bi-encoder without a pooler runs
# no OpenBLAS product at all.
ROW_INVARIANT_KERNELS = ("SkylakeX", "Cooperlake", "SapphireRapids")


def require_row_invariant_kernel(simscore, model, env):
    """Skips the calling test unless simscore, run with `env` on the bi-encoder `model`, multiplies
    with oneDNN or a row-invariant OpenBLAS kernel (docs/scale-out.md)."""
    result = run([simscore, "score", "-", "--model", model, "--verbose"], input="a\tb\n", env=env)
    assert result.returncode == 0, result.stderr
    kernel = next((line for line in result.stderr.splitlines() if line.startswith("gemm kernel")), "")
    backend = kernel.removeprefix("gemm kernel").strip().split(";")[0]
    if not (backend.startswith("oneDNN") or any(f"({name})" in backend for name in ROW_INVARIANT_KERNELS)):
        pytest.skip(f"scores are byte-identical across batch compositions only with oneDNN or OpenBLAS's "
                    f"AVX-512 kernels; this run uses: {kernel or result.stderr}")


def environment_without_coretype():
    """This process's environment less OPENBLAS_CORETYPE, so simscore chooses its kernel itself."""
    return {name: value for name, value in os.environ.items() if name != "OPENBLAS_CORETYPE"}
