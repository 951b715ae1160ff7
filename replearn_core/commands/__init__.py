"""Command-line commands, one module each (see replearn_core.cli)."""
