"""`simscore convert --precision int8`: the file holds I8 matrices with F32 row scales and says its
bit width; a run reading it scores the same bytes as a run quantizing at load; a missing or corrupt
scale, or 8-bit weights on a CPU whose int8 kernels take 7, are refused naming file and tensor. The
FFN output is stored I8 too (every product runs in int8 by default): --int8-ffn-output fp32 widens it,
and a file converted before that (FFN output F16) is quantized at load."""
import json
import math
import shutil
import struct

import pytest

from conftest import run

PAIRS = ("A man is playing a guitar.\tA man plays the guitar.\n"
         "A woman is slicing an onion.\tA dog runs through a field.\n"
         "The cat sits on the mat.\tA cat is sitting on a mat.\n"
         "Ein Mann spielt Gitarre.\tUn homme joue de la guitare.\n")
INT8_MATRICES = ("attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
                 "attention.output.dense.weight", "intermediate.dense.weight", ".output.dense.weight")
MODEL_ERROR = 4


def read_header(path):
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def write_header(path, header, body):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # tensors stay aligned as the writer laid them out
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


@pytest.fixture(scope="module")
def converted(simscore, default_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "minilm-int8"
    r = run([simscore, "convert", "--model", default_model, "--precision", "int8", out])
    assert r.returncode == 0, r.stderr
    assert "matrices in int8" in r.stderr, r.stderr
    return out


def score(simscore, model, precision="int8", *flags):
    r = run([simscore, "score", "--model", model, "--precision", precision, "-q", *flags], input=PAIRS)
    return r


def test_file_holds_int8_matrices_and_scales(converted):
    header, _ = read_header(converted / "model.safetensors")
    meta = header.pop("__metadata__")
    assert meta["simscore.quantization"] == "int8"
    assert meta["simscore.int8_weight_bits"] in ("7", "8")
    int8 = {name for name, t in header.items() if t["dtype"] == "I8"}
    assert int8 and all(name.endswith(INT8_MATRICES) for name in int8), int8
    assert len(int8) == 6 * 6  # MiniLM: six layers
    for name in int8:
        scale = header[name + "_scale"]
        assert scale["dtype"] == "F32" and scale["shape"] == header[name]["shape"][:1]
    assert any(name.endswith("encoder.layer.0.output.dense.weight") for name in int8), int8
    # Everything else keeps fp16 (matrices) or its own dtype (vectors).
    embeddings = next(n for n in header if n.endswith("embeddings.word_embeddings.weight"))
    assert header[embeddings]["dtype"] == "F16"


def test_converted_scores_equal_quantizing_at_load(simscore, default_model, converted):
    at_load = score(simscore, default_model)
    stored = score(simscore, converted)
    assert at_load.returncode == 0 and stored.returncode == 0, at_load.stderr + stored.stderr
    assert stored.stdout == at_load.stdout
    assert len(stored.stdout.split()) == 4


def test_ffn_output_fp32_widens_the_stored_int8_ffn_output(simscore, default_model, converted):
    at_load = score(simscore, default_model, "int8", "--int8-ffn-output", "fp32")
    stored = score(simscore, converted, "int8", "--int8-ffn-output", "fp32")
    every_int8 = score(simscore, converted)
    assert at_load.returncode == 0 and stored.returncode == 0, at_load.stderr + stored.stderr
    # Quantized at load, the FFN output stays fp16 in an fp32 product; from the file, its int8 values
    # are widened (scale x value) into that fp32 product: close to it, and not the int8 product.
    assert stored.stdout != every_int8.stdout and stored.stdout != at_load.stdout
    assert [float(v) for v in stored.stdout.split()] == pytest.approx([float(v) for v in at_load.stdout.split()],
                                                                      abs=0.03)


def is_ffn_output(name):
    return name.endswith(".output.dense.weight") and not name.endswith("attention.output.dense.weight")


def test_older_file_with_fp16_ffn_output_is_quantized_at_load(simscore, default_model, converted, tmp_path):
    """A file converted when the FFN output stayed F16 (as `convert --precision fp16` writes it):
    --precision int8 quantizes that matrix as it loads, from the same fp16 values convert quantized,
    so the run scores the same bytes as the I8 file and as the original model."""
    fp16 = tmp_path / "fp16"
    assert run([simscore, "convert", "--model", default_model, "--precision", "fp16", fp16]).returncode == 0
    fp16_header, fp16_body = read_header(fp16 / "model.safetensors")

    def fp16_ffn_output(header, body):
        tensors = {n: t for n, t in header.items() if n != "__metadata__"}
        out = bytearray()
        for name in sorted(tensors, key=lambda n: tensors[n]["data_offsets"][0]):
            if is_ffn_output(name.removesuffix("_scale")) and name.endswith("_scale"):
                del header[name]
                continue
            source, data = tensors[name], body
            if is_ffn_output(name):
                source, data = fp16_header[name], fp16_body
                header[name] = dict(source)
            begin, end = source["data_offsets"]
            header[name]["data_offsets"] = [len(out), len(out) + end - begin]
            out += data[begin:end]
        return out

    older = broken_copy(converted, tmp_path, fp16_ffn_output)
    header, _ = read_header(older / "model.safetensors")
    ffn_outputs = [n for n in header if is_ffn_output(n)]
    assert len(ffn_outputs) == 6 and all(header[n]["dtype"] == "F16" for n in ffn_outputs)
    older_run = score(simscore, older)
    assert older_run.returncode == 0, older_run.stderr
    assert older_run.stdout == score(simscore, converted).stdout == score(simscore, default_model).stdout


def test_fp16_run_widens_int8_matrices(simscore, default_model, converted):
    fp32 = score(simscore, default_model, "fp32")
    widened = score(simscore, converted, "fp16")
    assert widened.returncode == 0, widened.stderr
    # int8 weights (7 bits on AVX2) widened to fp16, products in fp32: near the fp32 run.
    assert [float(v) for v in widened.stdout.split()] == pytest.approx([float(v) for v in fp32.stdout.split()],
                                                                       abs=0.06)


def broken_copy(converted, tmp_path, change):
    """A copy of the converted model whose safetensors header `change(header, body)` edits."""
    copy = tmp_path / "broken"
    shutil.copytree(converted, copy, ignore=shutil.ignore_patterns("model.safetensors"))
    header, body = read_header(converted / "model.safetensors")
    body = change(header, bytearray(body))
    write_header(copy / "model.safetensors", header, bytes(body))
    return copy


def first_int8(header):
    return sorted(n for n, t in header.items() if n != "__metadata__" and t["dtype"] == "I8")[0]


def test_missing_scale_is_refused(simscore, converted, tmp_path):
    names = {}

    def drop(header, body):
        names["matrix"] = first_int8(header)
        del header[names["matrix"] + "_scale"]
        return body

    model = broken_copy(converted, tmp_path, drop)
    r = score(simscore, model)
    assert r.returncode == MODEL_ERROR, r.stderr
    assert "model.safetensors" in r.stderr and names["matrix"] + "_scale is missing" in r.stderr, r.stderr
    assert r.stdout == ""


def test_corrupt_scale_is_refused(simscore, converted, tmp_path):
    names = {}

    def poison(header, body):
        names["scale"] = first_int8(header) + "_scale"
        begin = header[names["scale"]]["data_offsets"][0]
        body[begin + 4 * 3:begin + 4 * 4] = struct.pack("<f", math.nan)
        return body

    model = broken_copy(converted, tmp_path, poison)
    for precision in ("int8", "fp16"):
        r = score(simscore, model, precision)
        assert r.returncode == MODEL_ERROR, r.stderr
        assert "model.safetensors" in r.stderr and names["scale"] in r.stderr and "element 3" in r.stderr, r.stderr


def test_scale_of_wrong_shape_is_refused(simscore, converted, tmp_path):
    def reshape(header, body):
        scale = header[first_int8(header) + "_scale"]
        scale["dtype"], scale["shape"] = "F16", [scale["shape"][0] * 2]
        return body

    r = score(simscore, broken_copy(converted, tmp_path, reshape))
    assert r.returncode == MODEL_ERROR and "must be F32" in r.stderr, r.stderr


def test_bits_beyond_this_cpu_are_refused(simscore, converted, tmp_path):
    header, _ = read_header(converted / "model.safetensors")
    if header["__metadata__"]["simscore.int8_weight_bits"] == "8":
        pytest.skip("this CPU's int8 kernels take 8-bit weights (VNNI)")

    def eight_bits(header, body):
        header["__metadata__"]["simscore.int8_weight_bits"] = "8"
        return body

    model = broken_copy(converted, tmp_path, eight_bits)
    r = score(simscore, model)
    assert r.returncode == MODEL_ERROR, r.stderr
    assert "int8 weights of 8 bits" in r.stderr and "convert the original model" in r.stderr, r.stderr
    # Widened for fp32 products they are fine on any CPU.
    assert score(simscore, model, "fp16").returncode == 0


def test_missing_bits_metadata_is_refused(simscore, converted, tmp_path):
    def no_bits(header, body):
        del header["__metadata__"]["simscore.int8_weight_bits"]
        return body

    r = score(simscore, broken_copy(converted, tmp_path, no_bits))
    assert r.returncode == MODEL_ERROR and "simscore.int8_weight_bits" in r.stderr, r.stderr


@pytest.mark.parametrize("which", ["at load", "converted"])
def test_inspect_knows_int8_memory_as_the_report_has_it(simscore, default_model, converted, tmp_path, which):
    model = default_model if which == "at load" else converted
    inspect = run([simscore, "inspect", "--model", model, "--json", "--precision", "int8"])
    assert inspect.returncode == 0, inspect.stderr
    planned = json.loads(inspect.stdout)["memory"]
    report = tmp_path / "report.json"
    r = run([simscore, "score", "--model", model, "--precision", "int8", "--report", report, "-q"], input=PAIRS)
    assert r.returncode == 0, r.stderr
    measured = json.loads(report.read_text())["memory"]
    for key in ("weights_bytes", "prepacked_bytes", "arena_bytes"):
        assert planned[key] == measured[key], key
    # The int8 products' matrices are held as int8 (a byte per weight), not as fp16 beside the copies.
    fp16 = json.loads(run([simscore, "inspect", "--model", model, "--json", "--precision", "fp16"]).stdout)["memory"]
    assert planned["weights_bytes"] < fp16["weights_bytes"]


@pytest.mark.parametrize("which", ["at load", "converted"])
def test_max_memory_counts_int8_weights_as_inspect_does(simscore, default_model, converted, which):
    model = default_model if which == "at load" else converted
    planned = json.loads(run([simscore, "inspect", "--model", model, "--json", "--precision", "int8"]).stdout)["memory"]
    r = run([simscore, "score", "--model", model, "--precision", "int8", "--max-memory", "1M"], input=PAIRS)
    assert r.returncode == 5, r.stderr
    mib = (planned["weights_bytes"] + planned["prepacked_bytes"]) / 2**20
    assert f"weights alone need {mib:.0f} MiB in int8" in r.stderr, (mib, r.stderr)


def test_absurd_scale_is_refused(simscore, converted, tmp_path):
    """A finite scale no converted file can hold (1e30: weights beyond fp16) is damage: refused at
    every precision (it loaded on 2a995c9: NaN rows at fp16, finite nonsense at int8)."""
    names = {}

    def inflate(header, body):
        names["scale"] = first_int8(header) + "_scale"
        begin = header[names["scale"]]["data_offsets"][0]
        body[begin + 4 * 2:begin + 4 * 3] = struct.pack("<f", 1e30)
        return body

    model = broken_copy(converted, tmp_path, inflate)
    for precision in ("int8", "fp16"):
        r = score(simscore, model, precision)
        assert r.returncode == MODEL_ERROR, (precision, r.stderr)
        assert names["scale"] in r.stderr and "element 2" in r.stderr and "at most" in r.stderr, r.stderr
        assert r.stdout == ""
    r = run([simscore, "inspect", "--model", model])
    assert r.returncode == MODEL_ERROR and names["scale"] in r.stderr, r.stderr


@pytest.mark.parametrize("quantization", ["int4", None])
def test_unknown_or_missing_quantization_is_refused(simscore, converted, tmp_path, quantization):
    def relabel(header, body):
        if quantization is None:
            del header["__metadata__"]["simscore.quantization"]
        else:
            header["__metadata__"]["simscore.quantization"] = quantization
        return body

    model = broken_copy(converted, tmp_path, relabel)
    for command in (["score", "--model", model, "-q"], ["inspect", "--model", model]):
        r = run([simscore, *command], input=PAIRS)
        assert r.returncode == MODEL_ERROR, r.stderr
        assert "simscore.quantization" in r.stderr and "model.safetensors" in r.stderr, r.stderr
        if quantization:
            assert '"int4"' in r.stderr, r.stderr
