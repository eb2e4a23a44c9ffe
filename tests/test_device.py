"""Where the model runs and at what precision (`--device`, index/embed/encoder.py): the choice on this machine,
one-line errors for a device that is not there, the precision rules, and the record of both in the manifest.
Tests that need a GPU skip without one; the choice itself is tested everywhere."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from index.embed.encoder import (DEFAULT_MODEL, SentenceTransformerEncoder, _may_have_gpu, choose_device,
                                 choose_precision, cpu_has_amx_bf16, load_encoder)
from index.errors import RefrainError
from reliability_support import assert_clean_user_error, cli
from tests.conftest import REPO, SAMPLE_CORPUS


def _torch_sees() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"


def test_auto_takes_the_best_device_torch_sees():
    assert choose_device("auto") == _torch_sees()
    assert choose_device("cpu") == "cpu"


@pytest.mark.skipif(_may_have_gpu(), reason="a GPU driver is present: auto has to ask torch")
def test_auto_answers_cpu_without_importing_torch_where_no_gpu_driver_is():
    """A fully cached rebuild never needs torch; choosing the device must not import it (seconds)."""
    code = ("import sys; from index.embed.encoder import choose_device, load_encoder; "
            "e = load_encoder(); print(choose_device('auto'), e.device, e.precision, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cpu", "cpu", "bf16" if cpu_has_amx_bf16() else "fp32", "False"]


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_an_explicit_device_that_is_not_there_is_a_one_line_error(tmp_path, device):
    if _torch_sees() == device:
        pytest.skip(f"this machine has {device}")
    with pytest.raises(RefrainError, match=f"--device {device}:"):
        choose_device(device)
    for model in (DEFAULT_MODEL, "builtin:hashing"):  # the stand-in too: the user asked for that device
        done = cli("build", SAMPLE_CORPUS, "--out", tmp_path / model.replace(":", "-"), "--model", model,
                   "--device", device, "--quiet")
        assert_clean_user_error(done, f"--device {device}:", "use --device auto or cpu")
        assert not (tmp_path / model.replace(":", "-") / "CURRENT").exists()


def test_an_unknown_device_is_refused_by_the_parser_and_the_library(tmp_path):
    done = cli("build", SAMPLE_CORPUS, "--out", tmp_path / "i", "--device", "tpu")
    assert done.returncode == 2 and "invalid choice: 'tpu'" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(RefrainError, match="unknown device 'tpu'"):
        load_encoder("builtin:hashing", "tpu")


def test_precision_follows_the_device_and_the_override(monkeypatch):
    monkeypatch.delenv("REFRAIN_PRECISION", raising=False)
    assert choose_precision("cuda") == "fp16"
    assert choose_precision("mps") == "fp32"
    assert choose_precision("cpu") == ("bf16" if cpu_has_amx_bf16() else "fp32")  # the AMX rule stays
    monkeypatch.setenv("REFRAIN_PRECISION", "fp32")
    assert choose_precision("cuda") == choose_precision("cpu") == "fp32"
    monkeypatch.setenv("REFRAIN_PRECISION", "bf16")
    assert choose_precision("cpu") == "bf16"
    monkeypatch.setenv("REFRAIN_PRECISION", "fp16")
    assert choose_precision("cuda") == "fp16"
    with pytest.raises(RefrainError, match="fp16 needs a GPU"):
        choose_precision("cpu")
    monkeypatch.setenv("REFRAIN_PRECISION", "int4")
    with pytest.raises(RefrainError, match="REFRAIN_PRECISION=int4"):
        choose_precision("cpu")


def test_gpu_vectors_are_cached_apart_and_batched_larger(monkeypatch):
    """fp16 vectors from a GPU never mix with CPU ones in the embedding cache (the key names the precision)."""
    monkeypatch.delenv("REFRAIN_PRECISION", raising=False)
    on_gpu = SentenceTransformerEncoder(DEFAULT_MODEL, device="cuda")  # constructing it loads no weights
    on_cpu = SentenceTransformerEncoder(DEFAULT_MODEL, device="cpu")
    assert on_gpu.cache_key == f"{DEFAULT_MODEL}|fp16" and on_gpu.batch_size == 256
    assert on_cpu.cache_key == f"{DEFAULT_MODEL}|{on_cpu.precision}" and on_cpu.batch_size == 32
    assert on_gpu._model is None and on_cpu._model is None


def test_the_manifest_and_info_record_device_and_precision(tmp_path):
    out = tmp_path / "index"
    built = cli("build", SAMPLE_CORPUS, "--out", out, "--model", "builtin:hashing", "--device", "cpu", "--json")
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["embedding"] == {"name": "builtin:hashing-256", "dimension": 256, "max_tokens": 128,
                                   "precision": "fp32", "device": "cpu", "engine": "local"}
    manifest = json.loads(next(out.glob("gen-*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["model"] == report["embedding"]
    info = cli("info", out)
    assert info.returncode == 0, info.stderr
    assert "model: builtin:hashing-256 (256-d, fp32 on cpu, reads 128 tokens)" in info.stdout
    assert json.loads(cli("info", out, "--json").stdout)["manifest"]["model"]["device"] == "cpu"


# ---------------------------------------------------------------------------------------------- with a GPU


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.model
def test_gpu_vectors_are_within_cosine_0999_of_the_cpu_ones():
    if not _cuda():
        pytest.skip("no CUDA device here (measure on a GPU machine: python -m bench.bench_engines)")
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_CORPUS.glob("*.txt"))]
    texts = [p.strip() for t in texts for p in t.split("\n\n") if p.strip()][:400]
    gpu = load_encoder(DEFAULT_MODEL, "cuda")
    cpu = load_encoder(DEFAULT_MODEL, "cpu", "fp32")
    assert (gpu.device, gpu.precision) == ("cuda", "fp16")
    cosines = np.sum(gpu.encode(texts) * cpu.encode(texts), axis=1)
    assert cosines.min() >= 0.999, cosines.min()


@pytest.mark.model
def test_a_gpu_build_records_cuda_and_fp16(tmp_path):
    if not _cuda():
        pytest.skip("no CUDA device here")
    out = tmp_path / "index"
    built = cli("build", SAMPLE_CORPUS, "--out", out, "--device", "auto", "--quiet", timeout=900)
    assert built.returncode == 0, built.stderr
    assert "fp16 on cuda" in cli("info", out).stdout
