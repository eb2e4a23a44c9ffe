"""`explore`: start the Streamlit explorer on an index (the bundled sample when none is named).

The explorer is a separate package (explorer/); this command only starts it, so the library never imports it.
It binds to 127.0.0.1 unless --address says otherwise, wherever it is started from.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from index.errors import RefrainError

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501


def register(sub) -> None:
    e = sub.add_parser("explore", help="open the explorer (Streamlit) on an index, or on the bundled sample",
                       description="Start the Refrain explorer in the browser. Without --index it opens the bundled "
                                   "sample corpus, building its index on first start.")
    e.add_argument("--index", metavar="DIR", help="the index to explore (default: the bundled sample)")
    e.add_argument("--model", metavar="NAME", help="refuse an index built with another model")
    e.add_argument("--address", default=DEFAULT_ADDRESS, help=f"address to listen on (default {DEFAULT_ADDRESS}: this machine only)")
    e.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    e.add_argument("--headless", action="store_true", help="do not open a browser tab")
    e.set_defaults(run=cmd_explore)


def streamlit_command(args) -> list[str]:
    """The `python -m streamlit run` command line that serves the explorer with these options."""
    spec = importlib.util.find_spec("explorer")
    if spec is None or not spec.origin:
        raise RefrainError("the explorer package is not installed; install Refrain with: pip install -e .")
    app = Path(spec.origin).parent / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               f"--server.address={args.address}", f"--server.port={args.port}",
               "--browser.gatherUsageStats=false", "--server.runOnSave=false"]
    if args.headless:
        command.append("--server.headless=true")
    app_args = []
    if args.index:
        app_args += ["--index", str(Path(args.index).expanduser().resolve())]
    if args.model:
        app_args += ["--model", args.model]
    return command + (["--", *app_args] if app_args else [])


def cmd_explore(args) -> int:
    if not importlib.util.find_spec("streamlit"):
        raise RefrainError("streamlit is not installed; install Refrain's requirements (bash scripts/install.sh)")
    command = streamlit_command(args)
    for name in ("REFRAIN_INDEX", "REFRAIN_SAMPLE_INDEX", "REFRAIN_CACHE"):  # relative to where the user is
        if os.environ.get(name):
            os.environ[name] = str(Path(os.environ[name]).expanduser().resolve())
    os.chdir(Path(command[4]).parent)  # Streamlit reads the explorer's theme from ./.streamlit/config.toml
    print(f"Refrain explorer: http://{args.address}:{args.port}", file=sys.stderr)
    os.execv(command[0], command)  # the server replaces this process: Ctrl-C stops it as usual
    return 0
