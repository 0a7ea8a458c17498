"""The yente-compatible API: ``/match``, ``/search``, ``/entities``, ``/catalog``, ``/algorithms``.

Request and response shapes are yente's (see ``models.py``), so that OpenSanctions' client SDK and
integrations written for yente work against proscribe. Dataset names: ``default`` and
``sanctions`` stand for every list, and each list has its own name (``us_ofac_sdn``,
``un_sc_sanctions``, ``proscribe_icc``...).

What differs, and why:

- There is one algorithm, proscribe's calibrated matcher. yente's algorithm names (``best``,
  ``logic-v2``...) are accepted and answered by it, so clients that name one keep working;
  ``weights`` and ``config`` must be empty (the score is calibrated as a whole).
- ``threshold`` (default 0.7, yente's) sets ``match``; ``cutoff`` (default 0.3, proscribe's alert
  threshold) drops results below it. The score is a calibrated probability (``docs/screening.md``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from followthemoney import model
from followthemoney.types import registry
from pydantic import BaseModel, Field, ValidationError
from rapidfuzz import fuzz

from proscribe.matching.normalize import tokens
from proscribe.matching.score import Query as ScreenQuery
from proscribe.screening.batch import RowError, clean_birth_date, clean_country
from proscribe.screening.screener import DEFAULT_THRESHOLD, Hit
from proscribe.service.auth import Role, allow, public
from proscribe.service.catalog import COLLECTIONS, Catalog, EntityDoc
from proscribe.service.index import Loaded
from proscribe.service.models import (
    AlgorithmsResponse,
    CatalogResponse,
    EntityMatchQuery,
    EntityMatchResponse,
    EntityResponse,
    SearchResponse,
    StatusResponse,
)
from proscribe.service.responses import FastJSONResponse
from proscribe.service.runtime import Runtime
from proscribe.sources.publishers import PUBLICATIONS

router = APIRouter(tags=["yente-compatible"])

ALGORITHM = "proscribe-v1"
#: yente's names, answered by proscribe's matcher so that clients naming one keep working
YENTE_ALGORITHMS = frozenset(
    {"best", "default", "logic-v2", "logic-v1", "name-based", "name-qualified", "regression-v1", "ofac"}
)
ALGORITHM_PATTERN = "^(" + "|".join(sorted({ALGORITHM, *YENTE_ALGORITHMS})) + ")$"
DEFAULT_MATCH_THRESHOLD = 0.7
MAX_LIMIT = 500
#: query schema -> the screener's kind (None: any kind)
KINDS = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "PublicBody": "organization",
    "Vessel": "vessel",
    "Airplane": "aircraft",
    "LegalEntity": None,
    "Thing": None,
}
_NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
_COUNTRY_PROPS = (
    "nationality",
    "citizenship",
    "country",
    "jurisdiction",
    "birthCountry",
    "mainCountry",
    "flag",
)
_ID_PROPS = (
    "idNumber",
    "passportNumber",
    "taxNumber",
    "registrationNumber",
    "imoNumber",
    "mmsi",
    "leiCode",
    "swiftBic",
    "innCode",
    "ogrnCode",
    "vatCode",
)
_CHANGED_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?$")
TITLES = {p.dataset: p.title for p in PUBLICATIONS} | {
    "proscribe_icc": "ICC sanctions programs (EO 13928, EO 14203), proscribe registry",
    "default": "Every list in this store",
    "sanctions": "Every sanctions list in this store",
}


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def loaded(request: Request) -> Loaded:
    """The index in memory, or 503 while the first one is being built."""
    current = runtime_of(request).index.current
    if current is None:
        raise HTTPException(503, "the screening index is loading; try again in a few seconds")
    return current


def scope_of(
    catalog: Catalog, dataset: str, include: Iterable[str] | None, exclude: Iterable[str] | None
) -> set[str]:
    members = catalog.members(dataset)
    if members is None:
        raise HTTPException(404, f"no dataset {dataset!r}; see /catalog")
    # an unknown name would leave the scope empty, and the answer "no results": it is an error
    unknown = [d for d in (*(include or ()), *(exclude or ())) if catalog.members(d) is None]
    if unknown:
        raise HTTPException(
            400,
            f"no dataset {', '.join(map(repr, unknown))} (lists: {', '.join(sorted(catalog.list_names))}; "
            "see /catalog)",
        )
    if include:
        members &= {m for d in include for m in catalog.members(d) or ()}
    if exclude:
        members -= {m for d in exclude for m in catalog.members(d) or ()}
    return members


def check_topics(topics: Iterable[str] | None) -> set[str]:
    """The ``topics`` filter, each a FollowTheMoney topic (``sanction``, ``role.pep``); an unknown
    one would match nothing, so it is an error naming it."""
    unknown = [t for t in topics or () if t not in registry.topic.names]
    if unknown:
        raise HTTPException(
            400, f"unknown topic {', '.join(map(repr, unknown))} (e.g. sanction, role.pep, crime)"
        )
    return set(topics or [])


def check_countries(countries: Iterable[str] | None) -> set[str]:
    """The ``countries`` filter as codes (``ru``, ``cu``); an unknown one is an error naming it."""
    codes = {c.strip().lower() for c in countries or () if c.strip()}
    unknown = sorted(c for c in codes if c not in registry.country.names)
    if unknown:
        raise HTTPException(
            400, f"unknown country code {', '.join(map(repr, unknown))} (ISO 3166-1 alpha-2, e.g. ru, cu)"
        )
    return codes


def _values(props: dict[str, str | list[str]], name: str) -> list[str]:
    value = props.get(name)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _first_clean(values: list[str], clean: Any) -> str | None:
    for value in values:
        try:
            cleaned = clean(value)
        except RowError:  # yente drops values it cannot clean; so do we
            continue
        if cleaned:
            return str(cleaned)
    return None


def example_names(props: dict[str, str | list[str]]) -> list[str]:
    """The names one example is screened under: its names and aliases, else its name parts joined."""
    names = _values(props, "name") + _values(props, "alias")
    if not names:
        joined = " ".join(v for part in _NAME_PARTS for v in _values(props, part)[:1])
        if joined:
            names = [joined]
    return list(dict.fromkeys(names))


def parse_example(
    key: str, schema: str, props: dict[str, str | list[str]]
) -> tuple[list[ScreenQuery], dict[str, Any]]:
    """The screener's queries for one example (one per name) and the example as understood."""
    if model.get(schema) is None:
        raise HTTPException(400, f"query {key!r}: unknown schema {schema!r}")
    if schema not in KINDS:
        raise HTTPException(
            400, f"query {key!r}: schema {schema!r} cannot be matched; use one of {sorted(KINDS)}"
        )
    names = example_names(props)
    if not names:
        raise HTTPException(400, f"query {key!r}: give a name (or firstName/lastName)")
    birth = _first_clean(_values(props, "birthDate") + _values(props, "incorporationDate"), clean_birth_date)
    country = _first_clean([v for p in _COUNTRY_PROPS for v in _values(props, p)], clean_country)
    id_number = next((v for p in _ID_PROPS for v in _values(props, p)), None)
    gender = next((v.lower() for v in _values(props, "gender") if v.lower() in ("male", "female")), None)
    kind = KINDS[schema]
    queries = [
        ScreenQuery(
            name=name,
            kind=kind,
            birth_date=birth,
            country=country,
            id_number=id_number,
            gender=gender,
            id=key,
        )
        for name in dict.fromkeys(names)
    ]
    understood: dict[str, list[str]] = {"name": list(dict.fromkeys(names))}
    if birth:
        understood["birthDate"] = [birth]
    if country:
        understood["country"] = [country]
    if id_number:
        understood["idNumber"] = [id_number]
    if gender:
        understood["gender"] = [gender]
    return queries, {"id": key, "schema": schema, "properties": understood}


