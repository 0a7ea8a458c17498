"""Issue 9, classes 2, 3, 7 and 8, on the real OFAC 2021 and UN 2026 lists and the ICC registry: words
of noise around a listed name, a listed person named by an initial and a surname in free text, names
in their original script and weak aliases, and other names that share a spelling key.

The examples are listed persons of the benchmark's dev split with the noise it adds (payment words,
places, post-nominals, given names) that the matcher used to lose (``bench/realbench.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from proscribe.enforcement.payments import decide
from proscribe.enforcement.policy import preset
from proscribe.matching import rarity
from proscribe.matching.normalize import tokens
from proscribe.matching.tokensim import token_similarity
from proscribe.payments import parse_text
from proscribe.screening import DEFAULT_THRESHOLD, Query, Screener

PAYMENTS = Path(__file__).parent / "fixtures" / "payments"
AT = datetime(2025, 9, 1, 14, 0, tzinfo=UTC)


def score_of(screener: Screener, query: Query, source_id: str) -> float:
    found = [c.score for c in screener.compare_all(query) if c.entity.source_id == source_id]
    return max(found, default=0.0)


def deployed(screener: Screener, name: str, source_id: str) -> bool:
    """Found by the search as deployed: pruned at the default threshold, among the five best."""
    return any(h.source_id == source_id for h in screener.screen(Query(name), limit=5))


# --- class 2: words of noise around a listed name ---------------------------------------------------


def test_post_nominals_are_dropped_wherever_they_stand() -> None:
    assert tokens("QC Lin Na WEI") == tokens("Lin Na WEI")
    assert tokens("HAJI JR MUHAMMAD ASHRAF") == tokens("HAJI MUHAMMAD ASHRAF")
    assert tokens("Ahmad AL-'ABD MOSCOW QC") == tokens("Ahmad AL-'ABD MOSCOW")
    # not a word that can be a name: Md is how Bangladesh writes Mohammed
    assert tokens("Md Abdur RAHMAN") == ("md", "abdur", "rahman")


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        ("Hadi DEHGHAN LAGOS PARIS", "27160"),
        ("QASEM David John SOLEIMANI", "10481"),
        ("QC Lin Na WEI", "30224"),
        ("HAJI JR MUHAMMAD ASHRAF", "QDi.265"),
    ],
)
def test_words_around_a_listed_name_do_not_hide_it(screener: Screener, name: str, source_id: str) -> None:
    assert deployed(screener, name, source_id), name


def test_a_name_written_for_another_still_costs(screener: Screener) -> None:
    """Words added around a listed name cost less than words written instead of the listed ones:
    "Hadi KARIMI" is not Hadi DEHGHAN, and scores far below "Hadi DEHGHAN LAGOS"."""
    added = score_of(screener, Query("Hadi DEHGHAN LAGOS", kind="person"), "27160")
    swapped = score_of(screener, Query("Hadi KARIMI LAGOS", kind="person"), "27160")
    assert added >= DEFAULT_THRESHOLD
    assert swapped < 0.05


# --- class 8: an initial and a surname in free text -------------------------------------------------


def test_an_initial_weighs_what_its_letter_says() -> None:
    """M starts about one name in ten, N one in 27, Q one in 200 (capped: an initial is not a name)."""
    assert rarity.weight("m") < rarity.weight("n") < rarity.weight("q") <= rarity.INITIAL_MAX_WEIGHT
    assert rarity.weight("m") >= rarity.INITIAL_WEIGHT


def test_an_initial_and_the_surname_in_remittance_text_alert(screener: Screener) -> None:
    """The judge designated in August 2025, by his initial, in a payment's remittance line."""
    hits = screener.screen_text("Fees for services to Mr N. Guillou")
    assert [h.source_id for h in hits][:1] == ["icc-guillou-nicolas"]
    assert hits[0].query_name == "Mr N. Guillou"
    # another initial is another person
    other = screener.compare_text("Fees for services to Mr A. Guillou")
    assert all(c.score < DEFAULT_THRESHOLD for c in other if c.entity.source_id == "icc-guillou-nicolas")


def test_one_word_of_text_is_not_an_exact_name(screener: Screener) -> None:
    """A vessel listed as DANIEL is not named by a payment to Mr Daniel Arques Rubio; "Daniel" alone,
    as a name, still goes to a person (the exact-name floor)."""
    text = "Transfer to Mr Daniel Arques Rubio re invoice 34353"
    assert not [h for h in screener.screen_text(text) if h.source_id == "15903"]
    assert score_of(screener, Query("DANIEL"), "15903") >= DEFAULT_THRESHOLD


