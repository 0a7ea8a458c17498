"""Evaluation sets for screening, built deterministically from the real lists in shared/data.

Run ``python bench/evalsets.py``: it imports the OFAC SDN (July
2021) and UN consolidated (February 2026) snapshots into ``var/bench/store.db`` once, then writes
one JSON-lines file per set under ``var/bench/`` (gitignored: never commit them). Every query
carries ``split``: ``dev`` (for calibration, ``bench/calibrate.py``) or ``test`` (for the figures
``bench/screening.py`` reports). The split is a hash of the listed entity behind the query (of
its cross-list group, see below), so no listed entity has queries in both splits.

Sets (all seeded; the same data gives the same files):

``variants``  real name variants taken from the lists themselves
  * ``alias``: a strong alias (``alias``/``previousName``) of a listed entity, in Latin script.
    The index holds that alias, so this mostly measures retrieval and the score of an alias.
  * ``script``: every name a listing writes in a non-Latin script (UN original-script names:
    Arabic, Cyrillic, Chinese), screened against the ``latin`` index, i.e. the same lists with
    every non-Latin name removed: the query has to find the entity through its Latin names,
    as when a customer's name is written in Arabic and the list has only a romanisation.
  * ``script`` with ``origin: synth``: the lists carry no Korean and almost no Chinese person
    names, so for DPRK persons (nationality kp) we write the Latin name in Hangul (a reverse
    McCune-Reischauer table of our own, family name first), for Chinese persons (nationality
    cn) in Han characters (reverse pinyin; the characters are chosen by the same ICU
    transliteration the matcher uses, so this tests segmentation and name order, not the
    choice of reading) and for Russian/Ukrainian/Belarusian persons in Cyrillic (reverse
    BGN/PCGN). They are reported apart from the real (``origin: list``) names.
  * ``crosslist``: the Latin name of a UN listing screened against the ``ofac`` index (OFAC
    alone); the expected hit is the same person's OFAC listing, two independent romanisations
    of one name. UN and OFAC listings are linked as the same entity when they share an
    identifier (>= 6 characters) or, for the same kind, a full birth date and >= 2 folded name
    tokens of >= 4 letters. Linking never looks at the query's spelling.
  For every positive query a hit on the expected entity, or on an entity linked with it, counts.
``noisy``  one realistic corruption of a listed primary name: a typo (insertion, deletion,
  substitution or transposition in one token of >= 5 letters, never the first letter), the
  name parts reordered (``LAST First`` / ``First LAST`` / ``LAST, First``), a middle given name dropped
  (never a part the list marks as family name: "Jose de Jesus AMEZCUA CONTRERAS" keeps both surnames),
  an honorific added, or for organisations the legal form swapped (LLC <-> Limited Liability
  Company ...) or added.
``negatives``  names that are on no list, made with Faker in 26 locales (persons and companies,
  half of them with a birth date and a country); a generated name whose folded, sorted tokens
  equal those of any listed name is removed.
``dob_conflict``  a listed person with a known birth date, screened by the exact primary name
  with a birth date >= 3 years away from every listed one: a namesake, who must not alert.
``common_names``  a probe, not a set: very common names ("Mohammed Ali") and how many listings
  each one alerts on.

Positive queries carry the listing's birth date (30 %), country (30 %) and an identifier (10 %)
when the listing has one, so that the calibration sees those features.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from rigour.text import ascii_text

from proscribe.sources.base import Record
from proscribe.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "var" / "bench"
SEED = 20260227
SETS = ("variants", "noisy", "negatives", "dob_conflict")
OFAC, UN = "us_ofac_sdn", "un_sc_sanctions"

COMMON_NAMES = (
    "Mohammed",
    "Muhammad",
    "Ali",
    "Mohammed Ali",
    "Muhammad Khan",
    "Ali Hassan",
    "Ahmed Ali",
    "Abdul Rahman",
    "Abdullah",
    "Hassan",
    "Hussein",
    "Omar",
    "Ahmad Shah",
    "Abu Bakr",
    "Kim",
    "Li Wei",
    "Jose Garcia",
    "Maria Rodriguez",
    "John Smith",
    "Ivan Ivanov",
    "Mohammad Reza",
    "Abdul Karim",
)


# -- the store ---------------------------------------------------------------------------------------


def open_store() -> Store:
    """The bench's own store (OFAC 2021 + UN 2026 + the ICC registry), imported on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "store.db"
    fresh = not path.exists()
    store = Store.open(f"sqlite:///{path}")
    if fresh:
        ofac, un = DATA / "ofac-sdn-2021-07", DATA / "un-2026-02" / "consolidated.xml"
        try:
            store.import_path(ofac, as_of=date(2021, 7, 1))
            store.import_path(un)
        except Exception as exc:  # a format module being rewritten: go through the readers
            print(f"(import_path failed: {exc}; using the readers)", file=sys.stderr)
            from proscribe.sources import ofac_csv, un_xml

            store.apply(ofac_csv.read(ofac), as_of=date(2021, 7, 1))
            store.apply(un_xml.read(un))
    return store


