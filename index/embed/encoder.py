"""Sentence encoders: the bundled MiniLM model (offline), any sentence-transformers model that a local folder or the
local Hugging Face cache holds, and a tiny deterministic hashing encoder for fast tests and model-free experiments.

Which folder a model name means, and its query/passage prompts, is index/embed/models.py's job; it also switches the
hub off before sentence-transformers is imported. Nothing here downloads weights or runs a model's own code.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path

import numpy as np

from index.embed.models import DEFAULT_MODEL, ModelSource, Prompts, read_json, resolve_model
from index.errors import RefrainError
from index.words import WORD, WORD_OR_MARK

HASHING_PREFIX = "builtin:hashing"
DEFAULT_BATCH_SIZE = 32
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16", "fp16")
# A GPU does its best work on larger batches; texts are sorted by length, so they pad little.
BATCH_SIZES = {"cpu": DEFAULT_BATCH_SIZE, "cuda": 256, "mps": 64}


class Encoder:
    """What the pipeline needs from a model: normalised float32 vectors and the model's own token spans."""

    name: str
    dim: int
    max_tokens: int  # longest passage the model reads whole (special tokens and prompts excluded)
    precision: str = "fp32"
    prompts: Prompts = Prompts()
    backend: str = "torch"  # the engine that runs it (shown by `info`)
    device: str = "cpu"

    @property
    def cache_key(self) -> str:
        """What a cached vector was made with: a passage prompt change never reuses vectors made without it."""
        key = f"{self.name}|{self.precision}"
        return f"{key}|passage:{self.prompts.passage}" if self.prompts.passage else key

    @property
    def segment_key(self) -> str:
        """What a cached segmentation depends on: the tokenizer, and the tokens that prompts take from each window."""
        reserved = self.prompt_tokens()
        return f"{self.name}|prompt-tokens:{reserved}" if reserved else self.name

    def prompt_tokens(self) -> int:
        """Tokens the longer prompt takes (and one for the seam), so no window is truncated once prompted."""
        return 0

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, prompt: str | None = None) -> np.ndarray:
        """Vectors of passages (the passage prompt applied), or of queries when given the query prompt."""
        raise NotImplementedError

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        raise NotImplementedError

    @property
    def batch_size(self) -> int:
        """The batch size that suits the device, when the caller names none."""
        return BATCH_SIZES.get(self.device, DEFAULT_BATCH_SIZE)

    def describe(self, dim: int | None = None) -> dict:
        return {"name": self.name, "dimension": dim or self.dim, "max_tokens": self.max_tokens,
                "precision": self.precision, "device": self.device}


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class HashingEncoder(Encoder):
    """Bag of hashed word unigrams and bigrams: lexical similarity, deterministic, instant.

    Good for unit tests and for trying the pipeline without a model; not a semantic model. It stands in for the
    model in the whole-archive benchmarks, so it must cost little beside the rest of a build: each feature's
    bucket is remembered (FEATURES_REMEMBERED at most) and a batch is summed by one bincount.
    """

    backend = "builtin"
    FEATURES_REMEMBERED = 1_000_000  # ~120 MB of words and bigrams; forgotten all at once beyond it

    def __init__(self, dim: int = 256, max_tokens: int = 128):
        self.dim = dim
        self.max_tokens = max_tokens
        self.name = f"{HASHING_PREFIX}-{dim}"
        self._codes: dict[str, int] = {}  # feature -> its signed bucket (see _signed_bucket)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in WORD_OR_MARK.finditer(text)]

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, prompt: str | None = None) -> np.ndarray:
        known, learn = self._codes, self._learn
        if len(known) > self.FEATURES_REMEMBERED:
            known.clear()
        codes: list[int] = []
        per_text: list[int] = []
        for text in texts:
            words = [w.lower() for w in WORD.findall(text)]
            features = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
            codes.extend([known.get(f) or learn(f) for f in features])
            per_text.append(len(features))
        signed = np.array(codes, dtype=np.int64)
        cells = np.repeat(np.arange(len(texts), dtype=np.int64) * self.dim, per_text) + np.abs(signed) - 1
        sums = np.bincount(cells, weights=np.sign(signed), minlength=len(texts) * self.dim)
        return l2_normalise(sums.reshape(len(texts), self.dim).astype(np.float32))

    def _learn(self, feature: str) -> int:
        code = self._codes[feature] = _signed_bucket(feature, self.dim)
        return code


