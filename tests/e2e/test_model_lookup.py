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


def test_refs_main_cannot_lead_out_of_the_cache(simscore, default_model, hub, tmp_path):
    """refs/main holding a path ("../../../x") is not followed to a model outside the cache (on
    2a995c9 it loaded tmp_path/x), and a huge refs/main is called invalid, never echoed."""
    env = isolated_env(tmp_path, HF_HUB_CACHE=hub)
    (tmp_path / "x").symlink_to(default_model)  # a model outside the cache, where the ref points
    repo = hub / ("models--" + REPO_ID.replace("/", "--"))
    assert (repo / "snapshots" / "../../../x").resolve() == (tmp_path / "x").resolve()
    (repo / "refs/main").write_text("../../../x")
    for model in (REPO_ID, repo):
        result = run([simscore, "score", PAIRS, "--model", model], env=env, cwd=tmp_path)
        assert result.returncode == 4, result.stderr
        assert "refs/main is invalid" in result.stderr and result.stdout == "", result.stderr

    (repo / "refs/main").write_text("a" * (10 << 20))
    result = run([simscore, "score", PAIRS, "--model", REPO_ID], env=env, cwd=tmp_path)
    assert result.returncode == 4 and "refs/main is invalid" in result.stderr, result.stderr[:2000]
    assert len(result.stderr) < 4000


@pytest.mark.parametrize("spec", ["ORG/..", "../NAME", "ORG/.", "ORG/NAME@../x", "ORG/NAME@.."])
def test_ids_with_dot_components_are_refused(simscore, default_model, tmp_path, spec):
    """`--model ORG/..` with MODELSCOPE_CACHE named the cache's hub folder itself, which loaded when a
    model sat there (2a995c9): an id never holds ".", ".." or empty parts."""
    ms = tmp_path / "ms"
    for hub in (ms / "hub", ms / "hub/ORG", tmp_path / "hf"):
        hub.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json"):
        (ms / "hub" / name).symlink_to(default_model / name)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = isolated_env(tmp_path, MODELSCOPE_CACHE=ms, HF_HUB_CACHE=tmp_path / "hf")
    result = run([simscore, "score", PAIRS, "--model", spec], env=env, cwd=cwd)
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    if spec.startswith("ORG/"):
        assert "not a model id" in result.stderr, result.stderr


@pytest.mark.parametrize("looped", ["", "modules.json", "tokenizer.json"])
def test_symlink_loop_is_a_model_error(simscore, default_model, tmp_path, looped):
    """A symlink loop, as the model or as a file in it, is a model that cannot be read (exit 4,
    naming it), not a raw `filesystem error` with exit 5."""
    env = isolated_env(tmp_path, HF_HUB_CACHE=tmp_path / "hf")
    if looped:
        model = tmp_path / "model"
        model.mkdir()
        for path in default_model.iterdir():
            (model / path.name).symlink_to(path)
        (model / looped).unlink()
        (model / looped).symlink_to(looped)
        specs = [model]
    else:
        (tmp_path / "loop").symlink_to("loop")
        specs = ["loop", "loop/x"]
    for spec in specs:
        result = run([simscore, "score", PAIRS, "--model", spec], env=env, cwd=tmp_path)
        assert result.returncode == 4, result.stderr
        assert (looped or "loop") in result.stderr and "filesystem error" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["score", "eval", "inspect", "tokenize", "convert"])
def test_empty_model_is_a_usage_error(simscore, tmp_path, command):
    """`--model ''` ran the default model (2a995c9); now every --model refuses an empty value."""
    extra = {"score": [PAIRS], "eval": [PAIRS], "tokenize": [PAIRS], "convert": [tmp_path / "out"],
             "inspect": []}[command]
    result = run([simscore, command, *extra, "--model", ""], env=isolated_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "--model" in result.stderr and "empty" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