def _changed_since(value: str | None) -> str | None:
    if value is None:
        return None
    if not _CHANGED_SINCE.match(value):
        raise HTTPException(400, "changed_since: use YYYY-MM-DD or YYYY-MM-DDTHH[:MM[:SS]]")
    return value


def _keep(doc: EntityDoc | None, topics: set[str], changed_since: str | None, excluded: set[str]) -> bool:
    if doc is None:
        return not topics and changed_since is None
    if doc.id in excluded:
        return False
    if topics and not topics.intersection(doc.topics):
        return False
    return not (changed_since and (doc.last_change or "") < changed_since)


def _result(catalog: Catalog, hit: Hit, query_name: str, threshold: float) -> dict[str, Any]:
    doc = catalog.docs.get(hit.entity_id)
    if doc is not None:
        out = catalog.entity(doc)
    else:  # listed in the index but not in the catalog (a list changed between the two): what the hit knows
        out = {
            "id": hit.entity_id,
            "caption": hit.caption,
            "schema": hit.schema,
            "properties": {"name": [hit.caption], "program": hit.programs},
            "datasets": [hit.dataset],
            "referents": [],
            "target": True,
            "first_seen": None,
            "last_seen": None,
            "last_change": None,
        }
    explanations: dict[str, dict[str, Any]] = {
        "name_match": {
            "score": hit.features.get("name", hit.score),
            "detail": hit.explanation,
            "query": query_name,
            "candidate": hit.matched_name,
        }
    }
    for name, value in hit.features.items():
        if name != "name":
            explanations[name] = {"score": float(value), "detail": None, "query": None, "candidate": None}
    out.update(
        score=hit.score,
        match=hit.score >= threshold,
        features=hit.features,
        explanations=explanations,
    )
    return out


