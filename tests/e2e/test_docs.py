"""The documentation against the program: every option each command's --help prints is in
docs/usage.md, in the man page and in the bash completion generated at build time, and the README's
examples run as written, their scores checked against sentence-transformers (the real reference)."""
import functools
import json
import math
import os
import pathlib
import re
import subprocess

import pytest

from conftest import ROOT, run
from test_model_lookup import REPO_ID, make_hub_cache

# fp16 storage (the default) keeps scores within 2e-3 of the fp32 reference (tests/cli_test.cc,
# Cli.ReadsStdinAndDefaultsToFp16; docs/performance.md "Accuracy").
SCORE_TOLERANCE = 2e-3

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def commands(simscore):
    """The subcommands `simscore --help` lists."""
    out = run([simscore, "--help"]).stdout
    section = out.split("Subcommands:", 1)[1]
    return re.findall(r"^  (\w+)\s", section, flags=re.M)


def help_options(simscore, command):
    """Every option name (-x and --long) in the OPTIONS part of `simscore COMMAND --help`."""
    result = run([simscore, command, "--help"])
    assert result.returncode == 0, result.stderr
    options_part = result.stdout.split("Options:", 1)[1].split("Examples:", 1)[0]
    names = set()
    for line in options_part.splitlines():
        # An option's line starts with its names: "  -o,--output TEXT   description".
        match = re.match(r"^  (-[^\s]+)", line)
        if match:
            names.update(n for n in match.group(1).split(",") if n.startswith("-"))
    assert names, result.stdout
    return result.stdout, sorted(names)


def mentions(text, option):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


@pytest.fixture(scope="module")
def build_dir(simscore):
    manual = pathlib.Path(simscore).resolve().parent / "manual"
    if not (manual / "simscore.1").exists():
        pytest.fail(f"{manual}/simscore.1 is missing: build the simscore_manual target")
    return manual


@pytest.fixture(scope="module")
def man_text(build_dir):
    """The man page as man renders it, else its roff source with the hyphen escapes undone."""
    try:
        rendered = subprocess.run(["man", "-l", str(build_dir / "simscore.1")], capture_output=True, text=True,
                                  env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "200"})
        if rendered.returncode == 0 and "SIMSCORE(1)" in rendered.stdout:
            return rendered.stdout
    except FileNotFoundError:
        pass
    return (build_dir / "simscore.1").read_text().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")


def test_every_help_option_is_documented_in_usage_man_page_and_completion(simscore, build_dir, man_text):
    usage = (ROOT / "docs/usage.md").read_text(encoding="utf-8")
    completion = (build_dir / "simscore.bash").read_text()
    missing = []
    names = commands(simscore)
    assert {"score", "eval", "tokenize", "convert", "inspect"} <= set(names), names
    for command in names:
        help_text, options = help_options(simscore, command)
        assert "Examples:" in help_text, f"simscore {command} --help ends with no examples"
        for option in options:
            if not mentions(usage, option):
                missing.append(f"{command} {option}: not in docs/usage.md")
            if not mentions(man_text, option):
                missing.append(f"{command} {option}: not in the man page")
            if not mentions(completion, option):
                missing.append(f"{command} {option}: not in the bash completion")
        if f"simscore {command}" not in man_text:
            missing.append(f"{command}: no section in the man page")
    assert not missing, "\n".join(missing)


def test_man_page_has_the_examples_help_prints(simscore, man_text):
    for command in commands(simscore):
        help_text, _ = help_options(simscore, command)
        examples = [line.strip() for line in help_text.split("Examples:", 1)[1].splitlines()
                    if line.startswith("  simscore ")]
        assert len(examples) >= 2, help_text
        for example in examples:
            assert example in man_text, f"{example!r} is in --help but not in the man page"


