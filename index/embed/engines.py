"""Where the embedding runs: in the build's own process (`local`), or on a Ray cluster (`ray`).

The build hands an engine the texts that the embedding cache lacks, longest first, and gets their vectors
back chunk by chunk, in whatever order the chunks finish, to commit each to the cache as it arrives
(index/embed/embedding.py). Everything else (reading, segmentation, the cache, writing) stays in the build's
process, and both engines run the same encoder code at the same precision, so the index is the same.

On Ray, Ray Data's `map_batches` runs an actor pool, one model per actor: an actor takes a GPU when the
cluster has them, else CPUS_PER_ACTOR cores. The head cuts the texts into blocks of one cache chunk each and
commits each block's vectors as it comes back, so a killed build keeps every finished block. Actors run the
head's own `index` package (shipped as a runtime-env module, so workers need Refrain's dependencies, not
Refrain itself) and load the model offline. Ray is optional (requirements-ray.txt), imported only for
`--engine ray`; docs/scale.md tells how to run it on a cluster.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from index.embed.encoder import BATCH_SIZES, Encoder, choose_precision, load_encoder
from index.errors import RefrainError

ENGINES = ("local", "ray")
RAY_INSTALL = "pip install -r requirements-ray.txt"
# Two cores per CPU actor: on 2 cores, one 2-thread actor and two 1-thread ones embedded at the same texts
# per CPU-second (14.5 and 14.8), and the one actor started sooner and holds one model, not two
# (bench/RESULTS.md, "Whole archive: Ray"); on bigger nodes each pair of cores gets its own model.
CPUS_PER_ACTOR = 2
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
              "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
INDEX_PACKAGE = Path(__file__).resolve().parents[1]
_REMOTE_REFRAIN_ERROR = re.compile(r"^index\.errors\.\w+: (.+)$", re.M)  # the last line of a worker's traceback
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Ray colours the actor names in its messages


@dataclass(frozen=True)
class EmbeddedChunk:
    rows: np.ndarray  # positions, in the list handed to `embed`, of the texts these vectors belong to
    vectors: np.ndarray  # float32, L2-normalised, one row per position


class Engine(Protocol):
    def embed(self, texts: list[str], chunk: int) -> Iterator[EmbeddedChunk]:
        """Vectors of every text, `chunk` texts at a time, each chunk yielded once, in any order."""

    def describe(self) -> dict:
        """What the manifest records of where the vectors were made (merged into the model's description)."""

    def close(self) -> None: ...


class LocalEngine:
    """The encoder in this process, chunk after chunk."""

    def __init__(self, encoder: Encoder, batch_size: int | None = None):
        self.encoder = encoder
        self.batch_size = batch_size or encoder.batch_size

    def embed(self, texts: list[str], chunk: int) -> Iterator[EmbeddedChunk]:
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            yield EmbeddedChunk(np.arange(start, start + len(part)), self.encoder.encode(part, batch_size=self.batch_size))

    def describe(self) -> dict:
        return {"engine": "local", "device": self.encoder.device}

    def close(self) -> None:
        pass


def open_engine(kind: str, model: str, device: str = "auto", ray_address: str | None = None,
                batch_size: int | None = None, encoder: Encoder | None = None,
                allow_download: bool = False) -> tuple[Encoder, Engine]:
    """The build's encoder (token counts, model identity, the cache key) and the engine that embeds with it.

    Opened before the corpus is read, so an unavailable device or an unreachable cluster stops the build at
    once. With Ray, the precision follows the workers' device (fp16 on their GPUs), so the vectors are
    cached under the key of what the workers make.
    """
    if kind == "local":
        encoder = encoder or load_encoder(model, device, allow_download=allow_download)
        return encoder, LocalEngine(encoder, batch_size)
    if kind == "ray":
        cluster = connect(ray_address)
        try:
            plan = cluster.plan(device)
            encoder = encoder or load_encoder(model, "cpu", choose_precision(plan.device), allow_download)
            return encoder, RayEngine(cluster, plan, encoder, batch_size or BATCH_SIZES[plan.device])
        except BaseException:
            cluster.close()
            raise
    raise RefrainError(f"unknown engine {kind!r}: use one of {', '.join(ENGINES)}")


# Ray

def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 (Ray Data is an extra of the ray package)
    except ImportError:
        raise RefrainError(f"--engine ray needs Ray with Ray Data, which is not installed: {RAY_INSTALL}") from None
    return ray


@dataclass(frozen=True)
class ActorPlan:
    device: str  # "cuda" or "cpu": what each actor embeds on
    actors: int  # the most actors the cluster holds at once
    cpus: float  # per actor
    gpus: float  # per actor


def plan_actors(resources: dict, wanted: str, address: str) -> ActorPlan:
    """GPU actors when the cluster has GPUs (unless --device cpu), else CPU actors; --device cuda insists."""
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
    if wanted == "mps":
        raise RefrainError("--engine ray embeds on CUDA GPUs or CPUs: use --device auto, cuda or cpu")
    if wanted == "cuda" and not gpus:
        raise RefrainError(f"--device cuda: the Ray cluster at {address} has no GPUs; use --device auto or cpu")
    if gpus and wanted in ("auto", "cuda"):
        return ActorPlan("cuda", gpus, 1, 1)
    if not cpus:
        raise RefrainError(f"the Ray cluster at {address} offers no CPUs to embed on")
    per_actor = min(CPUS_PER_ACTOR, cpus)
    return ActorPlan("cpu", cpus // per_actor, per_actor, 0)


class Cluster:
    """A connection to Ray: made here (and closed here), or found already made by the caller (and left open)."""

    def __init__(self, ray, address: str | None, owned: bool):
        self.ray = ray
        self.address = address or "a local Ray instance"
        self.owned = owned

    def plan(self, wanted: str) -> ActorPlan:
        return plan_actors(self.ray.cluster_resources(), wanted, self.address)

    def close(self) -> None:
        if self.owned and self.ray.is_initialized():
            self.ray.shutdown()


def connect(address: str | None) -> Cluster:
    """Join the cluster at `address`, or Ray's own choice without one: RAY_ADDRESS, then a cluster started on
    this machine by `ray start`, else a new local instance on this machine's cores."""
    ray = import_ray()
    if ray.is_initialized():
        return Cluster(ray, address, owned=False)
    _check_reachable(address or os.environ.get("RAY_ADDRESS"))
    try:
        # Uploading the `index` package is allowed only here, for the whole job: a caller who connected
        # already (a notebook, the tests) provides the package to the workers itself.
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False,
                 runtime_env={"env_vars": WORKER_ENV, "py_modules": [str(INDEX_PACKAGE)], "excludes": ["__pycache__"]})
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = ("" if os.environ.get("RAY_AUTH_MODE") else
                "; a cluster with token authentication (Ray's default) needs RAY_AUTH_MODE=token here and its token "
                "in ~/.ray/auth_token or RAY_AUTH_TOKEN")
        raise RefrainError(f"cannot connect to the Ray cluster at {address or os.environ.get('RAY_ADDRESS') or 'this machine'}: "
                           f"{_first_line(exc)}{hint}") from None
    return Cluster(ray, address, owned=True)


def _check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Ray retries an unreachable HOST:PORT for ever; a plain TCP connection answers in seconds."""
    if not address or ":" not in address:
        return  # Ray's own "auto" / "local" lookups, which fail fast themselves
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RefrainError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}): is `ray start --head` "
                           "running there, and is the port open?") from None


class RayEngine:
    def __init__(self, cluster: Cluster, plan: ActorPlan, encoder: Encoder, batch_size: int):
        self.cluster = cluster
        self.plan = plan
        self.model = encoder.name  # each worker resolves it itself (the model package, or the same path)
        self.precision = encoder.precision
        self.batch_size = batch_size
        _quiet(cluster.ray)

    def embed(self, texts: list[str], chunk: int) -> Iterator[EmbeddedChunk]:
        import pyarrow as pa

        ray = self.cluster.ray
        blocks = [pa.table({"row": pa.array(range(start, min(start + chunk, len(texts))), pa.int64()),
                            "text": pa.array(texts[start : start + chunk], pa.large_string())})
                  for start in range(0, len(texts), chunk)]
        dataset = ray.data.from_arrow(blocks)  # copied into Ray's object store
        del blocks
        dataset = dataset.map_batches(
            EmbedActor,
            batch_size=chunk,
            batch_format="numpy",
            fn_constructor_kwargs={"model": self.model, "device": self.plan.device, "precision": self.precision,
                                   "batch_size": self.batch_size},
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=self.plan.actors),
            num_cpus=self.plan.cpus,
            num_gpus=self.plan.gpus or None,
            runtime_env={"env_vars": WORKER_ENV},
        )
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                yield EmbeddedChunk(np.asarray(batch["row"], dtype=np.int64), np.asarray(batch["vector"], dtype=np.float32))
        except Exception as exc:
            raise _worker_error(exc) from None

    def describe(self) -> dict:
        return {"engine": "ray", "device": self.plan.device, "workers": self.plan.actors}

    def close(self) -> None:
        self.cluster.close()


class EmbedActor:
    """One model per actor, loaded once; each call embeds one block."""

    def __init__(self, model: str, device: str, precision: str, batch_size: int):
        from index.embed.encoder import load_encoder

        self.encoder = load_encoder(model, device, precision)
        self.encoder.dim  # load the weights now: a worker that cannot load them fails before any block
        self.batch_size = batch_size

    def __call__(self, batch: dict) -> dict:
        vectors = self.encoder.encode([str(t) for t in batch["text"]], batch_size=self.batch_size)
        return {"row": batch["row"], "vector": vectors}


def _quiet(ray) -> None:
    """The build draws its own embedding bar; Ray Data's bars and per-dataset log lines would interleave with it."""
    from ray.util.debug import log_once

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    log_once("ray_data_progress_manager_disabled")  # spends Ray's one "progress bars disabled" notice
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _worker_error(exc: BaseException) -> Exception:
    """A Refrain error raised on a worker (the model cannot load there, no CUDA there) as the one line it is;
    any other failure of the cluster as one line too, since the vectors committed so far are kept.

    An actor that fails while starting reaches the head as Ray's ActorDiedError, which keeps the worker's
    exception only as text (its traceback): the Refrain error is read from that text."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, RefrainError):
            return RefrainError(f"on a Ray worker: {current}")
        remote = _REMOTE_REFRAIN_ERROR.findall(str(current))
        if remote:
            return RefrainError(f"on a Ray worker: {remote[-1].strip()}")
        stack += [getattr(current, "cause", None), current.__cause__, current.__context__]
    if not _is_ray_error(exc):
        return exc
    return RefrainError(f"the Ray embedding stopped: {_first_line(exc)}. The vectors of every finished block are in "
                        "the embedding cache: build again to go on from there")


def _is_ray_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] == "ray"


def _first_line(exc: BaseException) -> str:
    text = _ANSI.sub("", str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
