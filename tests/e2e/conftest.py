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


def run(cmd, **kwargs):
    """Runs a command, returning the CompletedProcess (text mode)."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
