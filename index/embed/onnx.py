"""Query embedding with onnxruntime: the local model exported once to ONNX, checked against torch, else torch.

Why: one query through torch takes ~20 ms on two cores; the same network in onnxruntime takes ~6 ms with the
same vectors (bench/RESULTS.md, "ONNX"). Builds keep torch (batches gain little); queries use ONNX when it
passes the check.

- Export, once per model: `torch.onnx.export` of the model's transformer into
  CACHE/onnx/<key>/model.onnx, with torch's own vectors of CHECK_TEXTS beside it (reference.npy). The key
  hashes the model's files and the torch/onnx versions, so a changed model or stack exports anew. The folder
  is written under a temporary name and renamed into place: two processes exporting at once both finish,
  one rename wins and the other's copy is dropped. Nothing is downloaded.
- Check, at every load: the ONNX session embeds CHECK_TEXTS; every vector must have cosine >= MIN_COSINE
  with torch's reference. Otherwise (or when onnxruntime is missing, the model is not a mean-pooled
  transformer, the export fails, the cache is not writable) the torch encoder answers, and `QueryBackend`
  says why. `REFRAIN_QUERY_BACKEND=torch` forces torch; `onnx` makes a failed check an error.

CACHE is $REFRAIN_CACHE_DIR, else $XDG_CACHE_HOME/refrain, else ~/.cache/refrain.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from index.embed.encoder import DEFAULT_BATCH_SIZE, DEFAULT_MODEL, Encoder, SentenceTransformerEncoder, l2_normalise, load_encoder
from index.errors import RefrainError

MIN_COSINE = 0.9999
BACKEND_ENV = "REFRAIN_QUERY_BACKEND"
EXPORT_FORMAT = 1  # bump when the exported graph or the folder's files change
OPSET = 17
SMALL_FILE = 1 << 20
# Short and long, plain and odd: what queries look like, plus text that stresses the tokenizer.
CHECK_TEXTS = (
    "people-first principle",
    "flood-hit areas",
    "The Korean people will always follow the Party with loyalty, whatever the difficulties.",
    "We call on all Member States to honour their commitments under the Paris Agreement on climate change.",
    "Ceremony for moving into new houses took place at a farm in South Hwanghae Province.",
    "nuclear war deterrent",
    "Über die Zusammenarbeit — café, naïve résumé; 2024-09-09!",
    "In accordance with the resolutions of the plenary meeting, the delegates reviewed the progress of the "
    "five-year plan, the state of agriculture and the construction of new houses in the flood-hit areas.",
)


@dataclass(frozen=True)
class QueryBackend:
    """Which engine embeds queries, and why: shown by `info` and the explorer."""

    backend: str  # "onnxruntime", "torch" or "builtin"
    reason: str
    min_cosine: float | None = None
    folder: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.backend == "onnxruntime":
            return f"onnxruntime ({self.reason}; min cosine {self.min_cosine:.6f} on {len(CHECK_TEXTS)} texts)"
        return f"{self.backend} ({self.reason})"


def cache_root() -> Path:
    base = os.environ.get("REFRAIN_CACHE_DIR")
    if base:
        return Path(base).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "refrain"


class OnnxEncoder(Encoder):
    """The model's transformer in onnxruntime, mean pooling and normalisation in NumPy; tokens and limits from
    the torch encoder it stands in for (whose weights are never loaded for queries)."""

    precision = "fp32"
    backend = "onnxruntime"

    def __init__(self, inner: SentenceTransformerEncoder, folder: Path):
        import onnxruntime as ort
        import tokenizers

        self.inner = inner
        self.name = inner.name
        self.prompts = inner.prompts  # the index's query prompt applies here as with torch
        self.folder = folder
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one query: a thread pool costs more than it saves (and spins)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = tokenizers.Tokenizer.from_file(str(Path(inner.location) / "tokenizer.json"))
        tokenizer.enable_truncation(inner.max_tokens + 2)  # as sentence-transformers: max_seq_length with specials
        tokenizer.enable_padding()  # to the longest text of the batch (tokenizer.json may pad to a fixed length)
        self._tokenizer = tokenizer
        self._lock = threading.Lock()
        self.dim = int(np.load(folder / "reference.npy", allow_pickle=False).shape[1])

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, prompt: str | None = None) -> np.ndarray:
        """As SentenceTransformerEncoder.encode: the prompt (the passage prompt when None) is put before each text."""
        prefix = self.prompts.passage if prompt is None else prompt
        texts = [prefix + t for t in texts] if prefix else list(texts)
        out = [np.zeros((0, self.dim), dtype=np.float32)]
        for i in range(0, len(texts), batch_size):
            out.append(self._encode_batch(texts[i:i + batch_size]))
        return np.concatenate(out)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
        hidden = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return l2_normalise(pooled)


def query_encoder(inner: SentenceTransformerEncoder) -> tuple[Encoder, QueryBackend]:
    """The encoder queries should use for this model (ONNX when it passes the check), and the reason."""
    wanted = os.environ.get(BACKEND_ENV, "auto").strip().lower()
    if wanted == "torch":
        return inner, QueryBackend("torch", f"{BACKEND_ENV}=torch")
    try:
        encoder, backend = _onnx_encoder(inner)
    except _Unusable as exc:
        if wanted == "onnx":
            raise RefrainError(f"{BACKEND_ENV}=onnx, but the ONNX model cannot be used: {exc}") from None
        return inner, QueryBackend("torch", f"ONNX not used: {exc}", getattr(exc, "min_cosine", None))
    return encoder, backend


class _Unusable(Exception):
    def __init__(self, message: str, min_cosine: float | None = None):
        super().__init__(message)
        self.min_cosine = min_cosine


def _onnx_encoder(inner: SentenceTransformerEncoder) -> tuple[OnnxEncoder, QueryBackend]:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise _Unusable("onnxruntime is not installed") from None
    model = Path(inner.location)
    _check_supported(model)
    folder = cache_root() / "onnx" / model_key(model)
    fresh = False
    if not (folder / "check.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)  # a folder without its last file was damaged after publishing
        export(inner, folder)
        fresh = True
    try:
        return _checked(inner, folder)
    except _Unusable:
        if fresh:
            raise
    shutil.rmtree(folder, ignore_errors=True)  # a damaged earlier export: export once more, then check again
    export(inner, folder)
    return _checked(inner, folder)


def _checked(inner: SentenceTransformerEncoder, folder: Path) -> tuple[OnnxEncoder, QueryBackend]:
    try:
        encoder = OnnxEncoder(inner, folder)
        reference = np.load(folder / "reference.npy", allow_pickle=False)
        vectors = encoder.encode(list(CHECK_TEXTS), batch_size=1)  # one at a time: no padding to compute
    except Exception as exc:  # a damaged file, an ONNX graph onnxruntime rejects: torch answers instead
        raise _Unusable(f"the exported model in {folder} does not load ({_first_line(exc)})") from None
    cosine = check_vectors(vectors, reference)
    if cosine < MIN_COSINE:
        raise _Unusable(f"its vectors differ from torch's (min cosine {cosine:.6f} < {MIN_COSINE})", cosine)
    return encoder, QueryBackend("onnxruntime", "checked against torch", round(cosine, 6), str(folder))


def check_vectors(vectors: np.ndarray, reference: np.ndarray) -> float:
    """The lowest cosine between each vector and its reference (-1 when the shapes differ)."""
    if vectors.shape != reference.shape or not np.all(np.isfinite(vectors)):
        return -1.0
    return float(np.min(np.sum(l2_normalise(vectors) * l2_normalise(reference), axis=1)))


def _check_supported(model: Path) -> None:
    """Only the layout exported here: a transformer, mean pooling, optional normalisation, a fast tokenizer."""
    try:
        modules = json.loads((model / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise _Unusable(f"{model} has no readable modules.json") from None
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise _Unusable(f"modules {kinds} are not a transformer with pooling")
    try:
        pooling = json.loads((model / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        raise _Unusable("no readable pooling config") from None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise _Unusable(f"pooling {sorted(modes)} is not mean pooling")
    if not (model / "tokenizer.json").is_file():
        raise _Unusable("the model has no tokenizer.json")


def model_key(model: Path) -> str:
    """Identifies the export: the model folder's files and the exporting stack. Small files (configs, the
    tokenizer) by content; weights by size and modification time, so a process start does not read 90 MB."""
    h = hashlib.blake2b(digest_size=12)
    h.update(f"format {EXPORT_FORMAT} opset {OPSET} torch {_version('torch')} onnx {_version('onnx')}".encode())
    for path in sorted(p for p in model.rglob("*") if p.is_file()):
        stat = path.stat()
        h.update(f"\x1e{path.relative_to(model).as_posix()}\x1f{stat.st_size}\x1f".encode())
        h.update(path.read_bytes() if stat.st_size <= SMALL_FILE else str(stat.st_mtime_ns).encode())
    return h.hexdigest()


def export(inner: SentenceTransformerEncoder, folder: Path) -> None:
    """Export the model and torch's reference vectors into `folder`, atomically (see the module docstring)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        tmp.chmod(0o755)
    except OSError as exc:
        raise _Unusable(f"cannot write the ONNX export to {folder.parent} ({exc.strerror or exc})") from None
    try:
        _export_into(inner, tmp)
        publish(tmp, folder)
    except _Unusable:
        raise
    except Exception as exc:  # the exporter raises many kinds; each means "no ONNX model for this one"
        raise _Unusable(f"the export failed ({_first_line(exc)})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(tmp: Path, folder: Path) -> bool:
    """Rename a finished export folder into place; False when another process published first (its copy stays)."""
    try:
        os.rename(tmp, folder)
        return True
    except OSError:
        if (folder / "check.json").is_file():
            return False
        raise


def _export_into(inner: SentenceTransformerEncoder, tmp: Path) -> None:
    import torch

    model = inner.model  # torch, loaded once here
    transformer = model[0].auto_model.float().eval()
    tokenizer = model.tokenizer
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["an example query", "a second, longer example sentence"], padding=True, return_tensors="pt")
    names = [n for n in names if n in sample]

    class Hidden(torch.nn.Module):
        def __init__(self, inner_model):
            super().__init__()
            self.inner_model = inner_model

        def forward(self, *args):
            return self.inner_model(**dict(zip(names, args))).last_hidden_state

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(transformer), tuple(sample[n] for n in names), str(tmp / "model.onnx"),
                          input_names=names, output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]})
    reference = inner.encode(list(CHECK_TEXTS))
    np.save(tmp / "reference.npy", reference.astype(np.float32), allow_pickle=False)
    (tmp / "check.json").write_text(json.dumps({
        "model": inner.name, "location": str(inner.location), "texts": list(CHECK_TEXTS), "opset": OPSET,
        "torch": _version("torch"), "onnx": _version("onnx"), "format": EXPORT_FORMAT}, indent=2), encoding="utf-8")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


_QUERY: dict[str, tuple[Encoder, QueryBackend]] = {}
_QUERY_LOCK = threading.Lock()


def load_query_encoder(spec: str | None = None) -> tuple[Encoder, QueryBackend]:
    """The encoder for queries (once per process) and the QueryBackend saying which engine runs it and why:
    for a sentence-transformers model, its ONNX export when that passes the check against torch."""
    spec = spec or DEFAULT_MODEL
    encoder = load_encoder(spec)
    with _QUERY_LOCK:
        if spec not in _QUERY:
            if isinstance(encoder, SentenceTransformerEncoder):
                _QUERY[spec] = query_encoder(encoder)
            else:
                _QUERY[spec] = (encoder, QueryBackend("builtin", "the hashing stand-in has no model to export"))
        return _QUERY[spec]
