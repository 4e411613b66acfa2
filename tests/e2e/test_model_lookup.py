"""Models where users keep them: the HuggingFace hub cache (laid out as huggingface_hub lays it out,
files as relative symlinks into blobs/), ModelScope's cache, a cache repo folder given as a path,
`convert` from a snapshot, and the default model found beside the executable."""
import hashlib
import json
import os
import pathlib
import shutil

import pytest

from conftest import ROOT, run

REPO_ID = "sentence-transformers/all-MiniLM-L6-v2"
COMMIT = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
PAIRS = ROOT / "examples/pairs.tsv"


def isolated_env(tmp_path, **variables):
    """This process's environment with every cache variable pointing into tmp_path (so the machine's
    real caches are never consulted) and no $SIMSCORE_MODEL."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SIMSCORE_MODEL", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME",
                        "XDG_CACHE_HOME", "MODELSCOPE_CACHE")}
    env["HOME"] = str(tmp_path / "home")
    env.update({k: str(v) for k, v in variables.items()})
    return env


def blob_name(data, large):
    """The name huggingface_hub gives a blob: its etag, the sha256 for an LFS file, else git's blob
    sha1."""
    if large:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def make_hub_cache(hub, model_dir):
    """models--ORG--NAME/{blobs,refs/main,snapshots/COMMIT} with relative symlinks, as
    huggingface_hub's snapshot_download leaves it."""
    repo = hub / ("models--" + REPO_ID.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs/main").write_text(COMMIT)  # huggingface_hub writes the hash without a newline
    snapshot = repo / "snapshots" / COMMIT
    for source in sorted(model_dir.rglob("*")):
        if not source.is_file() or source.name.startswith("."):
            continue
        data = source.read_bytes()
        blob = repo / "blobs" / blob_name(data, source.suffix == ".safetensors")
        blob.write_bytes(data)
        link = snapshot / source.relative_to(model_dir)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return repo


@pytest.fixture()
def hub(tmp_path, default_model):
    hub = tmp_path / "hub"
    make_hub_cache(hub, default_model)
    return hub


def scores(simscore, model, env, *extra):
    result = run([simscore, "score", PAIRS, "--model", model, *extra], env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_layout_is_what_huggingface_hub_reads(hub):
    huggingface_hub = pytest.importorskip("huggingface_hub")
    path = huggingface_hub.try_to_load_from_cache(REPO_ID, "1_Pooling/config.json", cache_dir=hub)
    assert path and pathlib.Path(path).resolve().parent.name == "blobs"
    info = huggingface_hub.scan_cache_dir(hub)
    assert [r.repo_id for r in info.repos] == [REPO_ID]
    assert [r.commit_hash for r in next(iter(info.repos)).revisions] == [COMMIT]


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HF_HOME", "HOME"])
def test_model_id_scores_like_the_plain_directory(simscore, default_model, hub, tmp_path, variable):
    if variable == "HF_HUB_CACHE":
        env = isolated_env(tmp_path, HF_HUB_CACHE=hub)
    elif variable == "HF_HOME":
        (tmp_path / "hf_home").mkdir()
        (tmp_path / "hf_home/hub").symlink_to(hub)
        env = isolated_env(tmp_path, HF_HOME=tmp_path / "hf_home")
    else:
        (tmp_path / "home/.cache/huggingface").mkdir(parents=True)
        (tmp_path / "home/.cache/huggingface/hub").symlink_to(hub)
        env = isolated_env(tmp_path)
    expected = scores(simscore, default_model, env)
    assert scores(simscore, REPO_ID, env, "--report", tmp_path / "report.json") == expected
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["model"]["name"] == REPO_ID
    assert report["model"]["path"].endswith("snapshots/" + COMMIT)


def test_revision_repo_folder_and_snapshot(simscore, default_model, hub, tmp_path):
    env = isolated_env(tmp_path, HF_HUB_CACHE=hub)
    expected = scores(simscore, default_model, env)
    repo = hub / ("models--" + REPO_ID.replace("/", "--"))
    assert scores(simscore, f"{REPO_ID}@main", env) == expected
    assert scores(simscore, f"{REPO_ID}@{COMMIT}", env) == expected
    assert scores(simscore, repo, env) == expected
    assert scores(simscore, f"{repo}/", env) == expected
    verbose = run([simscore, "score", PAIRS, "--model", repo / "snapshots" / COMMIT, "-v"], env=env)
    assert verbose.returncode == 0, verbose.stderr
    assert f"model        {REPO_ID} in " in verbose.stderr

    snapshots = run([simscore, "score", PAIRS, "--model", repo / "snapshots"], env=env)
    assert snapshots.returncode == 4 and COMMIT in snapshots.stderr, snapshots.stderr

    missing = run([simscore, "score", PAIRS, "--model", f"{REPO_ID}@v9"], env=env)
    assert missing.returncode == 4
    assert "no refs/v9 and no snapshots/v9" in missing.stderr and COMMIT in missing.stderr
    (repo / "refs/main").unlink()
    no_ref = run([simscore, "score", PAIRS, "--model", repo], env=env)
    assert no_ref.returncode == 4
    assert "snapshots/" in no_ref.stderr and COMMIT in no_ref.stderr, no_ref.stderr


def test_unknown_id_lists_every_place_looked(simscore, tmp_path):
    env = isolated_env(tmp_path, HF_HUB_CACHE=tmp_path / "hf", MODELSCOPE_CACHE=tmp_path / "ms")
    result = run([simscore, "score", PAIRS, "--model", "no-org/no-model"], env=env, cwd=tmp_path)
    assert result.returncode == 4
    for place in [tmp_path / "hf/models--no-org--no-model", tmp_path / "ms/hub/models/no-org/no-model",
                  tmp_path / "ms/no-org/no-model", tmp_path / "home/.cache/huggingface/hub",
                  tmp_path / "home/.cache/modelscope/hub/no-org/no-model"]:
        assert str(place) in result.stderr, result.stderr
    assert "nothing is downloaded" in result.stderr and "snapshots/" in result.stderr


@pytest.mark.parametrize("layout", ["hub/ORG/NAME", "hub/models/ORG/NAME"])
def test_modelscope_cache_both_layouts(simscore, default_model, tmp_path, layout):
    env = isolated_env(tmp_path, MODELSCOPE_CACHE=tmp_path / "modelscope")
    target = tmp_path / "modelscope" / layout.replace("ORG/NAME", REPO_ID)
    target.parent.mkdir(parents=True)
    target.symlink_to(default_model)
    expected = scores(simscore, default_model, env)
    assert scores(simscore, REPO_ID, env, "--report", tmp_path / "report.json") == expected
    assert json.loads((tmp_path / "report.json").read_text())["model"]["name"] == REPO_ID


def test_convert_from_a_snapshot_copies_the_link_targets(simscore, default_model, hub, tmp_path):
    env = isolated_env(tmp_path, HF_HUB_CACHE=hub)
    converted = tmp_path / "converted"
    result = run([simscore, "convert", "--model", REPO_ID, converted], env=env)
    assert result.returncode == 0, result.stderr
    expected = sorted(str(p.relative_to(default_model)) for p in default_model.rglob("*")
                      if not p.name.startswith("."))
    assert sorted(str(p.relative_to(converted)) for p in converted.rglob("*")) == expected
    assert not any(p.is_symlink() for p in converted.rglob("*"))
    # fp16 matrices, as --precision fp16 stores them: the same scores, byte for byte.
    assert scores(simscore, converted, env, "--precision", "fp16") == \
        scores(simscore, default_model, env, "--precision", "fp16")


def test_default_model_beside_the_executable(simscore, default_model, tmp_path):
    env = isolated_env(tmp_path)
    expected = scores(simscore, default_model, env)
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    shutil.copy2(simscore, prefix / "bin/simscore")
    (prefix / "share/simscore/models").mkdir(parents=True)
    (prefix / "share/simscore/models/all-MiniLM-L6-v2").symlink_to(default_model)
    installed = run([prefix / "bin/simscore", "score", PAIRS], env=env, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == expected

    lonely = tmp_path / "elsewhere/simscore"
    lonely.parent.mkdir()
    shutil.copy2(simscore, lonely)
    result = run([lonely, "score", PAIRS], env=env, cwd=ROOT)
    assert result.returncode == 4
    assert str(tmp_path / "share/simscore/models/all-MiniLM-L6-v2") in result.stderr, result.stderr
    assert "$SIMSCORE_MODEL" in result.stderr

    env["SIMSCORE_MODEL"] = str(default_model)
    assert run([lonely, "score", PAIRS], env=env).stdout == expected
