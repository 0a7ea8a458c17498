"""How much a word of a name says about who someone is: its rarity, from a fixed table.

A shared "Mohammed" or "Smith" says little, a shared "Bensouda" a lot. The weight of a word is
-ln p, where p is how common the word is among listed names and in the population's names
(``bench/rarity.py`` builds the table, ``data/rarity.tsv.gz``, once, from a fixed reference). It
does not depend on which lists are loaded: the same pair of names gets the same score with the ICC
registry alone as with OFAC, UN and the registry together.

Some words weigh less than their rarity: particles (al, bin, van) join a name to the next word,
a legal form (LLC, OOO) says almost nothing about which company, and a single letter is an
initial, which says as much as the share of names starting with that letter.
"""

from __future__ import annotations

import gzip
import math
from functools import lru_cache
from importlib.resources import files

from proscribe.matching.normalize import is_legal_form, is_particle, key

#: share of its rarity a particle keeps (al, bin, van, de)
PARTICLE_FACTOR = 0.3
#: ...and a company's legal form (ltd, llc, ooo)
LEGAL_FORM_FACTOR = 0.1
#: the least an initial (one letter) weighs, and the weight of one that is not a letter
INITIAL_WEIGHT = 1.5
#: the most an initial weighs, however few names start with its letter (X, Q): an initial is
#: read off a longer word, and stands for any name with that letter
INITIAL_MAX_WEIGHT = 4.0


class _Table:
    def __init__(self) -> None:
        self.words: dict[str, float] = {}
        self.keys: dict[str, float] = {}
        self.names = 1
        raw = files("proscribe.matching").joinpath("data/rarity.tsv.gz").read_bytes()
        for line in gzip.decompress(raw).decode("utf-8").splitlines():
            if line.startswith("#names\t"):
                self.names = int(line.split("\t")[1])
                continue
            kind, text, weight = line.split("\t")
            (self.words if kind == "t" else self.keys)[text] = float(weight)
        # a word seen nowhere: as if seen half a time among the reference's names
        self.unseen = math.log(self.names / 0.5)
        # an initial says as much as the share of names starting with its letter: M (Mohammed,
        # Maria) about one in ten, N one in 27, Q one in 200
        share: dict[str, float] = {}
        for text, w in self.words.items():
            if len(text) > 1 and text[0].isalpha():
                share[text[0]] = share.get(text[0], 0.0) + math.exp(-w)
        total = sum(share.values()) or 1.0
        self.initials = {
            ch: min(INITIAL_MAX_WEIGHT, max(INITIAL_WEIGHT, -math.log(p / total))) for ch, p in share.items()
        }


@lru_cache(maxsize=1)
def table() -> _Table:
    return _Table()


@lru_cache(maxsize=200_000)
def rarity(token: str) -> float:
    """-ln of how common the word is (nats), before the particle/legal-form/initial discounts."""
    t = table()
    found = t.words.get(token)
    if found is not None:
        return found
    # an unseen spelling of a common name is common (Muhamad): its key says so
    return min(t.unseen, t.keys.get(key(token), t.unseen))


def initial_weight(letter: str) -> float:
    """How much an initial says (nats): -ln of the share of names that start with its letter."""
    return table().initials.get(letter, INITIAL_WEIGHT)


@lru_cache(maxsize=200_000)
def weight(token: str) -> float:
    """How much a shared token says about identity (nats, after discounts)."""
    if len(token) == 1:
        return initial_weight(token)
    w = rarity(token)
    if is_particle(token):
        return w * PARTICLE_FACTOR
    if is_legal_form(token):
        return w * LEGAL_FORM_FACTOR
    return w


def role(token: str) -> str:
    """'initial', 'particle', 'legal' or 'name': what a token is in a name."""
    if len(token) == 1:
        return "initial"
    if is_particle(token):
        return "particle"
    if is_legal_form(token):
        return "legal"
    return "name"