def _signed_bucket(feature: str, dim: int) -> int:
    """The feature's bucket plus one, negative where its hash's top bit says the feature counts -1 (never 0)."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    bucket = digest % dim + 1
    return bucket if (digest >> 63) & 1 else -bucket


def cpu_has_amx_bf16() -> bool:
    """bf16 is only faster (and worth its tiny accuracy cost) on CPUs with AMX tiles."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            return any("amx_bf16" in line for line in fh if line.startswith("flags"))
    except OSError:
        return False


def choose_device(wanted: str = "auto") -> str:
    """The torch device to embed on: `auto` takes CUDA when torch sees it, then Apple's MPS, else the CPU.

    A device named explicitly must be there, or the build stops with a one-line error. On Linux without a
    GPU driver, `auto` answers without importing torch (seconds), so a rebuild that finds every vector in
    the cache never loads it.
    """
    wanted = (wanted or "auto").lower()
    if wanted not in DEVICES:
        raise RefrainError(f"unknown device {wanted!r}: use one of {', '.join(DEVICES)}")
    if wanted == "cpu" or (wanted == "auto" and not _may_have_gpu()):
        return "cpu"
    import torch

    if wanted in ("auto", "cuda") and torch.cuda.is_available():
        return "cuda"
    if wanted in ("auto", "mps") and torch.backends.mps.is_available():
        return "mps"
    if wanted == "auto":
        return "cpu"
    if wanted == "cuda":
        built = torch.version.cuda or getattr(torch.version, "hip", None)
        why = "no CUDA device is visible" if built else "this torch is built without CUDA"
    else:
        why = "MPS needs Apple silicon and a torch built with it"
    raise RefrainError(f"--device {wanted}: {why} (torch {torch.__version__}); use --device auto or cpu")


