"""``python -m replearn_core teacher-password``: the hash to put in REPLEARN_TEACHER_PASSWORD_HASH."""

from __future__ import annotations

import getpass
import sys

HELP = "print the salted PBKDF2 hash of a teacher password, for REPLEARN_TEACHER_PASSWORD_HASH (classroom mode)"


def add_arguments(p) -> None:
    p.add_argument("--stdin", action="store_true", help="read the password from standard input instead of asking")


def run(args) -> int:
    from replearn_core.runs.access import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("teacher password: ")
        if getpass.getpass("again: ") != password:
            raise ValueError("the two passwords differ")
    if len(password) < 8:
        raise ValueError("use a password of at least 8 characters")
    print(hash_password(password))
    return 0