def test_completion_completes_commands_options_and_choices(build_dir):
    script = build_dir / "simscore.bash"

    def complete(*words):
        line = " ".join(f"'{w}'" for w in words)
        code = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _simscore; "
                'printf "%s\\n" "${COMPREPLY[@]}"')
        result = subprocess.run(["bash", "-c", code], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return set(result.stdout.split())

    assert {"score", "eval", "tokenize", "convert", "inspect"} <= complete("simscore", "")
    assert "--max-memory" in complete("simscore", "score", "--max-m")
    assert {"fp16", "fp32", "bf16", "int8"} <= complete("simscore", "eval", "--precision", "")
    assert complete("simscore", "score", "--on-error", "") == {"fail", "skip"}


def test_exit_codes_agree_between_usage_and_man_page(man_text):
    usage = (ROOT / "docs/usage.md").read_text(encoding="utf-8")
    table = usage.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| (\d+) \|", table, flags=re.M))
    section = man_text.split("EXIT STATUS", 1)[1].split("ENVIRONMENT", 1)[0]
    in_man = set(re.findall(r"^(?:\s+|\.B )(\d+)(?:\s|$)", section, flags=re.M))  # rendered, or roff
    header = (ROOT / "cli/exit_codes.h").read_text()
    defined = set(re.findall(r"= (\d+),", header))
    assert documented == in_man == defined, (documented, in_man, defined)


# The README's examples ----------------------------------------------------------------------------

def readme_examples():
    """(title, shell text) of every ```sh block under the README's "## Examples"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Examples\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### (.+?)\n.*?```sh\n(.*?)```", section, flags=re.M | re.S)


def test_the_two_commands_are_there():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in ("scripts/run_example.sh", "scripts/test.sh"):
        assert script in readme
        assert os.access(ROOT / script, os.X_OK), f"{script} is not executable"
    assert len(readme.splitlines()) <= 250


@pytest.fixture(scope="module")
def sentence_transformers():
    return pytest.importorskip("sentence_transformers")


@functools.lru_cache(maxsize=None)
def reference_model(sentence_transformers, model_dir):
    return sentence_transformers.SentenceTransformer(str(model_dir), device="cpu")


def reference_scores(sentence_transformers, model_dir, pairs, prompt=None):
    """sentence-transformers' cosine of each pair, fp32 (the reference the suite checks against)."""
    model = reference_model(sentence_transformers, pathlib.Path(model_dir).resolve())
    texts = sorted({t for pair in pairs for t in pair})
    embeddings = model.encode(texts, prompt=prompt, convert_to_tensor=True, normalize_embeddings=True)
    index = {t: i for i, t in enumerate(texts)}
    return [float(embeddings[index[a]] @ embeddings[index[b]]) for a, b in pairs]


def pairs_of(path, header=False):
    lines = path.read_text(encoding="utf-8").splitlines()[1 if header else 0:]
    return [tuple(line.split("\t")[:2]) for line in lines]


def assert_scores(lines, expected, what):
    assert len(lines) == len(expected), f"{what}: {len(lines)} lines for {len(expected)} rows"
    for i, (line, want) in enumerate(zip(lines, expected), 1):
        assert abs(float(line) - want) <= SCORE_TOLERANCE, f"{what} row {i}: {line} against {want}"


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory, simscore, default_model):
    """Runs every README example as written in a fresh folder laid out like the repository root
    (examples/ and models/ linked, ../shared beside it), with build/cli first on the PATH and a
    HuggingFace cache holding the default model under its id."""
    base = tmp_path_factory.mktemp("readme")
    repo = base / "repo"
    repo.mkdir()
    for name in ("examples", "models"):
        (repo / name).symlink_to(ROOT / name)
    shared = pathlib.Path(os.environ.get("SIMSCORE_SHARED", ROOT.parent / "shared"))
    if shared.is_dir():
        (base / "shared").symlink_to(shared)
    hub = base / "hub"
    make_hub_cache(hub, default_model)
    env = {k: v for k, v in os.environ.items() if k not in ("SIMSCORE_MODEL", "HF_HOME", "MODELSCOPE_CACHE")}
    env.update(PATH=f"{pathlib.Path(simscore).resolve().parent}:{env.get('PATH', '')}", HF_HUB_CACHE=str(hub),
               HOME=str(base / "home"))
    results = {}
    for title, script in readme_examples():
        # From the repository root, as the README says.
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=repo, env=env,
                                capture_output=True, text=True, timeout=300)
        results[title] = (script, result, repo)
    return results