def _may_have_gpu() -> bool:
    """False only where no GPU can be: Linux with neither an NVIDIA nor an AMD (ROCm) kernel driver."""
    if not sys.platform.startswith("linux"):
        return True
    return any(Path(p).exists() for p in ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd"))


def choose_precision(device: str = "cpu") -> str:
    """fp16 on CUDA (tests/test_device.py holds its vectors to cosine >= 0.999 of the CPU's fp32 ones); on a
    CPU, bf16 where AMX makes it faster, else fp32; fp32 on MPS. REFRAIN_PRECISION=fp32|bf16|fp16 overrides
    (fp16 only on a GPU)."""
    wanted = os.environ.get("REFRAIN_PRECISION", "auto").lower()
    if wanted in PRECISIONS:
        if wanted == "fp16" and device == "cpu":
            raise RefrainError("REFRAIN_PRECISION=fp16 needs a GPU (--device cuda or mps); use fp32 or bf16 on a CPU")
        return wanted
    if wanted != "auto":
        raise RefrainError(f"REFRAIN_PRECISION={wanted}: use one of {', '.join(PRECISIONS)} (or leave it unset)")
    if device == "cuda":
        return "fp16"
    if device == "cpu" and cpu_has_amx_bf16():
        return "bf16"
    return "fp32"


def resolve_model_path(spec: str) -> str:
    """The local folder a model name means (see index/embed/models.py); nothing is downloaded."""
    return str(resolve_model(spec).folder)


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model loaded from a local folder (a package's, the user's, or a snapshot in the local
    Hugging Face cache), never from the network and never with the model's own code.

    The model loads on first use: a rebuild that finds every text in the cache only needs the
    tokenizer (for token counts), which the `tokenizers` library reads in milliseconds.
    """

    def __init__(self, spec: str | ModelSource, precision: str | None = None, allow_download: bool = False,
                 device: str = "cpu"):
        self.device = device  # already chosen (choose_device): a concrete torch device
        self.precision = precision or choose_precision(device)
        self.source = spec if isinstance(spec, ModelSource) else resolve_model(spec, allow_download)
        self.location = str(self.source.folder)
        self.name = self.source.name
        self.prompts = self.source.prompts
        self._model = None
        self._tokenizer = None
        self._prompt_tokens = None
        self._lock = threading.RLock()  # one encode at a time; HF tokenizers are not safe for concurrent use
        config = read_json(Path(self.location) / "sentence_bert_config.json")
        self._max_seq_length = config.get("max_seq_length") if isinstance(config, dict) else None

    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
            dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)
            kwargs = {"model_kwargs": {"dtype": dtype}} if dtype is not None else {}
            try:
                self._model = SentenceTransformer(self.location, device=self.device, trust_remote_code=False,
                                                  local_files_only=True, **kwargs)
            except Exception as exc:  # the library raises many kinds; all mean "this model cannot be loaded"
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise RefrainError(f"cannot load model {self.name!r} from {self.location}: {first}") from None
            self._max_seq_length = int(self._model.max_seq_length)
            return self._model

    @property
    def model(self):
        return self._load()

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        if self._max_seq_length is None:
            self._load()
        return int(self._max_seq_length) - 2 - self.prompt_tokens()

    def prompt_tokens(self) -> int:
        if self._prompt_tokens is None:
            longest = max((len(self.token_spans(p)) for p in (self.prompts.query, self.prompts.passage) if p), default=-1)
            self._prompt_tokens = longest + 1
        return self._prompt_tokens

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, prompt: str | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with self._lock:
            # always an explicit prompt ("" for none), so a model's default_prompt_name never applies unrecorded
            vectors = model.encode(
                list(texts), prompt=self.prompts.passage if prompt is None else prompt, batch_size=batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return l2_normalise(vectors)

    def describe(self, dim: int | None = None) -> dict:
        return {**super().describe(dim), "prompts": self.prompts.to_dict(), "source": self.source.to_dict()}

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = self._fast_tokenizer()
            return self._tokenizer(text)

    def _fast_tokenizer(self):
        if tokenizer_file(self.location) is not None:
            return file_token_spans(self.location)
        hf = self.model.tokenizer
        return lambda text: [tuple(o) for o in hf(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]]


def tokenizer_file(location: str) -> Path | None:
    """The model folder's tokenizer.json, which the `tokenizers` library reads without the model, if it has one."""
    path = Path(location) / "tokenizer.json"
    return path if path.is_file() else None


def file_token_spans(location: str):
    """Token spans by the tokenizer.json of a model folder (no special tokens, no truncation): what segmentation
    counts, in the build's process or in a worker process that never loads the model."""
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(str(tokenizer_file(location)))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: [tuple(o) for o in tok.encode(text, add_special_tokens=False).offsets]


_LOADED: dict[tuple[str, str, str | None], Encoder] = {}
_LOAD_LOCK = threading.Lock()


def load_encoder(spec: str | None = None, device: str = "auto", precision: str | None = None,
                 allow_download: bool = False) -> Encoder:
    """Load (once per process) the encoder named by spec: the default model, a folder, a Hugging Face name
    (ORG/NAME[@REVISION], from the local cache; downloaded only with allow_download), or builtin:hashing[-DIM],
    on the device that `choose_device` picks, in the precision that suits it unless one is given."""
    spec = spec or DEFAULT_MODEL
    device = choose_device(device)  # checked for the stand-in too: an explicit --device must exist
    if spec.startswith(HASHING_PREFIX):
        device, precision = "cpu", None  # a lexical stand-in runs on the CPU in its own "precision"
    key = (spec, device, precision)
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = _make_encoder(spec, device, precision, allow_download)
        return _LOADED[key]


def _make_encoder(spec: str, device: str, precision: str | None, allow_download: bool = False) -> Encoder:
    if spec.startswith(HASHING_PREFIX):
        suffix = spec[len(HASHING_PREFIX) :].lstrip("-")
        if suffix and not suffix.isdigit():
            raise RefrainError(f"bad model {spec!r}: use {HASHING_PREFIX} or {HASHING_PREFIX}-DIM")
        return HashingEncoder(int(suffix) if suffix else 256)
    source = resolve_model(spec, allow_download)
    for loaded in _LOADED.values():  # the same weights named another way (ORG/NAME and ORG/NAME@commit): load once
        if (isinstance(loaded, SentenceTransformerEncoder) and loaded.name == source.name and loaded.device == device
                and (precision is None or loaded.precision == precision)):
            return loaded
    return SentenceTransformerEncoder(source, precision, device=device)