def is_target(record: Record) -> bool:
    return record.dataset in (OFAC, UN)


# -- scripts -----------------------------------------------------------------------------------------


@lru_cache(maxsize=50_000)
def script_of(text: str) -> str | None:
    """The script most letters of ``text`` are written in (Latin, Arabic, Cyrillic, Han, Hangul, ...)."""
    counts: Counter[str] = Counter()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        first = name.split(" ")[0] if name else "OTHER"
        if first == "CJK":
            first = "HAN"
        counts[first] += 1
    if not counts:
        return None
    top = counts.most_common(1)[0][0]
    return {"HANGUL": "Hangul", "HAN": "Han", "CJK": "Han"}.get(top, top.capitalize())


def non_latin(text: str) -> bool:
    s = script_of(text)
    return s is not None and s != "Latin"


# -- the indexes a query runs against ----------------------------------------------------------------

NAME_PROPS = ("name", "alias", "weakAlias", "previousName")


def latin_only(record: Record) -> Record:
    """The record without the names it writes in a non-Latin script."""
    target = record.target.clone()
    for prop in NAME_PROPS:
        if prop not in target.schema.properties:
            continue
        for value in list(target.get(prop)):
            if non_latin(value):
                target.remove(prop, value)
    return Record(record.dataset, record.source_id, target, record.adjacent)


def records_for(index: str, records: list[Record]) -> list[Record]:
    """The records behind each named index: ``full`` (as deployed), ``latin``, ``ofac``."""
    if index == "full":
        return records
    if index == "latin":
        return [latin_only(r) for r in records]
    if index == "ofac":
        return [r for r in records if r.dataset == OFAC]
    raise ValueError(index)


# -- helpers -----------------------------------------------------------------------------------------


def split_of(key: str) -> str:
    return "dev" if int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


def rng_for(*parts: object) -> random.Random:
    return random.Random(hashlib.sha1("|".join(map(str, (SEED, *parts))).encode()).hexdigest())


_WORD = re.compile(r"[a-z0-9]+")


def folded_tokens(text: str) -> list[str]:
    """A matcher-independent normal form: ASCII-folded, lower-case alphanumeric tokens."""
    return _WORD.findall(ascii_text(text).lower())


def fold_key(text: str) -> str:
    return " ".join(sorted(folded_tokens(text)))


def props(record: Record, prop: str) -> list[str]:
    t = record.target
    return sorted(t.get(prop)) if prop in t.schema.properties else []


KIND = {"Person": "person", "Vessel": "vessel", "Airplane": "aircraft"}


def kind_of(record: Record) -> str:
    return KIND.get(record.target.schema.name, "organization")


@dataclass
class Listing:
    record: Record
    entity_id: str
    kind: str
    birth_dates: tuple[str, ...]
    countries: tuple[str, ...]
    identifiers: tuple[str, ...]
    group: str  # the split key: the smallest entity id among the listings linked with this one
    linked: tuple[str, ...]


