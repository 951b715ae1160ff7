"""``python -m replearn_core COMMAND ...``: everything the pages do, from a terminal.

Each command lives in ``replearn_core/commands/<name>.py`` with ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; adding a command is one file
and one line in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from replearn_core.storage_errors import StoreUnavailable

COMMANDS = {
    "train": "replearn_core.commands.train",
    "runs": "replearn_core.commands.runs",
    "project": "replearn_core.commands.project",
    "transfer": "replearn_core.commands.transfer",
    "cyclegan": "replearn_core.commands.cyclegan",
    "translate": "replearn_core.commands.translate",
    "adapt": "replearn_core.commands.adapt",
    "teacher-password": "replearn_core.commands.teacher_password",
}


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(prog="python -m replearn_core",
                                     description="replearn: a lab for representation learning.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, path in COMMANDS.items():
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
            continue  # a command whose module is not there yet is simply not offered
        modules[name] = module
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except StoreUnavailable as exc:  # a full disk, a database held by another program: what to do, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, FileNotFoundError) as exc:
        # bad input: one clear line, no traceback
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2
