"""One flag per field of a run configuration dataclass, for the commands that take a configuration whole."""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import fields

from replearn_core.runs.config import field_help


def flag_type(hint) -> type:
    """int, float or str: what a flag's text is turned into, from the field's type (``int | None`` -> int)."""
    for kind in (bool, int, float):
        if hint is kind or kind in typing.get_args(hint):
            return str if kind is bool else kind
    return str


def config_flags(p, config: type, flag_help: dict[str, str] | None = None,
                 special: dict[str, Callable] | None = None) -> None:
    """``--field-name`` for every field of ``config``, typed from its annotation, its help the declared help of the
    field (or ``flag_help``'s line for it) with the default; a bool field gets ``--name`` and ``--no-name``.
    ``special[name](p, default)`` adds a field's flag itself (a comma-separated list, say)."""
    defaults = config()
    hints = typing.get_type_hints(config)
    for f in fields(config):
        default = getattr(defaults, f.name)
        if special and f.name in special:
            special[f.name](p, default)
            continue
        flag = "--" + f.name.replace("_", "-")
        text = (flag_help or {}).get(f.name) or field_help(config, f.name)
        help_text = f"{text} (default: {default})".replace("%", "%%")  # argparse reads %
        if isinstance(default, bool):
            p.add_argument(flag, dest=f.name, action="store_true", default=default, help=help_text)
            p.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name, action="store_false",
                           help=f"do not: {help_text}")
            continue
        p.add_argument(flag, dest=f.name, type=flag_type(hints[f.name]), default=default, help=help_text)