def match_queries(
    current: Loaded,
    body: EntityMatchQuery,
    *,
    scope: set[str],
    threshold: float,
    cutoff: float,
    limit: int,
    topics: set[str],
    changed_since: str | None,
    excluded: set[str],
) -> dict[str, Any]:
    catalog = current.catalog
    responses: dict[str, Any] = {}
    for key, example in body.queries.items():
        queries, understood = parse_example(key, example.schema_, example.properties)
        best: dict[str, tuple[Hit, str]] = {}
        for q in queries:
            for hit in current.screener.screen(q, threshold=cutoff, limit=MAX_LIMIT, datasets=scope):
                if hit.entity_id not in best or hit.score > best[hit.entity_id][0].score:
                    best[hit.entity_id] = (hit, q.name)
        ranked = sorted(best.values(), key=lambda pair: pair[0].score, reverse=True)
        results = [
            _result(catalog, hit, name, threshold)
            for hit, name in ranked
            if _keep(catalog.docs.get(hit.entity_id), topics, changed_since, excluded)
        ][:limit]
        responses[key] = {
            "status": 200,
            "results": results,
            "total": {"value": sum(1 for r in results if r["match"]), "relation": "eq"},
            "query": understood,
        }
    return {"responses": responses, "limit": limit}


class MatchParams(BaseModel):
    """The query parameters of ``/match`` (yente's)."""

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 5
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] = DEFAULT_MATCH_THRESHOLD
    cutoff: Annotated[float, Field(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD
    algorithm: Annotated[str, Field(pattern=ALGORITHM_PATTERN)] = "best"
    include_dataset: list[str] | None = None
    exclude_dataset: list[str] | None = None
    exclude_schema: list[str] | None = None
    exclude_entity_ids: Annotated[list[str] | None, Field(max_length=50)] = None
    topics: list[str] | None = None
    changed_since: str | None = None


_MATCH_DEFAULTS = MatchParams()
_MATCH_LISTS = frozenset(
    name for name, field in MatchParams.model_fields.items() if "list" in str(field.annotation)
)


def match_params(request: Request) -> MatchParams:
    """``/match``'s query parameters, read here rather than by FastAPI.

    FastAPI reads declared parameters one by one in Python on every request (about 0.1 ms for
    these twelve, a tenth of the matcher's time); this validates them in one call of the model,
    and not at all when there are none (the usual call). A bad value is answered as FastAPI
    answers it (422, its list of errors with ``loc`` ``["query", name]``), and the parameters are
    documented in the OpenAPI description as before (``_documented_match_params``).
    """
    if not request.scope.get("query_string"):
        return _MATCH_DEFAULTS
    given = request.query_params
    values: dict[str, Any] = {}
    for name in MatchParams.model_fields:
        if name in given:
            values[name] = given.getlist(name) if name in _MATCH_LISTS else given[name]
    try:
        return MatchParams.model_validate(values)
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _documented_match_params() -> list[dict[str, Any]]:
    """The OpenAPI description of ``MatchParams`` as query parameters, as FastAPI writes it."""
    probe = FastAPI()

    @probe.post("/probe")
    def probe_route(params: Annotated[MatchParams, Query()]) -> None:  # pragma: no cover - never called
        return None

    parameters: list[dict[str, Any]] = probe.openapi()["paths"]["/probe"]["post"]["parameters"]
    return parameters


@router.post(
    "/match/{dataset}",
    response_model=EntityMatchResponse,
    dependencies=[allow(Role.viewer, reads_only=True)],
    summary="Match entities by example (yente's /match)",
    openapi_extra={"parameters": _documented_match_params()},
)
async def match(
    request: Request,
    body: EntityMatchQuery,
    dataset: Annotated[str, Path(description="default, sanctions, or a list's name")],
) -> JSONResponse:
    """Screen each query of the batch; results are keyed by the query's key, best first."""
    params = match_params(request)
    limit, threshold, cutoff, algorithm = params.limit, params.threshold, params.cutoff, params.algorithm
    include_dataset, exclude_dataset = params.include_dataset, params.exclude_dataset
    exclude_schema, exclude_entity_ids = params.exclude_schema, params.exclude_entity_ids
    topics, changed_since = params.topics, params.changed_since
    runtime = runtime_of(request)
    current = loaded(request)
    if algorithm != ALGORITHM and algorithm not in YENTE_ALGORITHMS:
        raise HTTPException(400, f"unknown algorithm {algorithm!r}; see /algorithms")
    if body.weights or body.config:
        raise HTTPException(
            400, "weights and config cannot be set: proscribe's score is calibrated as a whole"
        )
    if not body.queries:
        raise HTTPException(400, "queries: give at least one query")
    if len(body.queries) > runtime.config.max_batch:
        raise HTTPException(400, f"queries: at most {runtime.config.max_batch} in one request")
    scope = scope_of(current.catalog, dataset, include_dataset, exclude_dataset)
    excluded = set(exclude_entity_ids or [])
    skip_schemata = set(exclude_schema or [])
    bounds = runtime.config.bounds
    total = words = 0
    for key, example in body.queries.items():
        if example.schema_ in skip_schemata:
            raise HTTPException(400, f"query {key!r}: its schema {example.schema_} is excluded")
        names = example_names(example.properties)
        total += bounds.check_query(key, names)
        words += sum(len(name.split()) for name in names)
    bounds.check_total(total)
    args: dict[str, Any] = dict(
        scope=scope,
        threshold=threshold,
        cutoff=min(cutoff, threshold),
        limit=limit,
        topics=check_topics(topics),
        changed_since=_changed_since(changed_since),
        excluded=excluded,
    )
    inline = runtime.config.inline_names
    if total <= inline and words <= 8 * inline:
        # a small request on dedicated cores (PROSCRIBE_INLINE_NAMES): scored here, on the event
        # loop, saving the thread hop's CPU (docs/benchmarks.md)
        data = match_queries(current, body, **args)
    else:
        # scoring runs in a worker thread, never on the event loop: /healthz and the requests
        # behind this one are answered while it is scored
        data = await run_in_threadpool(match_queries, current, body, **args)
    runtime.metrics.screened.inc(len(body.queries))
    return FastJSONResponse(data, headers={"x-batch-size": str(len(body.queries))})


def _schema_label(name: str) -> str:
    schema = model.get(name)
    return str(schema.label) if schema is not None else name


def _facet(name: str, counts: Counter[str]) -> dict[str, Any]:
    captions: dict[str, tuple[str, Callable[[str], str]]] = {
        "countries": ("Countries", lambda v: str(registry.country.caption(v) or v)),
        "topics": ("Topics", lambda v: str(registry.topic.caption(v) or v)),
        "datasets": ("Data sources", lambda v: TITLES.get(v, v)),
        "schema": ("Entity types", _schema_label),
    }
    label, caption = captions[name]
    values = [{"name": k, "label": caption(k), "count": n} for k, n in counts.most_common(100)]
    return {"label": label, "values": values}


def _is_a(name: str, wanted: Any) -> bool:
    schema = model.get(name)
    return schema is not None and bool(schema.is_a(wanted))


FACETS = ("countries", "topics", "datasets", "schema")


@router.get(
    "/search/{dataset}",
    response_model=SearchResponse,
    dependencies=[allow(Role.viewer)],
    summary="Search the listings by name (yente's /search)",
)
async def search(
    request: Request,
    dataset: str,
    q: str = "",
    schema: str = "Thing",
    countries: Annotated[list[str] | None, Query()] = None,
    topics: Annotated[list[str] | None, Query()] = None,
    include_dataset: Annotated[list[str] | None, Query()] = None,
    exclude_dataset: Annotated[list[str] | None, Query()] = None,
    changed_since: str | None = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=9499)] = 0,
    facets: Annotated[list[str] | None, Query()] = None,
    fuzzy: bool = False,
    simple: bool = False,
) -> JSONResponse:
    """Listings whose names match ``q`` (all listings when ``q`` is empty), with facet counts."""
    current = loaded(request)
    scope = scope_of(current.catalog, dataset, include_dataset, exclude_dataset)
    if model.get(schema) is None:
        raise HTTPException(400, f"unknown schema {schema!r}")
    facet_names = FACETS[:3] if facets is None else facets
    for name in facet_names:
        if name not in FACETS:
            raise HTTPException(400, f"unknown facet {name!r}; use {', '.join(FACETS)}")
    since = _changed_since(changed_since)
    if q.strip():
        runtime_of(request).config.bounds.check_name(q.strip(), "q")
    # the whole search (scoring, the word index, filters, facets) runs in a worker thread, so the
    # event loop keeps answering /match and the rest while it is done
    data = await run_in_threadpool(
        search_listings,
        current,
        q=q.strip(),
        scope=scope,
        schema=schema,
        countries=check_countries(countries),
        topics=check_topics(topics),
        since=since,
        limit=limit,
        offset=offset,
        facet_names=list(facet_names),
        fuzzy=fuzzy,
    )
    return FastJSONResponse(data)


