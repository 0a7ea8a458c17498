"""How much screening work one request may ask for, checked before any scoring starts.

Scoring a name costs time in proportion to its words and the names it is compared with; without
bounds, one request with thousands of names or a 100,000-word name held the server for a minute.
The bounds (``ServiceConfig``, ``PROSCRIBE_MAX_*``) are far above any real name: the longest names
on the OFAC, UN, EU and UK lists have under 200 characters and 30 words.

A name too long or with too many words, or a query with too many names: 422. A request whose
names add up to more than the total: 413. Each answer says which bound and where.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import HTTPException


@dataclass(frozen=True)
class Bounds:
    #: characters in one name
    name_chars: int = 400
    #: words (whitespace-separated tokens) in one name
    name_tokens: int = 40
    #: names (name, alias, or first and last names joined) in one /match query
    names_per_query: int = 20
    #: names over the whole request (all the queries of a /match batch)
    names_per_request: int = 500

    def check_name(self, name: str, where: str) -> None:
        """422 when ``name`` (at ``where``, e.g. ``query 'k1': name 2``) is out of bounds."""
        if len(name) > self.name_chars:
            raise HTTPException(
                422, f"{where} has {len(name)} characters; at most {self.name_chars} are screened"
            )
        tokens = len(name.split())
        if tokens > self.name_tokens:
            raise HTTPException(422, f"{where} has {tokens} words; at most {self.name_tokens} are screened")

    def check_query(self, key: str, names: Iterable[str]) -> int:
        """Check the names of one /match query; their number."""
        count = 0
        for count, name in enumerate(names, start=1):
            if count > self.names_per_query:
                raise HTTPException(
                    422,
                    f"query {key!r}: more than {self.names_per_query} names; split it into several queries",
                )
            self.check_name(name, f"query {key!r}: name {count}")
        return count

    def check_total(self, total: int) -> None:
        if total > self.names_per_request:
            raise HTTPException(
                413,
                f"the request has {total} names; at most {self.names_per_request} in one request "
                "(send the rest in further requests, or as a batch file to /api/screen/batch)",
            )