def test_a_payment_naming_the_judge_by_his_initial_is_not_let_through(screener: Screener) -> None:
    """The payment remittance path reads the same words: the line is a mention, so the payment is
    held for a person to decide (OFAC FAQ 36), not passed."""
    text = (PAYMENTS / "mt103_innocent.fin").read_text(encoding="utf-8")
    [innocent] = parse_text(text, "innocent")
    assert decide(innocent, screener, policy=preset("us-bank"), at=AT).decision == "pass"
    text = text.replace(":70:INVOICE 2025-117 SPARE PARTS", ":70:Fees for services to Mr N. Guillou")
    [message] = parse_text(text, "initial")
    d = decide(message, screener, policy=preset("us-bank"), at=AT)
    assert d.decision == "hold"
    assert [(h.source, h.entity_id) for h in d.hits] == [("free_text", "icc-guillou-nicolas")]


# --- class 3 and 7: what is a spelling variant and what is another name -----------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mahmoud", "mohamed"),  # محمود and محمد: two names, one consonant skeleton
        ("mahmud", "muhammad"),
        ("mohamud", "mohamed"),  # Somali Mohamud is Mahmud
        ("hassan", "hussein"),  # حسن and حسين
        ("hasan", "husayn"),
        ("maher", "mehri"),  # the key mhr, the vowels elsewhere
        ("braguine", "boyarkin"),
        ("klyuka", "gilka"),
        ("aly", "al"),  # علي read off Arabic script is not the article
        ("allah", "al"),
    ],
)
def test_other_names_are_not_spelling_variants(a: str, b: str) -> None:
    assert token_similarity(a, b) == (0.0, ""), (a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mohamed", "muhammad"),
        ("mahamed", "muhammad"),
        ("mehmood", "mahmud"),
        ("hussein", "husayn"),
        ("hassen", "hassan"),
        ("kobaisi", "kubaysi"),
        ("droukdel", "dourkdal"),
        ("aly", "ali"),
        ("jwady", "djouadi"),
    ],
)
def test_spellings_of_one_name_stay_variants(a: str, b: str) -> None:
    abjad = a in ("aly", "jwady")
    assert token_similarity(a, b, abjad)[0] >= 0.8, (a, b)


@pytest.mark.parametrize(
    "name",
    [
        # real people on no list (FIDE-rated chess players, bench/realsources.py) who alerted through
        # a false variant: Maher/MEHRI, Braguine/BOYARKIN, Klyuka/GILKA, Mahmoud/Mohammed
        "Mahdi Maher",
        "Victor Braguine",
        "Sergey Klyuka",
        "mahmoud Moustafa",
        "Samad Mahmoodi",
        "Nasir Uddin Mahmood",
    ],
)
def test_no_false_alert_through_another_name_with_the_same_skeleton(screener: Screener, name: str) -> None:
    assert screener.screen(Query(name, kind="person")) == [], name


# --- class 3: names in their original script, and weak aliases written exactly ------------------------


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        # UN names in Arabic and Persian script against the OFAC listing of the same person
        ("علي برزان إبراهيم حسن التكريتي", "8186"),  # علي was paired with the "al" of AL-TIKRITI
        ("سيفي عماري", "8104"),  # amary weighed as an unseen name, more than AMMARI
        ("تورک آغا", "18688"),
        ("يحيى جوادي", "QDi.249"),  # jwady / DJOUADI: dj is one letter
        # OFAC's weak aliases ("low quality" a.k.a.s) that the UN lists as names, written exactly
        ("Abu Obaida", "9616"),
        ("Farhan Khan", "QDi.289"),
    ],
)
def test_cross_publisher_names_alert(screener: Screener, name: str, source_id: str) -> None:
    assert score_of(screener, Query(name), source_id) >= DEFAULT_THRESHOLD, name


def test_a_one_word_weak_alias_is_not_an_exact_name(screener: Screener) -> None:
    """Written exactly, a weak alias of two words or more reaches the exact-name floor; one word
    (HAMBALI) says too little to."""
    assert score_of(screener, Query("Abu Obaida"), "9616") == pytest.approx(0.3)
    assert score_of(screener, Query("Hambali"), "7328") < DEFAULT_THRESHOLD


# --- initials and numerals ------------------------------------------------------------------------


def test_a_regnal_numeral_is_not_an_initial() -> None:
    assert tokens("Farouk I") == ("farouk",)
    assert tokens("Ali I.") == ("ali", "i")
    assert tokens("John I. Smith") == ("john", "i", "smith")