#: how many of the screener's candidates ``/search?fuzzy=true`` scores
SEARCH_SCORED = 50


def search_listings(
    current: Loaded,
    *,
    q: str,
    scope: set[str],
    schema: str,
    countries: set[str],
    topics: set[str],
    since: str | None,
    limit: int,
    offset: int,
    facet_names: list[str],
    fuzzy: bool = False,
) -> dict[str, Any]:
    """The answer of ``/search``: the listings whose names carry every word of ``q`` (a word of the
    query matches a listed word it begins, both folded as the matcher folds them), closest names
    first, from the catalog's word index; with ``fuzzy``, the screener's best candidates for ``q``
    come first (spelling variants, other scripts); without ``q``, every listing in caption order.
    Then filtered, counted by facet, and paged."""
    catalog = current.catalog
    wanted = model.get(schema)
    found: list[EntityDoc] = []
    if q:
        words = tokens(q)
        if fuzzy:
            query = ScreenQuery(name=q, kind=KINDS.get(schema))
            hits = current.screener.screen(
                query, threshold=0.1, limit=max(SEARCH_SCORED, offset + limit), datasets=scope
            )
            found = [catalog.docs[h.entity_id] for h in hits if h.entity_id in catalog.docs]
        seen = {d.id for d in found}
        joined = " ".join(words)
        lexical = [d for d in catalog.with_words(words) if d.id not in seen]
        # closest caption first; ties in caption order (the word index's order; the sort is stable)
        lexical.sort(key=lambda d: -fuzz.token_sort_ratio(joined, d.caption_words))
        found += lexical
    else:
        # browsing without a name: the same few filter sets again and again, on a catalog that
        # never changes once built, so their outcome is kept with the catalog
        key = (frozenset(scope), schema, frozenset(countries), frozenset(topics), since, tuple(facet_names))
        browsed = catalog.browse_memo.get(key)
        if browsed is None:
            browsed = _filter_and_count(
                catalog, catalog.by_caption, scope, wanted, countries, topics, since, facet_names
            )
            if len(catalog.browse_memo) < 256:
                catalog.browse_memo[key] = browsed
        docs, counted = browsed
        return _page(catalog, docs, counted, limit, offset)
    docs, counted = _filter_and_count(catalog, found, scope, wanted, countries, topics, since, facet_names)
    return _page(catalog, docs, counted, limit, offset)