def listings(records: list[Record]) -> dict[str, Listing]:
    """Every OFAC/UN listing with the facts the sets need, and UN <-> OFAC links (same entity)."""
    # imported here, not at the top: bench/realsets.py uses this module's helpers and must keep
    # working whatever the matcher's internals become
    from proscribe.matching.entities import listed_from_record

    out: dict[str, Listing] = {}
    tokens_of: dict[str, set[str]] = {}
    for rec in records:
        if not is_target(rec):
            continue
        ent, _ = listed_from_record(rec, 0)
        eid = ent.entity_id
        out[eid] = Listing(
            rec,
            eid,
            ent.kind,
            ent.birth_dates,
            tuple(sorted(ent.countries)),
            tuple(sorted(ent.identifiers)),
            eid,
            (),
        )
        toks: set[str] = set()
        for p in ("name", "alias", "previousName"):
            for v in props(rec, p):
                toks.update(t for t in folded_tokens(v) if len(t) >= 4)
        tokens_of[eid] = toks
    by_ident: dict[str, set[str]] = defaultdict(set)
    by_dob: dict[str, set[str]] = defaultdict(set)
    for eid, lst in out.items():
        if lst.record.dataset != OFAC:
            continue
        for ident in lst.identifiers:
            if len(ident) >= 6:
                by_ident[ident].add(eid)
        for d in lst.birth_dates:
            if len(d) == 10:
                by_dob[d].add(eid)
    links: dict[str, set[str]] = defaultdict(set)
    for eid, lst in out.items():
        if lst.record.dataset != UN:
            continue
        found: set[str] = set()
        for ident in lst.identifiers:
            found |= by_ident.get(ident, set())
        for d in lst.birth_dates:
            for other in by_dob.get(d, ()):
                if out[other].kind == lst.kind and len(tokens_of[eid] & tokens_of[other]) >= 2:
                    found.add(other)
        for other in found:
            links[eid].add(other)
            links[other].add(eid)
    # groups: connected components of the links
    for eid in out:
        if eid not in links:
            continue
        seen, stack = {eid}, [eid]
        while stack:
            for nxt in links[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[eid].group = min(seen)
        out[eid].linked = tuple(sorted(seen - {eid}))
    return out


def query(
    set_name: str,
    qid: str,
    lst: Listing | None,
    name: str,
    *,
    kind: str | None,
    index: str = "full",
    expected: Iterable[str] = (),
    birth_date: str | None = None,
    country: str | None = None,
    id_number: str | None = None,
    split_key: str | None = None,
    **label: Any,
) -> dict[str, Any]:
    return {
        "qid": qid,
        "set": set_name,
        "split": split_of(split_key or (lst.group if lst else qid)),
        "name": name,
        "kind": kind,
        "birth_date": birth_date,
        "country": country,
        "id_number": id_number,
        "index": index,
        "expected": sorted(expected),
        "source": lst.record.target.caption if lst else None,
        "label": label,
    }


def with_facts(rng: random.Random, lst: Listing) -> dict[str, Any]:
    """Birth date (30 %), country (30 %), identifier (10 %) of the listing, when it has them."""
    facts: dict[str, Any] = {"birth_date": None, "country": None, "id_number": None}
    if lst.birth_dates and rng.random() < 0.3:
        facts["birth_date"] = rng.choice(lst.birth_dates)
    if lst.countries and rng.random() < 0.3:
        facts["country"] = rng.choice(lst.countries)
    if lst.identifiers and rng.random() < 0.1:
        facts["id_number"] = rng.choice(lst.identifiers)
    return facts


# -- synthesised original-script names ---------------------------------------------------------------

_MR_INITIALS = [  # longest first
    ("tch", 8),
    ("kk", 1),
    ("tt", 4),
    ("pp", 8),
    ("ss", 10),
    ("jj", 13),
    ("ch", 14),
    ("kh", 15),
    ("th", 16),
    ("ph", 17),
    ("k", 0),
    ("g", 0),
    ("n", 2),
    ("t", 3),
    ("d", 3),
    ("r", 5),
    ("l", 5),
    ("m", 6),
    ("p", 7),
    ("b", 7),
    ("s", 9),
    ("j", 12),
    ("h", 18),
    ("", 11),
]
_MR_VOWELS = [  # o/u stand for o/eo and u/eu in ASCII-written McCune-Reischauer; see _EO
    ("yae", 3),
    ("wae", 10),
    ("yai", 3),
    ("ae", 1),
    ("ya", 2),
    ("yo", 12),
    ("ye", 7),
    ("wa", 9),
    ("oe", 11),
    ("wo", 14),
    ("we", 15),
    ("wi", 16),
    ("yu", 17),
    ("ui", 19),
    ("a", 0),
    ("o", 8),
    ("e", 5),
    ("u", 13),
    ("i", 20),
]
_MR_FINALS = [("ng", 21), ("k", 1), ("n", 4), ("l", 8), ("m", 16), ("p", 17), ("t", 19), ("", 0)]
# McCune-Reischauer syllables whose o is eo (어/여) in the names on the lists
_EO = {
    "jong",
    "chol",
    "song",
    "myong",
    "yong",
    "hyon",
    "kyong",
    "hyok",
    "chon",
    "ryong",
    "son",
    "won",
    "kwon",
    "chong",
    "yon",
    "ryon",
    "hon",
    "kon",
    "mong",
    "pong",
    "sop",
    "sok",
    "pom",
    "tok",
    "chok",
    "hyong",
    "ryol",
    "sol",
    "yop",
    "bom",
    "rok",
}


def hangul_syllable(syl: str) -> str | None:
    syl = syl.lower()
    for ini, ci in _MR_INITIALS:
        if not syl.startswith(ini):
            continue
        rest = syl[len(ini) :]
        for vow, vi in _MR_VOWELS:
            if not rest.startswith(vow):
                continue
            tail = rest[len(vow) :]
            for fin, fi in _MR_FINALS:
                if tail == fin:
                    v = vi
                    if syl in _EO and vow in ("o", "yo"):
                        v = 4 if vow == "o" else 6  # 어 / 여
                    if syl in ("choe",):
                        v = 11
                    return chr(0xAC00 + (ci * 21 + v) * 28 + fi)
    return None


def to_hangul(family: list[str], given: list[str]) -> str | None:
    """A DPRK name in Hangul, family name first, no spaces (as Korean writes it)."""
    out = []
    for tok in [*family, *given]:
        for syl in re.split(r"[-\s]+", tok):
            if not syl:
                continue
            h = hangul_syllable(re.sub(r"[^a-z]", "", syl.lower()))
            if h is None:
                return None
            out.append(h)
    return "".join(out) if len(out) >= 2 else None


_HAN_SURNAMES = {
    "li": "李",
    "wang": "王",
    "zhang": "张",
    "liu": "刘",
    "chen": "陈",
    "yang": "杨",
    "huang": "黄",
    "zhao": "赵",
    "wu": "吴",
    "zhou": "周",
    "xu": "徐",
    "sun": "孙",
    "ma": "马",
    "zhu": "朱",
    "hu": "胡",
    "guo": "郭",
    "he": "何",
    "gao": "高",
    "lin": "林",
    "luo": "罗",
    "zheng": "郑",
    "liang": "梁",
    "xie": "谢",
    "song": "宋",
    "tang": "唐",
    "han": "韩",
    "feng": "冯",
    "deng": "邓",
    "cao": "曹",
    "peng": "彭",
    "zeng": "曾",
    "xiao": "肖",
    "tian": "田",
    "dong": "董",
    "pan": "潘",
    "yuan": "袁",
    "cai": "蔡",
    "jiang": "蒋",
    "yu": "余",
    "du": "杜",
    "ye": "叶",
    "cheng": "程",
    "wei": "魏",
    "su": "苏",
    "lu": "陆",
    "ding": "丁",
    "ren": "任",
    "shen": "沈",
    "yao": "姚",
    "jin": "金",
    "qian": "钱",
    "fang": "方",
    "shi": "石",
    "fan": "范",
    "bai": "白",
    "qin": "秦",
    "kong": "孔",
}


# common given-name characters by pinyin syllable (each checked to be read that way by ICU)
_HAN_GIVEN = dict(
    (x[:-1], x[-1])
    for x in """a阿 ai爱 an安 ang昂 bai白 bao宝 bei贝 bin斌 bing兵 bo波 cai才 can灿 chang昌 chao超
    chen晨 cheng成 chun春 cong聪 da大 dan丹 de德 deng登 di迪 dong东 du杜 fa发 fan凡
    fang芳 fei飞 fen芬 feng峰 fu福 gang刚 gao高 ge歌 gen根 geng耕 gong功 guang光 gui贵
    guo国 hai海 han涵 hang航 hao浩 he和 heng恒 hong红 hua华 huai怀 huan欢 hui辉 jia佳
    jian建 jiang江 jiao娇 jie杰 jin金 jing静 jun军 kai凯 kang康 ke科 kun坤 lan兰 lei磊
    li丽 lian莲 liang亮 lin林 ling玲 long龙 lu路 mei梅 meng梦 min敏 ming明 na娜 nan南
    ning宁 peng鹏 ping平 qi琪 qiang强 qin琴 qing清 qiu秋 quan全 rong荣 rui瑞 shan山
    sheng胜 shi世 shu淑 shun顺 si思 song松 tao涛 tian天 ting婷 wei伟 wen文 wu武 xi喜
    xia霞 xian先 xiang祥 xiao晓 xin新 xing兴 xiong雄 xu旭 xue雪 yan燕 yang洋 yi毅
    yin银 ying英 yong勇 you友 yu宇 yuan元 yue月 yun云 ze泽 zhan展 zhao钊 zhe哲 zhen振
    zheng正 zhi志 zhong忠 zhou洲 zhu珠 zi子 zong宗 jiu久 qiao桥 shao少 sen森 tong通
    kui奎 lang朗 le乐 mao茂 mu木 pei培 run润 wan万 xuan轩 yao耀 zhuang壮 zuo佐 bi碧
    chu楚 e娥 gu谷 lun伦 man曼 pu普 ru如 sha沙 su素 xun勋 zan赞 ji吉 hu虎 qian谦 ren仁
    shou寿 zhuo卓 luo洛 huang煌 kuan宽 duan端 ou欧 tang堂 xiu秀 jue觉 hou厚 chuan川
    shuang双 zeng增 shen深 lai来 liu六 mo墨 nian年 niu牛 ci慈 ben本 biao彪 cui翠 dai黛
    ding定 jiong炯 kuo阔 pan攀 sui遂 zai在 zhuan专""".split()
)


def _pinyin_split(word: str, table: dict[str, str]) -> list[str] | None:
    """Split a run-together pinyin word into syllables (longest first, backtracking)."""
    if not word:
        return []
    for n in range(min(6, len(word)), 0, -1):
        head = word[:n]
        if head in table:
            rest = _pinyin_split(word[n:], table)
            if rest is not None:
                return [head, *rest]
    return None


def to_han(family: list[str], given: list[str]) -> str | None:
    """A Chinese name in Han characters, family name first, no spaces; None unless it is pinyin."""
    if len(family) != 1 or family[0] not in _HAN_SURNAMES:
        return None
    out = [_HAN_SURNAMES[family[0]]]
    for tok in given:
        syls = _pinyin_split(re.sub(r"[^a-z]", "", tok.lower()), _HAN_GIVEN)
        if not syls:
            return None
        out.extend(_HAN_GIVEN[s] for s in syls)
    return "".join(out) if 2 <= len(out) <= 4 else None


_CYR = [
    ("shch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "ё"),
    ("ye", "е"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("y", "ы"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "к"),
    ("j", "й"),
    ("q", "к"),
    ("x", "кс"),
]
_CYR_VOWELS = set("аеёиоуыэюя")


def to_cyrillic_word(word: str) -> str:
    w, i = word.lower(), 0
    out: list[str] = []
    while i < len(w):
        for lat, cyr in _CYR:
            if w.startswith(lat, i):
                if lat == "y" and out and out[-1][-1] in _CYR_VOWELS:
                    cyr = "й"  # after a vowel: Sergey, Nikolay
                out.append(cyr)
                i += len(lat)
                break
        else:
            i += 1
    text = "".join(out)
    return text[:1].upper() + text[1:]


def to_cyrillic(name: str) -> str:
    return " ".join(to_cyrillic_word(w) for w in folded_tokens(name))


def family_given(record: Record) -> tuple[list[str], list[str]] | None:
    """The family and given name parts of a person, when the list says which is which."""
    last = props(record, "lastName")
    first = props(record, "firstName") + props(record, "middleName") + props(record, "secondName")
    if not last or not first:
        return None
    return folded_tokens(last[0]), [t for f in first for t in folded_tokens(f)]


# -- the sets ----------------------------------------------------------------------------------------


def primary(lst: Listing) -> str:
    names = props(lst.record, "name")
    return names[0] if names else lst.record.target.caption


def variants(lst_by_id: dict[str, Listing]) -> Iterator[dict[str, Any]]:
    for eid, lst in sorted(lst_by_id.items()):
        rng = rng_for("variants", eid)
        accepted = {eid, *lst.linked}
        # strong aliases in Latin script
        aliases = [
            (p, v) for p in ("alias", "previousName") for v in props(lst.record, p) if not non_latin(v)
        ]
        aliases = [(p, v) for p, v in aliases if fold_key(v) != fold_key(primary(lst))]
        if aliases:
            p, v = rng.choice(aliases)
            yield query(
                "variants",
                f"alias:{eid}",
                lst,
                v,
                kind=lst.kind,
                expected=accepted,
                kind_of_name=p,
                group="alias",
                script="Latin",
                origin="list",
                **with_facts(rng, lst),
            )
        # original-script names, against the index without them
        for i, v in enumerate(v for p in ("name", "alias") for v in props(lst.record, p) if non_latin(v)):
            yield query(
                "variants",
                f"script:{eid}:{i}",
                lst,
                v,
                kind=lst.kind,
                index="latin",
                expected=accepted,
                group="script",
                script=script_of(v),
                origin="list",
                **with_facts(rng, lst),
            )
        # synthesised original-script names of persons
        if lst.kind == "person" and lst.record.dataset == OFAC:
            fg = family_given(lst.record)
            synth: tuple[str, str | None] | None = None
            if fg and "kp" in lst.countries:
                synth = ("Hangul", to_hangul(*fg))
            elif fg and "cn" in lst.countries:
                synth = ("Han", to_han(*fg))
            elif fg and {"ru", "ua", "by"} & set(lst.countries):
                synth = ("Cyrillic", to_cyrillic(" ".join([*fg[1], *fg[0]])))
            if synth and synth[1]:
                yield query(
                    "variants",
                    f"synth:{eid}",
                    lst,
                    synth[1],
                    kind=lst.kind,
                    index="latin",
                    expected=accepted,
                    group="script",
                    script=synth[0],
                    origin="synth",
                    **with_facts(rng, lst),
                )
        # the UN romanisation against the OFAC listing of the same entity
        ofac_twins = [o for o in lst.linked if lst_by_id[o].record.dataset == OFAC]
        if lst.record.dataset == UN and ofac_twins:
            twin_keys = {
                fold_key(v) for o in ofac_twins for p in NAME_PROPS for v in props(lst_by_id[o].record, p)
            }
            for i, v in enumerate(v for v in props(lst.record, "name") if not non_latin(v)):
                yield query(
                    "variants",
                    f"cross:{eid}:{i}",
                    lst,
                    v,
                    kind=lst.kind,
                    index="ofac",
                    expected=ofac_twins,
                    group="crosslist",
                    script="Latin",
                    origin="list",
                    literal=fold_key(v) in twin_keys,
                    **with_facts(rng, lst),
                )


HONORIFICS = ("Dr.", "Sheikh", "Mr.", "Haji", "General", "Mullah", "Prof.", "Mrs.", "Sayyid", "Colonel")
LEGAL_FORMS = [
    ("LLC", "Limited Liability Company"),
    ("L.L.C.", "Limited Liability Company"),
    ("LTD", "Limited"),
    ("LTD.", "Limited"),
    ("CO.", "Company"),
    ("INC.", "Incorporated"),
    ("INC", "Incorporated"),
    ("CORP.", "Corporation"),
    ("CORP", "Corporation"),
    ("S.A.", "Sociedad Anonima"),
    ("JSC", "Joint Stock Company"),
    ("OOO", "Obshchestvo s Ogranichennoy Otvetstvennostyu"),
    ("GMBH", "Gesellschaft mit beschraenkter Haftung"),
    ("PJSC", "Public Joint Stock Company"),
    ("FZE", "Free Zone Establishment"),
    ("S.A.R.L.", "SARL"),
]
_ALPHA = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: random.Random, name: str) -> tuple[str, str] | None:
    words = name.split()
    long_ones = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_ones:
        return None
    i = rng.choice(long_ones)
    w = words[i]
    op = rng.choice(("insert", "delete", "substitute", "transpose"))
    pos = rng.randrange(1, len(w) - 1)
    upper = w.isupper()
    c = rng.choice(_ALPHA).upper() if upper else rng.choice(_ALPHA)
    if op == "insert":
        new = w[:pos] + c + w[pos:]
    elif op == "delete":
        new = w[:pos] + w[pos + 1 :]
    elif op == "substitute":
        while c.lower() == w[pos].lower():
            c = rng.choice(_ALPHA).upper() if upper else rng.choice(_ALPHA)
        new = w[:pos] + c + w[pos + 1 :]
    else:
        if w[pos].lower() == w[pos + 1].lower():
            return None
        new = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
    words[i] = new
    return " ".join(words), op


def noisy(lst_by_id: dict[str, Listing]) -> Iterator[dict[str, Any]]:
    for eid, lst in sorted(lst_by_id.items()):
        if lst.kind not in ("person", "organization"):
            continue
        rng = rng_for("noisy", eid)
        name = primary(lst)
        if non_latin(name):
            continue
        options: list[tuple[str, str]] = []
        t = typo(rng, name)
        if t:
            options.append((t[0], f"typo-{t[1]}"))
        if lst.kind == "person":
            words = name.split()
            fg = family_given(lst.record)
            last = props(lst.record, "lastName")
            first = props(lst.record, "firstName")
            if fg and last and first:
                options.append(
                    (
                        rng.choice(
                            [
                                f"{last[0].upper()} {first[0]}",
                                f"{last[0].upper()}, {first[0]}",
                                f"{first[0]} {last[0].upper()}",
                            ]
                        ),
                        "reorder",
                    )
                )
            elif len(words) >= 2:
                options.append((" ".join([*words[1:], words[0]]), "reorder"))
            if len(words) >= 3:
                # a middle *given* name: when the list says which parts are the family name, those stay
                family = {t for ln in last for t in folded_tokens(ln)}
                mid = [
                    i
                    for i in range(1, len(words) - 1)
                    if len(words[i]) > 3 and not set(folded_tokens(words[i])) & family
                ]
                if mid:
                    drop = rng.choice(mid)
                    options.append((" ".join(w for i, w in enumerate(words) if i != drop), "drop-middle"))
            options.append((f"{rng.choice(HONORIFICS)} {name}", "honorific"))
        else:
            upper = name.upper()
            swapped = None
            for short, long in LEGAL_FORMS:
                pat = re.compile(rf"(?<![\w.]){re.escape(short)}(?![\w])", re.IGNORECASE)
                if pat.search(upper):
                    swapped = pat.sub(long, name, count=1)
                    break
                if long.upper() in upper:
                    swapped = re.sub(re.escape(long), short, name, count=1, flags=re.IGNORECASE)
                    break
            if swapped and fold_key(swapped) != fold_key(name):
                options.append((swapped, "legal-form"))
            else:
                options.append(
                    (f"{name} {rng.choice(['LLC', 'Limited', 'Co. Ltd', 'Inc.', 'S.A.'])}", "legal-form")
                )
        if not options:
            continue
        for j, (text, how) in enumerate(rng.sample(options, min(2, len(options)))):
            yield query(
                "noisy",
                f"noisy:{eid}:{j}",
                lst,
                text,
                kind=lst.kind,
                expected={eid, *lst.linked},
                transform=how,
                **with_facts(rng, lst),
            )


LOCALES = (
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "es_MX",
    "it_IT",
    "pt_BR",
    "nl_NL",
    "pl_PL",
    "tr_TR",
    "id_ID",
    "az_AZ",
    "sw",
    "ru_RU",
    "uk_UA",
    "ar_AA",
    "fa_IR",
    "he_IL",
    "zh_CN",
    "ko_KR",
    "ja_JP",
    "hi_IN",
    "vi_VN",
    "el_GR",
)
LOCALE_COUNTRY = {
    "en_US": "us",
    "en_GB": "gb",
    "en_IN": "in",
    "de_DE": "de",
    "fr_FR": "fr",
    "es_ES": "es",
    "es_MX": "mx",
    "it_IT": "it",
    "pt_BR": "br",
    "nl_NL": "nl",
    "pl_PL": "pl",
    "tr_TR": "tr",
    "id_ID": "id",
    "az_AZ": "az",
    "sw": "ke",
    "ru_RU": "ru",
    "uk_UA": "ua",
    "ar_AA": "sa",
    "fa_IR": "ir",
    "he_IL": "il",
    "zh_CN": "cn",
    "ko_KR": "kr",
    "ja_JP": "jp",
    "hi_IN": "in",
    "vi_VN": "vn",
    "el_GR": "gr",
}


def negatives(listed_keys: set[str], count: int) -> Iterator[dict[str, Any]]:
    from faker import Faker

    per_locale = -(-count // len(LOCALES))
    seen: set[str] = set()
    for li, loc in enumerate(LOCALES):
        fake = Faker(loc)
        fake.seed_instance(SEED + li)
        rng = rng_for("negatives", loc)
        made = 0
        while made < per_locale:
            is_person = rng.random() < 0.7
            if is_person:
                # CJK names are written family name first, without a space: Faker's name() does that
                cjk = loc in ("zh_CN", "ko_KR", "ja_JP")
                name = fake.name() if cjk or rng.random() < 0.5 else f"{fake.first_name()} {fake.last_name()}"
            else:
                name = fake.company()
            key = fold_key(name)
            if not key or key in seen:
                continue
            seen.add(key)
            if key in listed_keys:
                continue
            qid = f"neg:{loc}:{made}"
            dob = country = None
            if rng.random() < 0.5:
                country = LOCALE_COUNTRY[loc]
                if is_person:
                    dob = fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat()
            made += 1
            yield query(
                "negatives",
                qid,
                None,
                name,
                kind="person" if is_person else "organization",
                birth_date=dob,
                country=country,
                locale=loc,
                script=script_of(name) or "Latin",
            )


def dob_conflict(lst_by_id: dict[str, Listing]) -> Iterator[dict[str, Any]]:
    for eid, lst in sorted(lst_by_id.items()):
        if lst.kind != "person" or not lst.birth_dates:
            continue
        years = [int(d[:4]) for d in lst.birth_dates if d[:4].isdigit()]
        if not years:
            continue
        rng = rng_for("dob", eid)
        for _ in range(50):
            year = rng.choice(years) + rng.choice([-1, 1]) * rng.randint(3, 15)
            if all(abs(year - y) >= 3 for y in years) and 1900 < year < 2010:
                break
        else:
            continue
        dob = (date(year, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()
        yield query(
            "dob_conflict",
            f"dob:{eid}",
            lst,
            primary(lst),
            kind="person",
            birth_date=dob,
            listed_birth_dates=list(lst.birth_dates),
            listed=sorted({eid, *lst.linked}),
        )


def write(name: str, rows: Iterable[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    path = OUT / f"{name}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            counts[row["split"]] += 1
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return counts


def load(name: str, split: str | None = None) -> list[dict[str, Any]]:
    path = OUT / f"{name}.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} missing: run python bench/evalsets.py first")
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r for r in rows if split is None or r["split"] == split]


def build(n_negatives: int = 44_000) -> None:
    t0 = time.perf_counter()
    store = open_store()
    records = store.designated()
    lst_by_id = listings(records)
    listed_keys = {fold_key(v) for r in records for p in NAME_PROPS for v in props(r, p)}
    linked = sum(1 for lst in lst_by_id.values() if lst.record.dataset == UN and lst.linked)
    print(
        f"{len(records)} designated records; {len(lst_by_id)} OFAC/UN listings; {linked} UN listings linked "
        f"to OFAC ({time.perf_counter() - t0:.1f} s)"
    )
    for name, rows in (
        ("variants", variants(lst_by_id)),
        ("noisy", noisy(lst_by_id)),
        ("negatives", negatives(listed_keys, n_negatives)),
        ("dob_conflict", dob_conflict(lst_by_id)),
    ):
        counts = write(name, rows)
        print(f"{name:13} dev {counts['dev']:6}  test {counts['test']:6}")
    common = [
        query("common_names", f"common:{i}", None, n, kind="person", split_key="test")
        for i, n in enumerate(COMMON_NAMES)
    ]
    write("common_names", common)
    print(f"written to {OUT} in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--negatives", type=int, default=44_000, help="how many negatives to generate (both splits)"
    )
    args = ap.parse_args()
    build(args.negatives)


if __name__ == "__main__":
    main()
