"""List sources: one small module per official list format.

Each module exposes ``FORMAT`` (the name used on the command line), ``DATASET`` (the
default dataset name), ``sniff(path) -> bool`` and ``read(path, ...) -> ParsedList``.
``proscribe.sources.formats`` ties them together and detects the format of a path.
"""