def _filter_and_count(
    catalog: Catalog,
    found: list[EntityDoc],
    scope: set[str],
    wanted: Any,
    countries: set[str],
    topics: set[str],
    since: str | None,
    facet_names: list[str],
) -> tuple[list[EntityDoc], dict[str, Counter[str]]]:
    whole = len(scope) == len(catalog.lists)
    thing = wanted is None or wanted.name == "Thing"
    docs = [
        d
        for d in found
        if (whole or d.dataset in scope)
        and (thing or _is_a(d.schema, wanted))
        and (not countries or countries & d.countries)
        and (not topics or topics.intersection(d.topics))
        and (since is None or (d.last_change or "") >= since)
    ]
    counted: dict[str, Counter[str]] = {name: Counter() for name in facet_names}
    for name in facet_names:
        counter = counted[name]
        if name == "countries":
            for d in docs:
                counter.update(d.countries)
        elif name == "topics":
            for d in docs:
                counter.update(d.topics)
        elif name == "datasets":
            counter.update(d.dataset for d in docs)
        else:
            counter.update(d.schema for d in docs)
    return docs, counted


def _page(
    catalog: Catalog, docs: list[EntityDoc], counted: dict[str, Counter[str]], limit: int, offset: int
) -> dict[str, Any]:
    page = docs[offset : offset + limit]
    return {
        "results": [catalog.entity(d) for d in page],
        "facets": {name: _facet(name, counter) for name, counter in counted.items()},
        "total": {"value": len(docs), "relation": "eq"},
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/entities/{entity_id}",
    response_model=EntityResponse,
    dependencies=[allow(Role.viewer)],
    summary="One entity, with its adjacent entities nested (yente's /entities)",
)
async def entity(request: Request, entity_id: str, nested: bool = True) -> JSONResponse:
    catalog = loaded(request).catalog
    doc = catalog.docs.get(entity_id)
    target = entity_id
    if doc is None and entity_id in catalog.adjacent:
        doc = catalog.docs.get(catalog.adjacent[entity_id])
    if doc is None:
        raise HTTPException(404, f"no entity {entity_id!r}")
    if not nested:
        if target == doc.id:
            return JSONResponse(catalog.entity(doc))
        plain = catalog.nested(doc, target)
        return JSONResponse(plain)
    return JSONResponse(catalog.nested(doc, target))


