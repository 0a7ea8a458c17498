"""The ``proscribe`` command-line tool (Typer + Rich)."""