@pytest.mark.parametrize(
    "text",
    [
        # an initial beside a surname only alike to the listed one (Alhasan/ALIHASAN, Hamdoun/HAMADOUN)
        "Fees for services to Mr A. Alhasan",
        "Fees for services to Mr K. Hamdoun",
    ],
)
def test_an_initial_beside_a_word_only_alike_does_not_cover_a_given_name(
    screener: Screener, text: str
) -> None:
    assert screener.screen_text(text) == [], text


# --- branch recall3: titles, a surname after a title, nisbas, words around a name --------------------


def test_a_dotted_title_is_not_two_initials() -> None:
    """H.E. (His or Her Excellency) before a name is a title, not the initials H and E; J. R. stay
    initials."""
    assert tokens("H.E. Lin Na WEI") == tokens("Lin Na WEI")
    assert tokens("H. E. Lin Na WEI") == tokens("Lin Na WEI")
    assert tokens("J. R. Firth") == ("j", "r", "firth")


def test_a_title_before_a_listed_name_does_not_hide_it(screener: Screener) -> None:
    # a disguise of the dev split that scored 0.10 when H and E were read as initials
    assert deployed(screener, "H.E. Lin Na WEI", "30224")


@pytest.mark.parametrize(
    ("text", "source_id", "window"),
    [
        # remittance lines of the dev split naming a listed person by title and surname (issue 9,
        # class 8): a rare surname, a double surname
        ("Consulting fees Mr Akbariana 40046", "29829", "Mr Akbariana"),
        ("Consulting fees Mrs Fernandez Valencia 52616", "17849", "Mrs Fernandez Valencia"),
    ],
)
def test_a_title_and_a_rare_listed_surname_in_free_text_alert(
    screener: Screener, text: str, source_id: str, window: str
) -> None:
    hits = screener.screen_text(text)
    assert [h.source_id for h in hits][:1] == [source_id], text
    assert hits[0].query_name == window
    assert "listed given names not stated" in hits[0].explanation


@pytest.mark.parametrize(
    "text",
    [
        # a common surname after a title names nobody in particular
        "Consulting fees Mr Kim 80157",
        "Consulting fees Mr Chan 24292",
        # a given name and a surname after a title are not a double surname: Orlando Jose CASTILLO
        # CASTILLO is not named by "Mr Jose Castillo" (a free-text line of a non-listed person)
        "Transfer to Mr Jose Castillo re invoice 45127",
    ],
)
def test_a_title_and_a_common_surname_do_not_alert(screener: Screener, text: str) -> None:
    assert screener.screen_text(text) == [], text


def test_a_surname_without_a_title_is_read_as_before(screener: Screener) -> None:
    """Only a title makes the given names unstated: the surname alone keeps its usual score."""
    titled = max(c.score for c in screener.compare_text("Consulting fees Mr Akbariana 40046"))
    bare = max((c.score for c in screener.compare_text("Consulting fees Akbariana 40046")), default=0.0)
    assert bare < DEFAULT_THRESHOLD <= titled


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mohammadi", "mohammed"),
        ("hasani", "hasan"),
        ("sadeghi", "sadeq"),
        ("shami", "shamin"),
        ("sadi", "sadiq"),
    ],
)
def test_a_nisba_is_not_a_spelling_of_its_name(a: str, b: str) -> None:
    sim, how = token_similarity(a, b)
    assert how == "nisba" and sim < 0.7, (a, b)


@pytest.mark.parametrize(
    "name",
    [
        # real people on no list (dev split) who alerted through a nisba read as a variant:
        # Mohammadi/MOHAMMED, AlKurdi/AL-KURD, Anwar/ANWARI, Hasani/HASAN
        "Saeid Mohammadi",
        "Ahmad AlKurdi",
        "Anwar Mohammad",
        "Ali Hasani",
    ],
)
def test_no_false_alert_through_a_nisba(screener: Screener, name: str) -> None:
    assert screener.screen(Query(name, kind="person")) == [], name


def test_a_nisba_with_a_birth_date_still_finds_the_person(screener: Screener) -> None:
    """Qasim SULAYMAN (OFAC) is the UN's QASEM SOLEIMANI: a nisba pair weighs little, but with the
    listed birth date it still alerts on the UN listing."""
    hits = screener.screen(Query("Qasim SULAYMAN", kind="person", birth_date="1957-03-11"))
    assert "IRi.039" in [h.source_id for h in hits]


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        # disguises of the dev split: two words of noise around a listed person's name of two words
        ("Simo ZARIC GENEVA INVOICE", "7814"),
        ("James TRUST Murad AS'AD", "22154"),
        ("Tomislav KOVAC Elena PARIS", "8117"),
    ],
)
def test_two_words_around_a_listed_name_do_not_hide_it(screener: Screener, name: str, source_id: str) -> None:
    assert deployed(screener, name, source_id), name