@router.get(
    "/catalog",
    response_model=CatalogResponse,
    dependencies=[allow(Role.viewer)],
    summary="The datasets this server holds and whether its index is current",
)
async def catalog(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    current = loaded(request)
    cat = current.catalog
    stale = runtime.index.stale
    datasets: list[dict[str, Any]] = []
    total = 0
    for s in cat.lists:
        total += s.records
        datasets.append(
            {
                "name": s.dataset,
                "title": TITLES.get(s.dataset, s.dataset),
                "summary": f"{s.format} list, version {s.version_id} as of {s.as_of.isoformat()}",
                "version": f"{s.as_of.strftime('%Y%m%d')}-v{s.version_id}",
                "updated_at": s.imported_at,
                "entity_count": s.records,
                "load": True,
                "index_current": not stale,
                "index_version": cat.version_key,
                "children": [],
            }
        )
    for name in COLLECTIONS:
        datasets.append(
            {
                "name": name,
                "title": TITLES[name],
                "summary": None,
                "version": cat.version_key,
                "updated_at": None,
                "entity_count": total,
                "load": True,
                "index_current": not stale,
                "index_version": cat.version_key,
                "children": cat.list_names,
            }
        )
    names = [d["name"] for d in datasets]
    return JSONResponse(
        {
            "datasets": datasets,
            "current": [] if stale else names,
            "outdated": names if stale else [],
            "index_stale": stale,
        }
    )


@router.get(
    "/algorithms",
    response_model=AlgorithmsResponse,
    dependencies=[allow(Role.viewer)],
    summary="The matching algorithm (one; yente's names are answered by it)",
)
async def algorithms() -> dict[str, Any]:
    return {
        "algorithms": [
            {
                "name": ALGORITHM,
                "description": (
                    "proscribe's matcher: names in any script aligned token by token, with birth date, "
                    "country, gender and identifiers; the score is a calibrated probability that the "
                    "listing is the query. yente's algorithm names are accepted and answered by it."
                ),
                "features": {
                    "name_match": "similarity of the best-aligned names (0-1), with the explanation",
                    "info": "how much the matched tokens say (rarer names say more)",
                    "rarest": "weight of the rarest matched token",
                    "listed_ends_unmatched": "the listed name's first or last token left unmatched",
                },
            }
        ],
        "default": ALGORITHM,
        "best": ALGORITHM,
    }


@router.get("/healthz", response_model=StatusResponse, dependencies=[public()], summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=StatusResponse,
    dependencies=[public()],
    summary="Readiness: 503 until the screening index is loaded",
    responses={503: {"model": StatusResponse}},
)
async def readyz(request: Request) -> JSONResponse:
    if runtime_of(request).index.current is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    return JSONResponse({"status": "ok"})
