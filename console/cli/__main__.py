"""`python -m console.cli`: the `bootimage` command."""

from console.cli import run

run()
