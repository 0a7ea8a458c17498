"""Comparing a query with a listed entity: a calibrated score and the reasons for it.

Names first. The query's words are paired with a listed name's words, best pairs first (the same
word, then spelling variants, then typos, then initials; two neighbouring words may pair with one
word written together, Abdul Rahman / Abdulrahman). Each pair is **evidence** in proportion to how
rare the shared word is (``rarity``): a shared "Bensouda" says much more than a shared "Mohammed".
What is left over on either side is weighed by what it is:

* a listed **family name** left over is strong evidence against (another surname is another
  person), a listed **given name** left over less so, a listed **middle name** little (a customer
  record "Karim Khan" for the listed "Karim Asad Ahmad KHAN" is how people are written);
* an extra **query word** costs little (a middle name the list lacks, a post-nominal, a word of
  noise in a payment field: "KARIM ASAD AHMAD KHAN KC", "... PAYMENT REF");
* particles (al, bin, van) and legal forms (LLC, OOO) cost nothing either way.

Then everything else that is known (``facts``): birth dates graded by distance, country,
identifiers, gender. The final score is a logistic function of these features: an estimate of the
probability that the query is the listed entity, calibrated on real data (``bench/calibrate.py``;
docs/screening.md). A person is never a company: different kinds score 0.

The score is a monotone function of the evidence and of what is left over, so the index can bound
it from what it has seen of a name without comparing it (``ScoreBound``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from proscribe.matching import fast, rarity
from proscribe.matching.entities import ListedEntity, ListedName, core_positions
from proscribe.matching.facts import MAX_YEARS_APART, DateRelation, date_relation
from proscribe.matching.index import Expansion, Index
from proscribe.matching.normalize import digits_and_letters
from proscribe.matching.tokensim import INITIAL_SIMILARITY, token_similarity

#: two words written as one, against one word: they must be this alike (Jalaluddin / Jalal Aldyn
#: 0.9 and up), except where a romanisation decides the split (Arabic, Persian, Korean, Chinese)
JOINED_MIN_SIMILARITY = 0.88
#: an extra query word this rare (nats) counts as a whole extra word; commoner ones count less
EXTRA_WEIGHT = 6.0
#: evidence counts up to this many nats (a four-word name of rare words has about 25)
MAX_EVIDENCE = 20.0

# Calibration: logit = sum of coefficient x feature. Fitted with bench/calibrate.py on the dev split
# of the evaluation sets (docs/screening.md says how they are built); the signs are constrained so
# that more evidence never lowers a score and more left over never raises it (which the bound
# relies on).
COEF: dict[str, float] = {
    "intercept": -11.4,
    # evidence of the paired words, in tens of nats (capped at MAX_EVIDENCE)
    "evidence": 2.988,
    # share of the listed name's weight found in the query, and of the query's found in the name
    "listed_cover": 6.077,
    "query_cover": 2.55,
    # what is left over
    "miss_family": -1.693,
    "miss_given": -0.301,
    "miss_other": -0.418,
    "extra": -0.475,
    # extra query words and query cover left short (1 - query_cover) while listed name words are
    # missing too: one name written for another ("Ali Hassan KARIMI" for "Ali Hassan MAHMOUD"), not
    # a listed name with words around it ("Hadi DEHGHAN LAGOS PARIS", "QASEM David John SOLEIMANI").
    # Set, not fitted: a swap costs exactly what the last fit gave every extra word (intercept
    # -13.767, query_cover 4.917, extra -0.712); words around a person's fully paired name cost a
    # third less (a fit on log loss over every candidate keeps them as costly, and loses the
    # disguises of issue 9 at the default threshold; bench/calibrate.py --real --holdout).
    # 0.75 of the query's cover moved from "query_cover" (3.3 -> 2.55) into the intercept
    # (-12.15 -> -11.4) and "swap_uncovered" (-1.617 -> -2.367): a name fully covered and a swap
    # score as before, words around a person's fully paired name cost 0.75 less in the cover
    # (branch recall3, dev split: +8 disguises with two extra words, +3 false alerts)
    "swap_extra": -0.237,
    "swap_uncovered": -2.367,
    # sum over pairs of (1 - similarity): spelling variants and typos are a little less sure
    "fuzz": 0.0,
    # the listed name is a weak alias (OFAC's "low quality" a.k.a.) or a former name
    "weak_alias": -1.764,
    "previous_name": -0.554,
    "dob_match": 4.766,
    "dob_year": 0.386,
    "dob_near": 1.389,
    "dob_conflict": -2.193,
    # years apart of a conflicting birth date, in tens of years (capped at MAX_YEARS_APART)
    "dob_years": -1.033,
    "country_match": 2.156,
    "country_conflict": -1.199,
    # an identifier (passport, IMO number, registration) matching exactly is near-conclusive on
    # its own; few evaluation queries carry one, so this coefficient is set, not fitted
    "id_match": 18.5,
    # the lists rarely state a gender: set, not fitted
    "gender_conflict": -2.0,
}

#: features whose coefficient must not be negative, and those that must not be positive
POSITIVE_FEATURES = ("evidence", "listed_cover", "query_cover", "dob_match", "id_match", "country_match")
NEGATIVE_FEATURES = (
    "miss_family",
    "miss_given",
    "miss_other",
    "extra",
    "swap_extra",
    "swap_uncovered",
    "fuzz",
    "weak_alias",
    "previous_name",
    "dob_conflict",
    "dob_years",
    "country_conflict",
    "gender_conflict",
)
NAME_KIND_FEATURE = {"weak": "weak_alias", "previous": "previous_name"}


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Query:
    """What is known about the person or thing being screened."""

    name: str
    #: person, organization, vessel, aircraft; None when unknown (matches any kind)
    kind: str | None = None
    birth_date: str | None = None
    country: str | None = None
    id_number: str | None = None
    gender: str | None = None
    #: the caller's own id for the row, carried into results
    id: str | None = None


@dataclass
class TokenPair:
    query: str
    listed: str
    similarity: float
    how: str


@dataclass
class Slot:
    """One query word, or two neighbouring ones written together, with what it is alike to."""

    text: str
    positions: tuple[int, ...]
    weight: float
    expansion: Expansion


@dataclass
class Reading:
    """One reading of a query name, ready to be compared with listed names."""

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    roles: tuple[str, ...]
    script: str
    slots: list[Slot]
    #: the words are a person's surname after a title ("Mr Akbariana" in a remittance line): the
    #: listed given names are not stated, neither matched nor missing (``align``)
    surname: bool = False

    @property
    def abjad(self) -> bool:
        return self.script == "abjad"

    @classmethod
    def of(cls, index: Index, toks: tuple[str, ...], script: str, *, surname: bool = False) -> Reading:
        abjad = script == "abjad"
        weights = tuple(rarity.weight(t) for t in toks)
        slots = [Slot(t, (i,), weights[i], index.expand(t, abjad)) for i, t in enumerate(toks)]
        for i in range(len(toks) - 1):
            if len(toks[i]) > 1 and len(toks[i + 1]) > 1:
                joined = toks[i] + toks[i + 1]
                slots.append(
                    Slot(joined, (i, i + 1), weights[i] + weights[i + 1], index.expand(joined, abjad, True))
                )
        return cls(toks, weights, tuple(rarity.role(t) for t in toks), script, slots, surname)


@dataclass
class Alignment:
    """How a query reading lines up with one listed name, and the features that follow."""

    pairs: list[TokenPair]
    features: dict[str, float]
    #: rarity-weighted share of both names that paired (0..1), for display and ranking
    similarity: float
    #: query and listed words left over, for the explanation
    query_left: list[str]
    listed_left: list[str]
    #: listed words a title and a surname leave unstated (``addressed``), for the explanation
    unstated: list[str] = field(default_factory=list)


def _loose_join(reading: Reading, name: ListedName) -> bool:
    # romanisations of Arabic, Persian, Korean and Chinese decide where words split
    return reading.script in ("abjad", "cjk") or name.abjad


def align(index: Index, reading: Reading, name: ListedName, is_person: bool) -> Alignment:
    """Pair a query reading's words with one listed name's words, and compute the name features."""
    ltoks = name.tokens
    lweights = name.weights
    loose = _loose_join(reading, name)
    # listed slots: each word, and each neighbouring pair written together
    lslots: list[tuple[int, tuple[int, ...], float]] = [
        (v, (j,), lweights[j]) for j, v in enumerate(name.vids)
    ]
    lslots += [(v, (j, j + 1), lweights[j] + lweights[j + 1]) for j, v in enumerate(name.pair_vids)]
    ends = {0, len(ltoks) - 1} | set(name.family)
    cands: list[tuple[float, int, int, int, str]] = []
    for qi, slot in enumerate(reading.slots):
        exp = slot.expansion
        q_single = len(slot.positions) == 1
        q_initial = q_single and len(slot.text) == 1
        for li, (vid, lpos, _w) in enumerate(lslots):
            l_single = len(lpos) == 1
            if not q_single and not l_single:
                continue
            if q_initial:
                if not l_single:
                    continue
                lt = ltoks[lpos[0]]
                sim = INITIAL_SIMILARITY if lt[0] == slot.text else 0.0
                if len(lt) == 1:
                    sim = 1.0 if lt == slot.text else 0.0
                how = "same" if sim == 1.0 else "initial"
            else:
                sim = exp.get(vid, 0.0)
                if sim <= 0.0:
                    continue
                how = ""
            if sim <= 0.0:
                continue
            if (not q_single or not l_single) and sim < JOINED_MIN_SIMILARITY and not loose:
                continue
            # ties: single words before pairs, then the listed family name and ends first
            rank = (0 if q_single and l_single else 2) + (0 if any(p in ends for p in lpos) else 1)
            cands.append((sim, rank, qi, li, how))
    cands.sort(key=lambda c: (-c[0], c[1]))
    q_used: dict[int, float] = {}
    l_used: dict[int, float] = {}
    pairs: list[TokenPair] = []
    evidence = 0.0
    fuzz = 0.0
    # evidence credited to each listed position (a pair written together shares it by weight)
    at: dict[int, float] = {}
    # listed words paired with a query initial, and what they count for in the cover
    initialled: dict[int, float] = {}
    # what each paired query word weighs in the query's cover
    capped: dict[int, float] = {}
    for sim, _rank, qi, li, how in cands:
        slot = reading.slots[qi]
        vid, lpos, lw = lslots[li]
        if any(p in q_used for p in slot.positions) or any(p in l_used for p in lpos):
            continue
        for p in slot.positions:
            q_used[p] = sim
        for p in lpos:
            l_used[p] = sim
        ltext = index.vocab[vid] if len(lpos) == 1 else ltoks[lpos[0]] + ltoks[lpos[1]]
        if not how:
            how = token_similarity(slot.text, ltext, reading.abjad)[1] or "variant"
        sim_e = sim
        if len(slot.text) == 1 or len(ltext) == 1:
            letter = slot.text if len(slot.text) == 1 else ltext
            lw = min(lw, rarity.weight(letter))
            if len(slot.text) == 1 and len(lpos) == 1:
                # the query could say no more of this listed word than its initial: the word
                # counts in the listed name's cover as much as the initial can ("N. Guillou")
                initialled[lpos[0]] = lw
                if is_person and lpos[0] == 0 and 0 not in name.family:
                    # the initial of a person's given name adds its whole weight (what its
                    # letter says: its doubt is already in that weight); of any other word, an
                    # initial is less sure to stand for it ("G Abdullah" is not GELOWICZ)
                    sim_e = 1.0
        e = sim_e * min(slot.weight, lw)
        evidence += e
        # a word read off Arabic or Persian script and paired with a listed word weighs, in what the
        # query covers, no more than its partner: its skeleton is a spelling seen nowhere (amary for
        # AMMARI, syfy for SAIFI), not a rarer name. Never less than it would weigh unpaired (the
        # bound's least). Latin spellings keep their own weight: capped, they raised false alerts
        for p in slot.positions:
            wq = reading.weights[p]
            if reading.abjad:
                share = lw * wq / (slot.weight or 1.0)
                capped[p] = max(min(wq, share), min(wq, UNMATCHED_COVER_WEIGHT))
            else:
                capped[p] = wq
        for p in lpos:
            at[p] = e * (lweights[p] / (sum(lweights[x] for x in lpos) or 1.0))
        fuzz += 1.0 - sim
        pairs.append(TokenPair(slot.text, ltext, sim, how))
    if initialled and any(p.similarity < 1.0 for p in pairs if len(p.query) > 1 and len(p.listed) > 1):
        # an initial says one letter: it stands in the cover for a listed word only beside words
        # written exactly ("N. Guillou" for Nicolas GUILLOU). Beside a word only alike ("T Sakurai"
        # for Tarek SAKR, Sakurai/Sakr a shared skeleton), the listed word counts in full
        initialled = {}
    # listed words left over; a repeated word that paired elsewhere is not left over
    matched_words = {ltoks[j] for j in l_used}
    listed_left = [j for j in range(len(ltoks)) if j not in l_used and ltoks[j] not in matched_words]
    unstated = addressed(reading, name, is_person, l_used)
    if unstated:
        listed_left = [j for j in listed_left if j not in unstated]
    counted = [j for j in range(len(ltoks)) if j in l_used or j in listed_left]
    l_total = sum(lweights[j] for j in counted) or 1.0
    # a person's listed name is covered by its ends: the given name and the family name; a middle
    # name missing costs a fixed little (miss_other), however rare it is
    core = set(core_positions(name, is_person))
    if is_person and any(j in l_used for j in name.family):
        # a family name of several words (a Spanish paternal and maternal surname, an Arabic chain
        # of names) is often written with one of them: "Nicolas MADURO" for "MADURO MOROS,
        # Nicolas". Once one is matched the others are like middle names (``core_floor``).
        core -= {j for j in name.family if j not in l_used}
    core -= unstated
    core_total = sum(initialled.get(j, lweights[j]) for j in counted if j in core) or 1.0
    qweights = reading.weights
    q_total = (
        sum(capped[p] if p in q_used else min(w, UNMATCHED_COVER_WEIGHT) for p, w in enumerate(qweights))
        or 1.0
    )
    features: dict[str, float] = {}
    features["evidence"] = min(evidence, MAX_EVIDENCE) / 10.0
    features["listed_cover"] = min(1.0, sum(e for j, e in at.items() if j in core) / core_total)
    features["query_cover"] = min(1.0, evidence / q_total)
    left_names = [j for j in listed_left if rarity.role(ltoks[j]) == "name"]
    miss_family = miss_given = 0
    if is_person and len(ltoks) > 1:
        family = set(name.family)
        if family:
            if not any(j in l_used for j in family) and any(j in left_names for j in family):
                miss_family = 1
        elif (len(ltoks) - 1) in left_names:
            miss_family = 1
        if 0 not in family and 0 in left_names:
            miss_given = 1
    others = len(left_names) - miss_family - miss_given
    if is_person and miss_family and name.family:
        others -= sum(1 for j in name.family if j in left_names) - 1
    if unstated:
        # a title and a surname leave the given name unstated: it costs what a given name missing
        # costs, though it weighs nothing in the cover ("Mr Chan" says less than "Eric CHAN")
        miss_given = 1
    features["miss_family"] = miss_family
    features["miss_given"] = miss_given
    features["miss_other"] = max(0, others)
    q_words = set(reading.tokens[p] for p in q_used)
    extra = [
        i
        for i, t in enumerate(reading.tokens)
        if i not in q_used and reading.roles[i] == "name" and t not in q_words
    ]
    features["extra"] = sum(extra_weight(reading.weights[i]) for i in extra)
    name_words = sum(1 for t in ltoks if rarity.role(t) == "name")
    if left_names or not is_person or name_words < 2:
        # words on both sides left over: a swap, which says more against than words only added.
        # A word added to an organisation's name is another organisation (NORTHERN SAVINGS BANK is
        # not SAVING BANK), and a listed name of one word inside a longer query explains little
        # of it ("Ghalia Mohammed" for the alias "Mohammad"): they count so too.
        features["swap_extra"] = features["extra"]
        features["swap_uncovered"] = 1.0 - features["query_cover"]
    else:
        # a person's listed name of two words or more, all paired: only the shortfall of the
        # paired words themselves (spelling variants, typos) costs as much as in a swap, not the
        # words around them
        paired = sum(capped[p] for p in q_used) or 1.0
        features["swap_uncovered"] = max(0.0, 1.0 - min(1.0, evidence / paired))
    features["fuzz"] = fuzz
    kind_feature = NAME_KIND_FEATURE.get(name.kind)
    if kind_feature:
        features[kind_feature] = 1.0
    similarity = evidence / max(l_total, q_total)
    return Alignment(
        pairs,
        features,
        min(1.0, similarity),
        [reading.tokens[i] for i in extra],
        [ltoks[j] for j in left_names],
        [ltoks[j] for j in sorted(unstated)],
    )


def addressed(reading: Reading, name: ListedName, is_person: bool, l_used: dict[int, float]) -> set[int]:
    """The listed words a title and a surname leave unstated: a person's given and middle names,
    when the query is a surname after a title (``Reading.surname``) and pairs with the listed family
    name (the words the list gives as the last name, or else the last word). Nothing otherwise.

    "Mr Akbariana" says who is meant as far as the surname can: the listed given name is neither
    matched nor missing, and the score rests on how rare the surname is."""
    n = len(name.tokens)
    if not (reading.surname and is_person and n > 1):
        return set()
    family = set(name.family) or {n - 1}
    # the query's words must all be the family name's: "Mr Jose Castillo" is a given name and a
    # surname, not the double surname of Orlando Jose CASTILLO CASTILLO
    if not l_used or not all(j in family for j in l_used):
        return set()
    return {j for j in range(n) if j not in family and j not in l_used}


#: a query word that pairs with no word of the listed name counts at most this much (nats) in what
#: the query covers: a word that is in no name table ("PAYMENT", "REF", "KC") weighs as much as the
#: rarest name, and would otherwise hide a whole listed name behind it; ``extra`` still counts it
UNMATCHED_COVER_WEIGHT = 3.0


def extra_weight(weight: float) -> float:
    """How much an extra query word counts: a full word from EXTRA_WEIGHT nats up, a common one less
    ("GLOBAL", "TRADING", "PAYMENT" say little about who is meant)."""
    return min(1.0, weight / EXTRA_WEIGHT)


def fact_features(query: Query, entity: ListedEntity) -> tuple[dict[str, float], DateRelation]:
    """Birth date, country, identifier and gender features of a query against one listed entity."""
    f: dict[str, float] = {}
    rel = date_relation(query.birth_date, entity.birth_dates)
    if rel.kind == "match":
        f["dob_match"] = 1.0
    elif rel.kind == "year":
        f["dob_year"] = 1.0
    elif rel.kind == "near":
        f["dob_near"] = 1.0
    elif rel.kind == "conflict":
        f["dob_conflict"] = 1.0
        f["dob_years"] = min(rel.years, MAX_YEARS_APART) / 10.0
    if query.country and entity.countries:
        f["country_match" if query.country.lower() in entity.countries else "country_conflict"] = 1.0
    if query.id_number and digits_and_letters(query.id_number) in entity.identifiers:
        f["id_match"] = 1.0
    if query.gender and entity.gender and query.gender != entity.gender:
        f["gender_conflict"] = 1.0
    return f, rel


def fact_logit(features: dict[str, float]) -> float:
    return sum(COEF[k] * v for k, v in features.items())


class ScoreBound:
    """The highest logit a listed name can reach from what the index has seen of it.

    ``evidence`` is an upper bound of the pairs' evidence (the sum, over the query's slots, of the
    best each could add to the name); ``core_total`` the weight of the name's core words (its
    distinct ones: see ``core_positions``); ``unreached`` the extra-word weight of the query's name
    words that reached it through no slot (they cannot pair, so they are extra words). Everything
    else counts at its most favourable value. The score is monotone in each, so the bound is sound.
    """

    def __init__(self, reading: Reading) -> None:
        # the least the query's words can weigh in ``query_cover`` (every word unmatched)
        self.q_total = sum(min(w, UNMATCHED_COVER_WEIGHT) for w in reading.weights) or 1.0
        self.base = COEF["intercept"]
        initials = [t for t in reading.tokens if len(t) == 1]
        # a query initial pairs with a listed word through no index entry, adding at most its weight
        self.initial_bonus = sum(rarity.weight(t) for t in initials)
        # a listed word paired with an initial counts in the cover as little as the initial
        # (``align``), so the name's core weight bounds nothing then: the cover may reach 1; so too
        # when a surname after a title leaves the given names unstated
        self.surname = bool(reading.surname)
        self.initials = bool(initials) or self.surname
        #: each letter of the query's initials: how many times, and what one weighs
        self.letters: dict[str, tuple[int, float]] = {}
        for t in initials:
            n, w = self.letters.get(t, (0, rarity.weight(t)))
            self.letters[t] = (n + 1, w)

    def initials_for(self, tokens: tuple[str, ...]) -> float:
        """The most the query's initials can add to a listed name of these words: an initial
        pairs with one listed word that starts with its letter, each listed word with one
        query word, and adds at most its own weight (``align``)."""
        found = 0.0
        for letter, (n, w) in self.letters.items():
            starting = sum(1 for t in tokens if t[0] == letter)
            found += min(n, starting) * w
        return found

    def __call__(
        self,
        evidence: float,
        core_total: float,
        unreached: float,
        facts: float,
        tokens: tuple[str, ...] | None = None,
    ) -> float:
        """With the listed name's ``tokens``, the initials count only as far as they can pair with
        its words (the bound is tighter; without them, as if each paired)."""
        bonus, initials = self.initial_bonus, self.initials
        if tokens is not None and self.letters:
            bonus = self.initials_for(tokens)
            # no initial pairs: no listed word counts as little as an initial in the cover (but a
            # surname after a title still leaves the given names unstated)
            initials = bonus > 0.0 or self.surname
        ev = evidence + bonus
        return (
            self.base
            + COEF["evidence"] * min(ev, MAX_EVIDENCE) / 10.0
            + COEF["listed_cover"] * (1.0 if initials else min(1.0, ev / (core_total or 1.0)))
            + COEF["query_cover"] * min(1.0, ev / self.q_total)
            + COEF["extra"] * unreached
            + facts
        )


@dataclass
class Comparison:
    """A query against one listed entity: the score, the evidence, the explanation.

    The explanation is written only when asked for: most comparisons score below the threshold
    and nobody reads them.
    """

    entity: ListedEntity
    score: float
    name_score: float
    matched_name: ListedName | None
    pairs: list[TokenPair] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    query: Query | None = None
    dates: DateRelation = field(default_factory=lambda: DateRelation(""))
    #: why the comparison stopped before names were compared, if it did
    note: str = ""
    query_left: list[str] = field(default_factory=list)
    listed_left: list[str] = field(default_factory=list)
    #: for a name found in free text: the words of the text that matched
    window: str | None = None
    #: the calibrated score, before an exact listed name lifted it to ``EXACT_NAME_SCORE``
    calibrated: float | None = None
    #: listed words a title and a surname leave unstated (``addressed``)
    unstated: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        if self.note or self.query is None:
            return [self.note] if self.note else []
        q, e, f = self.query, self.entity, self.features
        out: list[str] = []
        if self.matched_name is not None:
            detail = ", ".join(
                f"{p.query}={p.listed}" + ("" if p.how == "same" else f" ({p.how} {p.similarity:.2f})")
                for p in self.pairs
            )
            name = self.matched_name
            line = f"name {q.name!r} ~ {name.kind} {name.text!r} {self.name_score:.2f} [{detail}]"
            if self.listed_left:
                line += f"; listed words not in the query: {', '.join(self.listed_left)}"
            if self.query_left:
                line += f"; query words not in the listed name: {', '.join(self.query_left)}"
            if self.unstated:
                line += f"; a title and a surname: listed given names not stated ({', '.join(self.unstated)})"
            out.append(line)
        listed_dates = ", ".join(e.birth_dates)
        d = self.dates
        if d.kind == "match":
            out.append(f"birth date {q.birth_date} agrees")
        elif d.kind == "year":
            out.append(f"birth date {q.birth_date} agrees with {listed_dates} as far as given")
        elif d.kind == "near":
            out.append(
                f"birth date {q.birth_date} is close to {listed_dates} (a slip lowers the score a little)"
            )
        elif d.kind == "conflict":
            out.append(
                f"birth date {q.birth_date} conflicts with {listed_dates} "
                f"({d.years:.0f} year{'s' if d.years != 1 else ''} apart)"
            )
        if "country_match" in f:
            out.append(f"country {q.country} agrees")
        elif "country_conflict" in f:
            out.append(f"country {q.country} not among {', '.join(sorted(e.countries))}")
        if "id_match" in f:
            out.append(f"identifier {q.id_number} matches")
        if "gender_conflict" in f:
            out.append(f"gender {q.gender} differs from {e.gender}")
        return out

    def explanation(self) -> str:
        return "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "name_score": round(self.name_score, 4),
            "matched_name": self.matched_name.text if self.matched_name else None,
            "matched_name_kind": self.matched_name.kind if self.matched_name else None,
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "explanation": self.explanation(),
        }


#: a listed name written exactly (``Index.exact_names``), with no fact against it, scores at least this
#: (the default threshold): "Stephen LO" or "Ahmad AL-'ABD" is common enough that the calibrated
#: score stays under 0.3, but a name exactly as listed goes to a person (OFAC FAQ 5: check it
#: against the other information the list gives), whatever the rarity of its words
EXACT_NAME_SCORE = 0.3
#: the facts that speak against a match: with one of them an exact name is left to its score
CONFLICTS = ("dob_conflict", "country_conflict", "gender_conflict")


def name_logit(features: dict[str, float]) -> float:
    return COEF["intercept"] + sum(COEF[k] * v for k, v in features.items())


def compare(
    index: Index,
    query: Query,
    reading: Reading,
    entity_idx: int,
    name_ids: list[int],
    drop_below: float | None = None,
) -> Comparison | None:
    """The query (one reading of its name) against one listed entity's candidate names.

    ``drop_below``: a comparison scoring under this is not wanted; None is returned for it (and
    the pairs and explanation of a name that cannot reach it are never made)."""
    entity = index.entities[entity_idx]
    if query.kind and query.kind != entity.kind:
        if drop_below is not None and drop_below > 0.0:
            return None
        return Comparison(entity, 0.0, 0.0, None, note=f"a {query.kind} is never a {entity.kind}")
    facts, rel = fact_features(query, entity)
    is_person = entity.kind == "person"
    # the name logit under which the comparison cannot reach ``drop_below`` (with a margin: the
    # score itself decides below), unless an exact name could lift it to EXACT_NAME_SCORE
    name_floor = -math.inf
    if drop_below is not None and drop_below > 0.0:
        exact_ids = index.exact_names(reading.tokens)
        if drop_below > EXACT_NAME_SCORE or not any(nid in exact_ids for nid in name_ids):
            name_floor = logit(drop_below) - fact_logit(facts) - 1e-6
    # each candidate name aligned (``align``), the one of highest ``name_logit`` kept: compiled
    # when the extension is built (``fast``), the same loop in Python otherwise
    best: Alignment | None
    best, best_nid, best_logit = fast.best_alignment(index, reading, name_ids, is_person, name_floor)
    if best is None and best_nid >= 0:
        return None  # under name_floor: cannot reach drop_below
    best_name: ListedName | None = index.names[best_nid] if best is not None else None
    features: dict[str, float] = dict(best.features) if best is not None else {}
    features.update(facts)
    total = (best_logit if best is not None else COEF["intercept"]) + fact_logit(facts)
    score = calibrated = sigmoid(total)
    if score < EXACT_NAME_SCORE and not any(facts.get(k) for k in CONFLICTS):
        exact = set(index.exact_names(reading.tokens))
        if any(nid in exact for nid in name_ids):
            score = EXACT_NAME_SCORE
    if drop_below is not None and score < drop_below:
        return None
    return Comparison(
        entity,
        score,
        best.similarity if best else 0.0,
        best_name,
        best.pairs if best else [],
        features,
        query,
        rel,
        query_left=best.query_left if best else [],
        listed_left=best.listed_left if best else [],
        calibrated=calibrated,
        unstated=best.unstated if best else [],
    )