def example(examples_run, word):
    found = [title for title in examples_run if word.lower() in title.lower()]
    assert len(found) == 1, f"README examples: expected one titled with {word!r}, got {list(examples_run)}"
    script, result, repo = examples_run[found[0]]
    assert result.returncode == 0, f"{script}\nexit {result.returncode}\n{result.stderr}"
    return script, result, repo


def test_readme_has_the_five_examples():
    titles = [title for title, _ in readme_examples()]
    assert len(titles) == 5, titles
    for script in (s for _, s in readme_examples()):
        assert "simscore " in script


def test_readme_example_score(examples_run, sentence_transformers, default_model):
    _, result, repo = example(examples_run, "Score a file")
    expected = reference_scores(sentence_transformers, default_model, pairs_of(repo / "examples/pairs.tsv"))
    assert_scores(result.stdout.splitlines(), expected, "simscore score examples/pairs.tsv")


def test_readme_example_eval_with_html(examples_run, sentence_transformers, default_model):
    from scipy.stats import pearsonr
    from sklearn.metrics import roc_auc_score

    _, result, repo = example(examples_run, "Evaluate")
    lines = (repo / "examples/labelled.tsv").read_text(encoding="utf-8").splitlines()[1:]
    pairs = [tuple(line.split("\t")[:2]) for line in lines]
    labels = [float(line.split("\t")[2]) for line in lines]
    expected = reference_scores(sentence_transformers, default_model, pairs)
    metrics = dict(line.split(None, 1) for line in result.stdout.splitlines() if len(line.split(None, 1)) == 2)
    assert metrics["pairs"].split()[0] == str(len(pairs))
    assert abs(float(metrics["pearson"]) - pearsonr(expected, labels).statistic) <= SCORE_TOLERANCE
    # ROC-AUC depends on the order of the scores only: equal wherever no two scores are closer than
    # the tolerance could swap.
    gaps = sorted(abs(a - b) for i, a in enumerate(expected) for b in expected[i + 1:])
    if gaps[0] > 2 * SCORE_TOLERANCE:
        assert math.isclose(float(metrics["roc_auc"]), roc_auc_score(labels, expected), abs_tol=1e-9)
    page = (repo / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 4 and "<script" not in page


def test_readme_example_model_id_from_the_cache(examples_run, sentence_transformers, default_model):
    script, result, repo = example(examples_run, "model id")
    assert REPO_ID in script
    expected = reference_scores(sentence_transformers, default_model, pairs_of(repo / "examples/pairs.tsv"))
    assert_scores(result.stdout.splitlines(), expected, script)


def test_readme_example_chinese_model(examples_run, sentence_transformers):
    e5 = ROOT / "models/multilingual-e5-small"
    if not (e5 / "model.safetensors").exists():
        pytest.skip(f"{e5} is absent (scripts/fetch_chinese_model.sh): the Chinese example cannot run")
    script, result, repo = example(examples_run, "Chinese")
    prompts = json.loads((e5 / "config_sentence_transformers.json").read_text())
    prompt = prompts["prompts"][prompts["default_prompt_name"]]
    expected = reference_scores(sentence_transformers, e5, pairs_of(repo / "examples/pairs_zh.tsv"), prompt=prompt)
    assert_scores(result.stdout.splitlines(), expected, script)


def test_readme_example_shards(examples_run, sentence_transformers, default_model):
    script, result, repo = example(examples_run, "shards")
    assert "--shard" in script
    expected = reference_scores(sentence_transformers, default_model, pairs_of(repo / "examples/pairs.tsv"))
    assert_scores((repo / "scores.txt").read_text().splitlines(), expected, script)
