"""proscribe: a sanctions program carried out end to end.

Data flows one way: list files (``proscribe.sources``) are parsed into FollowTheMoney
records, kept with their history in the store (``proscribe.store``), and read back by
the command-line tool (``proscribe.cli``). The ICC program registry
(``proscribe.registry``) is the project's own dataset, loaded like any other list.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    # one place for the version: pyproject.toml, read from the installed package's metadata
    __version__ = version("proscribe")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
