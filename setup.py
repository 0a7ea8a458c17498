"""Builds the optional C extension of the matcher (everything else is in pyproject.toml).

``proscribe.matching._speedups`` is the matcher's hot path in C. It is optional: when no C compiler
is available, or the build fails, the package installs without it and ``proscribe.matching.fast``
uses the pure-Python code, which gives the same scores (docs/decisions.md).
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """A build_ext that warns instead of failing: the extension only makes screening faster."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers...
            print(f"proscribe: the C speedups were not built ({exc}); using pure Python", file=sys.stderr)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"proscribe: {ext.name} was not built ({exc}); using pure Python", file=sys.stderr)


extensions = []
if os.environ.get("PROSCRIBE_PURE_PYTHON") != "1":
    extensions.append(
        Extension(
            "proscribe.matching._speedups",
            ["src/proscribe/matching/_speedups.c"],
            # no fused multiply-add: the same float operations as the Python code, bit for bit
            extra_compile_args=["-O2", "-ffp-contract=off"] if os.name != "nt" else [],
            optional=True,
        )
    )
    # word similarity (tokensim.token_similarity) and the vocabulary scan of Index.expand
    extensions.append(
        Extension(
            "proscribe.matching._tokensim",
            ["src/proscribe/matching/_tokensim.c"],
            extra_compile_args=["-O2", "-ffp-contract=off"] if os.name != "nt" else [],
            optional=True,
        )
    )

setup(ext_modules=extensions, cmdclass={"build_ext": OptionalBuildExt})
