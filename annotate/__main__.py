"""`python -m annotate` runs the command line."""

from .cli import cli

cli(prog_name="annotate")
