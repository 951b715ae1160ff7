"""``python -m replearn_core COMMAND ...``: everything the pages do, from a terminal.

Each command lives in ``replearn_core/commands/<name>.py`` with ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; adding a command is one file
and one line in :data:`COMMANDS`. A command that takes settings also has ``validate(args)``: the checked
settings (a run configuration), or a ValueError naming the bad value; it runs nothing and stores nothing.
:func:`parse_and_validate` is the part of :func:`main` before anything runs: bad input there, whether the
flags' syntax or a value out of range, is one ``error:`` line on stderr and exit status 2, never a traceback.
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
    "incremental": "replearn_core.commands.incremental",
    "teacher-password": "replearn_core.commands.teacher_password",
}


def one_line(text) -> str:
    """``text`` as one printable line: a newline, a carriage return or a terminal escape sequence in a value a
    user typed (a folder name, a recipe) is shown escaped, so an error cannot forge or hide lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class InputRefused(SystemExit):
    """Bad input, already answered with one ``error:`` line: exit status 2."""

    def __init__(self):
        super().__init__(2)


class Parser(argparse.ArgumentParser):
    """argparse, with its error (an unknown flag, ``--epochs x``) kept to one line after the usage."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = Parser(prog="python -m replearn_core", description="replearn: a lab for representation learning.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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


def refuse(exc: BaseException) -> None:
    """Print bad input as one ``error:`` line (a KeyError's own text, not its repr)."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    print(f"error: {one_line(message)}", file=sys.stderr)


def parse_and_validate(argv: list[str] | None = None, built: tuple | None = None):
    """The parsed arguments of ``argv`` with the command's checked settings in ``args.config`` (None for a
    command without settings), or SystemExit(2) after one ``error:`` line; nothing runs and nothing is stored.

    ``built``: a :func:`build_parser` result to reuse. Returns ``(args, module)``; ``module`` is None when no
    command was given.
    """
    parser, modules = built or build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        return args, None
    module = modules[args.command]
    validate = getattr(module, "validate", None)
    try:
        args.config = validate(args) if validate is not None else None
    except (ValueError, TypeError, KeyError, FileNotFoundError) as exc:  # a value a user gave, refused
        refuse(exc)
        raise InputRefused() from None
    return args, module


def main(argv: list[str] | None = None) -> int:
    built = build_parser()
    try:
        args, module = parse_and_validate(argv, built)
    except InputRefused:
        return 2
    if module is None:
        built[0].print_help()
        return 2
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except StoreUnavailable as exc:  # a full disk, a database held by another program: what to do, no traceback
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, FileNotFoundError) as exc:
        # bad input found while running (a run id that does not exist, a damaged file): one clear line
        refuse(exc)
        return 2
