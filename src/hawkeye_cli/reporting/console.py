"""The two consoles: results go to stdout (pipeable), progress and errors to stderr."""

from rich.console import Console

stdout = Console()
stderr = Console(stderr=True)
