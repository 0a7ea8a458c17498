"""Screening: who on the lists may this person, organisation, vessel or aircraft be?

``Screener`` holds a matching index built from the store (cached per list version) and
answers single queries; ``proscribe.screening.batch`` screens whole files.
"""

from proscribe.matching.score import Query
from proscribe.screening.screener import DEFAULT_THRESHOLD, Hit, Screener

__all__ = ["DEFAULT_THRESHOLD", "Hit", "Query", "Screener"]
