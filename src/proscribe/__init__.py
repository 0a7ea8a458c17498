"""proscribe: a sanctions program carried out end to end.

Data flows one way: list files (``proscribe.sources``) are parsed into FollowTheMoney
records, kept with their history in the store (``proscribe.store``), and read back by
the command-line tool (``proscribe.cli``). The ICC program registry
(``proscribe.registry``) is the project's own dataset, loaded like any other list.
"""

__version__ = "0.1.0"
