"""`python -m invsync_local serve [--port N]` runs the stack locally; `demo` and `bench` too."""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import signal
import sys
import threading
from typing import Sequence

_DELEGATES = {
    "demo": ("invsync_local.demo", "main", "the end-to-end demo"),
    "bench": ("invsync_local.bench", "main", "the benchmarks"),
}


def _serve(args: argparse.Namespace) -> int:
    from .runtime import LocalRuntime

    logging.basicConfig(
        level=os.environ.get("INVSYNC_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logging.getLogger("invsync_local").info("received %s; shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    runtime = LocalRuntime(args.project_root, port=args.port)
    try:
        runtime.start()
    except OSError as exc:
        print(f"cannot start the local runtime: {exc} (is port {args.port} in use? set PORT)", file=sys.stderr)
        return 1
    try:
        print("inventory-sync local runtime (Ctrl-C to stop)\n" + runtime.describe(), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        runtime.stop()
    print("stopped", flush=True)
    return 0


def _delegate(command: str, rest: Sequence[str]) -> int:
    module_name, function_name, what = _DELEGATES[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"{what} ({module_name}) is not available in this checkout yet", file=sys.stderr)
            return 2
        raise
    main = getattr(module, function_name, None)
    if main is None:
        print(f"{module_name} has no {function_name}() yet", file=sys.stderr)
        return 2
    takes_args = bool(inspect.signature(main).parameters)
    result = main(list(rest)) if takes_args else main()
    return result if isinstance(result, int) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m invsync_local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run API, embedded AWS, pollers, schedules and simulators")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")), help="API port (default $PORT or 3000)")
    serve.add_argument("--project-root", default=None, help="folder holding template.yaml (default: found from cwd)")
    for command, (_, _, what) in _DELEGATES.items():
        commands.add_parser(command, help=f"run {what}", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "serve":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return _serve(args)
    return _delegate(args.command, rest)


if __name__ == "__main__":
    sys.exit(main())
