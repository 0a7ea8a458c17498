"""The entry point for ``spark-submit``: ``proscribe screen-file --engine spark`` as a Python file.

    spark-submit --master yarn "$(python -m proscribe.cli.spark_submit --path)" \\
        INPUT --out OUTPUT [screen-file options]

Every option of ``screen-file`` is accepted (``--db URL`` too, else PROSCRIBE_DB); the master and
the executors are spark-submit's. ``python -m proscribe.cli.spark_submit --path`` prints this
file's path, for the command line above.
"""

from __future__ import annotations

import sys


def arguments(argv: list[str]) -> list[str]:
    """The ``proscribe`` command line for spark-submit's arguments (``--db`` goes before the command)."""
    args = list(argv)
    root: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            root = [arg, args[i + 1]]
            del args[i : i + 2]
            break
        if arg.startswith("--db="):
            root = [arg]
            del args[i]
            break
    return [*root, "screen-file", *args, "--engine", "spark"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--path"]:
        print(__file__)
        return
    from proscribe.cli.app import app

    app(arguments(args), prog_name="spark-submit … spark_submit.py")


if __name__ == "__main__":
    main()
