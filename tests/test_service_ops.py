"""Operations of the service on a small store (the ICC registry only, no list import): search from
the word index, JSON logs, the metrics port for a scraper without a key."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from proscribe.service import ServiceConfig
from proscribe.service.live import LiveServer, free_port
from proscribe.service.logs import formatter


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("ops")
    config = ServiceConfig(
        db=f"sqlite:///{tmp / 'store.db'}",
        index_cache=tmp / "index",
        jobs_dir=tmp / "jobs",
        refresh_seconds=3600,
        metrics_port=free_port(),
    )
    with LiveServer(config) as srv:
        yield srv


@pytest.fixture(scope="module")
def viewer(ops_server: LiveServer) -> Iterator[httpx.Client]:
    key = ops_server.key("viewer")
    with httpx.Client(base_url=ops_server.url, headers={"Authorization": f"ApiKey {key}"}) as client:
        yield client


def test_search_finds_listings_by_the_beginnings_of_their_names_words(viewer: httpx.Client) -> None:
    exact = viewer.get("/search/proscribe_icc", params={"q": "Karim Khan"}).json()
    assert exact["results"][0]["id"] == "icc-khan-karim"
    # a word's beginning, in another case, with the accents and punctuation the matcher folds away
    assert "icc-bensouda-fatou" in [
        r["id"] for r in viewer.get("/search/default", params={"q": "BENSOU"}).json()["results"]
    ]
    assert viewer.get("/search/default", params={"q": "Zzyzx Qwvv"}).json()["total"]["value"] == 0
    # every word must be there; the total counts the listings found, the facets count them by list
    both = viewer.get("/search/default", params={"q": "fatou bensouda", "facets": "datasets"}).json()
    assert both["total"]["value"] == 1
    assert both["facets"]["datasets"]["values"] == [
        {"name": "proscribe_icc", "label": both["facets"]["datasets"]["values"][0]["label"], "count": 1}
    ]
    # browsing without a name: in caption order, paged, the same answer again from the memo
    browse = viewer.get("/search/proscribe_icc", params={"limit": 50}).json()
    captions = [r["caption"] for r in browse["results"]]
    assert captions == sorted(captions) and browse["total"]["value"] == len(captions)
    assert viewer.get("/search/proscribe_icc", params={"limit": 50}).json() == browse
    # fuzzy: the screener's candidates for a misspelt name come first
    fuzzy = viewer.get("/search/default", params={"q": "Kareem Khaan", "fuzzy": "true"}).json()
    assert fuzzy["results"][0]["id"] == "icc-khan-karim"
    assert viewer.get("/search/default", params={"q": "Kareem Khaan"}).json()["total"]["value"] == 0


def test_requests_are_logged_as_json_lines_with_user_status_and_latency(viewer: httpx.Client) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter())
    logger = logging.getLogger("proscribe.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        assert viewer.get("/catalog").status_code == 200
        assert httpx.get(f"{viewer.base_url}/catalog").status_code == 401
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    requests = [r for r in lines if r["path"] == "/catalog"]
    assert [r["status"] for r in requests] == [200, 401]
    assert requests[0]["user"].startswith("viewer-user (key ") and requests[1]["user"] == "-"
    for r in requests:
        assert r["logger"] == "proscribe.request" and r["level"] == "INFO" and r["message"] == "request"
        assert r["method"] == "GET" and r["route"] == "/catalog" and r["latency_ms"] > 0
        assert datetime.fromisoformat(r["time"]).utcoffset() == timedelta(0)


def test_a_scraper_reads_the_metrics_port_without_a_key(ops_server: LiveServer, viewer: httpx.Client) -> None:
    viewer.get("/search/proscribe_icc", params={"q": "khan"})
    port = ops_server.runtime.config.metrics_port
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'proscribe_http_requests_total{method="GET",route="/search/{dataset}",status="200"}' in text
    assert "proscribe_index_ready 1.0" in text
    # the main port still wants a key for it
    assert httpx.get(f"{ops_server.url}/metrics").status_code == 401
