"""`python -m console.cli`: the `bootimage` command."""

from console.cli.program import run

run()
