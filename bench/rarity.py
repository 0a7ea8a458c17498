"""Build the matcher's fixed table of how common each name word is.

Run ``python bench/rarity.py``: it writes ``src/proscribe/matching/data/rarity.tsv.gz``, which is
committed and shipped with the package. The matcher weighs each word of a name by how rare it is
(a shared "Mohammed" says little, a shared "Bensouda" a lot). That rarity used to be counted over
whatever lists were loaded, so the same pair of names scored 0.92 with the ICC registry alone and
0.85 with OFAC and UN loaded. It is now read from this table, built once from a fixed reference, so a
score means the same thing whatever is loaded.

The reference is two kinds of counts, and a word's frequency is the higher of the two:

* **listed names**: every name (primary, alias, weak alias, former name) of the OFAC SDN list of
  July 2021, the UN consolidated list of February 2026 and the ICC registry, tokenised as the
  matcher does; a word's frequency is the share of names that hold it. These are the names
  screening is about, and they are heavy in Arabic, Persian, Russian and Korean names.
* **the population's names**: Faker's given-name and family-name tables for every locale it has
  (census-weighted where Faker has weights, as for en_US; otherwise each name in a locale's table
  counts as one of at least 500 common names). A word common anywhere (Smith, Garcia, Nguyen, Wang) is
  common, even if no listed name holds it.

Spellings of one name share their commonness: a word is at least a quarter as common as all the
listed words with its spelling key together, for keys of three consonants or more (Muhamad is
nearly as ordinary as Mohammed). Words seen nowhere get the
weight of a word seen half a time among the listed names.

Format: a header line ``#names<TAB>N``, then ``t<TAB>token<TAB>weight`` and ``k<TAB>key<TAB>weight``
lines, weights in nats (-ln p), two decimals.
"""

from __future__ import annotations

import gzip
import importlib
import math
import pkgutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from proscribe.matching.entities import KIND_OF_SCHEMA, NAME_KINDS  # noqa: E402
from proscribe.matching.normalize import key, tokens  # noqa: E402
from proscribe.registry import load_registry  # noqa: E402
from proscribe.sources.formats import read_list  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "proscribe" / "matching" / "data" / "rarity.tsv.gz"
#: a spelling key's frequency counts this much for each of its spellings
KEY_SHARE = 0.25
#: ...for keys of at least this many letters (short keys join unrelated names: Gil, Gul, Kyle)
MIN_KEY = 3
#: an unweighted table of names counts as at least this many names
MIN_TABLE = 500


def listed_names() -> list[tuple[str, bool]]:
    records = list(read_list(DATA / "ofac-sdn-2021-07").records)
    records += read_list(DATA / "un-2026-02" / "consolidated.xml").records
    records += load_registry().to_parsed_list().records
    out: list[tuple[str, bool]] = []
    for rec in records:
        target = rec.target
        is_org = KIND_OF_SCHEMA.get(target.schema.name, "organization") != "person"
        for prop, _ in NAME_KINDS:
            if prop in target.schema.properties:
                out.extend((text, is_org) for text in target.get(prop))
    return out


def faker_shares() -> dict[str, float]:
    """token -> the highest share of people in any Faker locale whose given or family name it is."""
    import faker.providers.person as person

    best: dict[str, float] = defaultdict(float)
    for mod in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{mod.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            table = getattr(provider, attr, None)
            if not table or not isinstance(table, (dict, list, tuple)):
                continue
            if isinstance(table, dict):
                total = float(sum(table.values())) or 1.0
                items = [(n, w / total) for n, w in table.items()]
            else:
                # an unweighted table lists a locale's common names: each is one of at least
                # MIN_TABLE (a table of two names does not make each of them half the population)
                items = [(n, 1.0 / max(len(table), MIN_TABLE)) for n in table]
            for name, share in items:
                for tok in tokens(str(name)):
                    if len(tok) > 1:
                        best[tok] = max(best[tok], share)
    return dict(best)


def main() -> None:
    names = listed_names()
    df: Counter[str] = Counter()
    for text, is_org in names:
        df.update(set(tokens(text, is_org=is_org)))
    n = len(names)
    p: dict[str, float] = {t: c / n for t, c in df.items()}
    for tok, share in faker_shares().items():
        p[tok] = max(p.get(tok, 0.0), share)
    by_key: dict[str, float] = defaultdict(float)
    for tok, c in df.items():
        k = key(tok)
        if len(k.lstrip("V")) >= MIN_KEY:
            by_key[k] += c / n
    floor = 0.5 / n
    rows = []
    for tok, prob in p.items():
        prob = max(prob, KEY_SHARE * by_key.get(key(tok), 0.0), floor)
        rows.append(f"t\t{tok}\t{-math.log(min(prob, 1.0)):.2f}")
    for k, prob in by_key.items():
        if k:
            rows.append(f"k\t{k}\t{-math.log(min(max(KEY_SHARE * prob, floor), 1.0)):.2f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # a fixed mtime: the same inputs give the same bytes
    raw = (f"#names\t{n}\n" + "\n".join(sorted(rows)) + "\n").encode()
    with open(OUT, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    print(f"{OUT}: {len(p):,} words, {len(by_key):,} keys, from {n:,} listed names", file=sys.stderr)


if __name__ == "__main__":
    main()
