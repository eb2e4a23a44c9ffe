"""The CLI's output on the sample corpus (stand-in encoder), captured so a refactoring can prove it changed nothing.

`python tests/golden/capture.py` rewrites the stored copies; tests/test_output_stability.py compares a fresh
capture with them byte for byte, after masking what differs on every run (paths, timings, generation names).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MODEL = "builtin:hashing"
QUERY = "the people and the Party are united"

# name -> CLI arguments after the index folder's command; {DIR} is the index, {PID}/{DOC} filled from a search
COMMANDS = {
    "search.txt": ["search", "{DIR}", QUERY, "-k", "5"],
    "search.json": ["search", "{DIR}", QUERY, "-k", "5", "--level", "sentence", "--json"],
    "search-filtered.json": ["search", "{DIR}", QUERY, "-k", "3", "--from", "2022", "--json"],
    "similar.json": ["similar", "{DIR}", "{PID}", "-k", "5", "--json"],
    "phrase.txt": ["phrase", "{DIR}", "the people", "-k", "5"],
    "phrase.json": ["phrase", "{DIR}", "the people", "-k", "20", "--level", "sentence", "--json"],
    "document.json": ["document", "{DIR}", "{DOC}", "--json"],
    "recurring-sentence.txt": ["recurring", "{DIR}"],
    "recurring-sentence.json": ["recurring", "{DIR}", "--json"],
    "recurring-sentence.csv": ["recurring", "{DIR}", "--csv", "-"],
    "recurring-sentence-members.csv": ["recurring", "{DIR}", "--csv", "-", "--members"],
    "recurring-paragraph.json": ["recurring", "{DIR}", "--level", "paragraph", "--json"],
    "recurring-paragraph.txt": ["recurring", "{DIR}", "--level", "paragraph", "--sort", "first"],
    "recurring-phrase.json": ["recurring", "{DIR}", "--level", "phrase", "--json"],
    "recurring-phrase.csv": ["recurring", "{DIR}", "--level", "phrase", "--csv", "-"],
    "recurring-since.txt": ["recurring", "{DIR}", "--since", "2021", "--sort", "rising", "--from", "2019-06"],
    "phrases.json": ["phrases", "{DIR}", "--json"],
    "phrases.csv": ["phrases", "{DIR}", "--csv", "-"],
    "phrases.txt": ["phrases", "{DIR}", "--sort", "first", "--limit", "15"],
}
VOLATILE_KEYS = ("computed_at", "seconds", "generation")


def run(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "100"}  # tables fit the terminal: fix its width
    done = subprocess.run([sys.executable, "-m", "index", *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{args} exited {done.returncode}: {done.stderr}")
    return done.stdout


def mask(text: str, root: Path, corpus: Path) -> str:
    """Paths and per-run values replaced by placeholders; everything else kept as printed."""
    text = text.replace(str(root), "<DIR>").replace(str(corpus.resolve()), "<CORPUS>")
    for key in VOLATILE_KEYS:
        text = re.sub(rf'("{key}": )("[^"]*"|[0-9.]+)', r'\1"<masked>"', text)
    return text


def capture(corpus: Path, workdir: Path) -> dict[str, str]:
    """Build the sample corpus into workdir and return every command's masked output by file name."""
    root = workdir / "index"
    run("build", str(corpus), "--out", str(root), "--model", MODEL, "--quiet")
    first = json.loads(run("search", str(root), QUERY, "-k", "1", "--json"))[0]
    fill = {"{DIR}": str(root), "{PID}": first["passage_id"], "{DOC}": first["doc_id"]}
    return {name: mask(run(*[fill.get(a, a) for a in args]), root, corpus) for name, args in COMMANDS.items()}


def main() -> None:
    sys.path.insert(0, str(REPO))
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "explorer" / "sample" / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        outputs = capture(corpus, Path(tmp))
    for name, text in outputs.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="")
    print(f"wrote {len(outputs)} files to {HERE}")


if __name__ == "__main__":
    main()
