"""Request and response bodies of the yente-compatible API, as yente shapes them.

Field names and nesting follow yente 5 (``/match``'s ``responses`` keyed by the caller's query
ids, ``results`` of FtM entities with ``score``, ``match`` and ``explanations``, ``total`` as
``{value, relation}``), so yente's clients parse them unchanged. proscribe adds ``features``
(the raw feature values behind its score) to each result.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EntityExample(BaseModel):
    """One thing to match: an FtM schema and properties (a value or a list of values each)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = None
    schema_: str = Field(alias="schema", examples=["Person"])
    properties: dict[str, str | list[str]] = Field(
        default_factory=dict, examples=[{"name": ["Fatou Bensouda"], "birthDate": ["1961"]}]
    )


class EntityMatchQuery(BaseModel):
    queries: dict[str, EntityExample] = Field(min_length=1)
    #: yente's per-feature weights; proscribe's score is calibrated, so none may be changed
    weights: dict[str, float] = Field(default_factory=dict)
    #: yente's algorithm options; proscribe has none
    config: dict[str, Any] = Field(default_factory=dict)


class EntityResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[Any]] = Field(default_factory=dict)
    datasets: list[str] = Field(default_factory=list)
    referents: list[str] = Field(default_factory=list)
    target: bool = False
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None


class FeatureExplanation(BaseModel):
    score: float
    detail: str | None = None
    query: str | None = None
    candidate: str | None = None


class ScoredEntityResponse(EntityResponse):
    score: float
    match: bool
    features: dict[str, float] = Field(default_factory=dict)
    explanations: dict[str, FeatureExplanation] = Field(default_factory=dict)


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: dict[str, Any]


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    limit: int


class SearchFacetItem(BaseModel):
    name: str
    label: str
    count: int


class SearchFacet(BaseModel):
    label: str
    values: list[SearchFacetItem]


class SearchResponse(BaseModel):
    results: list[EntityResponse]
    facets: dict[str, SearchFacet]
    total: TotalSpec
    limit: int
    offset: int


class DatasetModel(BaseModel):
    name: str
    title: str
    summary: str | None = None
    version: str | None = None
    updated_at: str | None = None
    entity_count: int | None = None
    load: bool = True
    index_current: bool = True
    index_version: str | None = None
    children: list[str] = Field(default_factory=list)


class CatalogResponse(BaseModel):
    datasets: list[DatasetModel]
    current: list[str]
    outdated: list[str]
    index_stale: bool


class AlgorithmDoc(BaseModel):
    name: str
    description: str
    features: dict[str, str] = Field(default_factory=dict)


class AlgorithmsResponse(BaseModel):
    algorithms: list[AlgorithmDoc]
    default: str
    best: str


class StatusResponse(BaseModel):
    status: str
