"""The command line's own messages: usage errors read like every other error (`simscore: ...`, exit 2)
and point at the nearest subcommand or option; `tokenize --id` echoes the id."""
import pytest

from conftest import ROOT, run


@pytest.mark.parametrize("args,hint", [
    (["scroe", "x.tsv"], "simscore: did you mean `simscore score`?"),
    (["evl"], "simscore: did you mean `simscore eval`?"),
    (["score", "--thread", "2"], "simscore: did you mean --threads instead of --thread?"),
    (["inspect", "--modle=x"], "simscore: did you mean --model instead of --modle?"),
])
def test_usage_errors_name_the_program_and_the_nearest_name(simscore, args, hint):
    result = run([simscore, *args])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("simscore: "), result.stderr
    assert hint in lines, result.stderr
    assert lines[-1].startswith("Run `simscore ") and lines[-1].endswith("--help` for the options.")


def test_unrelated_words_get_no_guess(simscore):
    result = run([simscore, "score", "--completely-different"])
    assert result.returncode == 2
    assert "did you mean" not in result.stderr
    assert run([simscore, "--help"]).returncode == 0


def test_tokenize_echoes_the_id(simscore, default_model, tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"row{i}\t{line}\n" for i, line in
                            enumerate((ROOT / "examples/pairs.tsv").read_text().splitlines())))
    plain = run([simscore, "tokenize", path, "--model", default_model, "--text-a", "2", "--text-b", "3"])
    with_id = run([simscore, "tokenize", path, "--model", default_model, "--text-a", "2", "--text-b", "3",
                   "--id", "1"])
    assert plain.returncode == 0 and with_id.returncode == 0, with_id.stderr
    assert with_id.stdout.splitlines() == [f"row{i}\t{line}" for i, line in enumerate(plain.stdout.splitlines())]
