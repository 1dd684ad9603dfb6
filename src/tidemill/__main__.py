"""`python -m tidemill` runs the CLI."""

from tidemill.cli import main

main()
