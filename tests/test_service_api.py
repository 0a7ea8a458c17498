"""The HTTP service against a live server on the real OFAC + UN lists: yente's shapes and client,
proscribe's own endpoints, sign-in, keys, limits and the audit trail."""

from __future__ import annotations

import json
import re
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.service import ServiceConfig
from proscribe.service.live import LiveServer
from proscribe.store import users
from proscribe.store.audit import AuditRecord


def copy_store(real_store_url: str, into: Path) -> str:
    """The session's real store, copied: the server writes users, keys and audit records to it."""
    src = Path(real_store_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        if Path(str(src) + suffix).exists():
            shutil.copy(str(src) + suffix, str(into / "store.db") + suffix)
    return f"sqlite:///{into / 'store.db'}"


@pytest.fixture(scope="module")
def server(real_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("service")
    (tmp / "mirror").mkdir()
    config = ServiceConfig(
        db=copy_store(real_store_url, tmp),
        index_cache=tmp / "index",
        jobs_dir=tmp / "jobs",
        lists_mirror=tmp / "mirror",
        refresh_seconds=3600,
        max_body=64 * 1024,
    )
    with LiveServer(config) as srv:
        yield srv


@pytest.fixture(scope="module")
def keys(server: LiveServer) -> dict[str, str]:
    return {role: server.key(role) for role in ("viewer", "analyst", "approver", "admin")}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}


@pytest.fixture(scope="module")
def viewer(server: LiveServer, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=auth(keys["viewer"]), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def admin(server: LiveServer, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=auth(keys["admin"]), timeout=30) as client:
        yield client


def match_one(client: httpx.Client, dataset: str = "default", **params: object) -> httpx.Response:
    body = {"queries": {"k1": {"schema": "Person", "properties": {"name": ["Karim Asad Ahmad Khan"]}}}}
    return client.post(f"/match/{dataset}", json=body, params=params)


# --- yente's shapes ------------------------------------------------------------------------------


def test_health_needs_no_key_and_everything_else_does(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/login").status_code == 200
    for path in ("/catalog", "/algorithms", "/entities/icc-khan-karim", "/docs", "/openapi.json", "/metrics"):
        assert httpx.get(f"{server.url}{path}").status_code == 401, path
    bad = {"Authorization": "ApiKey prs_00000000_" + "x" * 43}
    assert httpx.get(f"{server.url}/catalog", headers=bad).status_code == 401


def test_match_answers_in_yentes_shape(viewer: httpx.Client) -> None:
    resp = match_one(viewer)
    assert resp.status_code == 200
    assert resp.headers["x-batch-size"] == "1"
    data = resp.json()
    assert data["limit"] == 5
    answer = data["responses"]["k1"]
    assert answer["status"] == 200
    assert answer["query"]["schema"] == "Person"
    top = answer["results"][0]
    assert top["id"] == "icc-khan-karim"
    assert top["schema"] == "Person"
    assert top["datasets"] == ["proscribe_icc"]
    assert top["target"] is True
    assert top["match"] is True and top["score"] >= 0.7
    assert "Karim Asad Ahmad Khan" in top["properties"]["name"]
    assert top["first_seen"] and top["last_change"]
    assert "karim" in top["explanations"]["name_match"]["detail"]
    assert answer["total"] == {"value": sum(r["match"] for r in answer["results"]), "relation": "eq"}


def test_match_scopes_thresholds_and_batches(viewer: httpx.Client) -> None:
    assert (
        match_one(viewer, "proscribe_icc").json()["responses"]["k1"]["results"][0]["id"] == "icc-khan-karim"
    )
    assert match_one(viewer, "us_ofac_sdn").json()["responses"]["k1"]["results"] == []
    assert (
        match_one(viewer, "default", exclude_dataset="proscribe_icc").json()["responses"]["k1"]["results"]
        == []
    )
    results = match_one(viewer, threshold=0.99).json()["responses"]["k1"]["results"]
    assert results and not any(r["match"] for r in results)
    assert match_one(viewer, exclude_entity_ids="icc-khan-karim").json()["responses"]["k1"]["results"] == []
    assert match_one(viewer, "no_such_list").status_code == 404
    assert match_one(viewer, algorithm="no-such-algorithm").status_code == 422
    assert match_one(viewer, algorithm="logic-v2").status_code == 200
    body = {
        "queries": {
            "a": {"schema": "Person", "properties": {"firstName": "Usama", "lastName": "bin Laden"}},
            "b": {"schema": "Company", "properties": {"name": ["Zzyzx Qwvv Holdings"]}},
        }
    }
    data = viewer.post("/match/sanctions", json=body).json()["responses"]
    assert data["a"]["results"][0]["id"] == "ofac-6365"
    assert data["b"]["results"] == []
    bad = {"queries": {"a": {"schema": "Address", "properties": {"full": ["1 Main St"]}}}}
    assert viewer.post("/match/default", json=bad).status_code == 400
    nameless = {"queries": {"a": {"schema": "Person", "properties": {"birthDate": ["1957"]}}}}
    assert viewer.post("/match/default", json=nameless).status_code == 400


def test_match_parameters_are_checked_as_fastapi_checks_them(viewer: httpx.Client) -> None:
    """/match reads its query parameters itself (one model, not twelve fields): the answers to bad
    values are FastAPI's (422, each error located at ``["query", name]``), repeated values are lists."""
    for params, name, kind in (
        ({"limit": "0"}, "limit", "greater_than_equal"),
        ({"limit": "many"}, "limit", "int_parsing"),
        ({"threshold": "1.5"}, "threshold", "less_than_equal"),
        ({"exclude_entity_ids": [f"e{i}" for i in range(51)]}, "exclude_entity_ids", "too_long"),
    ):
        resp = match_one(viewer, **params)
        assert resp.status_code == 422, params
        errors = resp.json()["detail"]
        assert [(e["loc"], e["type"]) for e in errors] == [(["query", name], kind)], errors
    both = match_one(viewer, exclude_entity_ids=["icc-khan-karim", "icc-other"], limit="1")
    assert both.status_code == 200 and both.json()["responses"]["k1"]["results"] == []
    assert both.json()["limit"] == 1
    assert match_one(viewer, unknown="ignored").status_code == 200  # as FastAPI: unknown ones ignored


def test_entities_are_nested_ftm(viewer: httpx.Client) -> None:
    ent = viewer.get("/entities/icc-bensouda-fatou").json()
    assert ent["caption"] == "Fatou Bensouda"
    sanction = ent["properties"]["sanctions"][0]
    assert sanction["schema"] == "Sanction"
    assert sanction["properties"]["endDate"] == ["2021-04-02"]
    assert "entity" not in sanction["properties"]  # the edge back is left out
    flat = viewer.get("/entities/icc-bensouda-fatou", params={"nested": "false"}).json()
    assert "sanctions" not in flat["properties"]
    assert viewer.get(f"/entities/{sanction['id']}").json()["schema"] == "Sanction"
    assert viewer.get("/entities/no-such-entity").status_code == 404


def test_search_catalog_and_algorithms(viewer: httpx.Client) -> None:
    found = viewer.get("/search/default", params={"q": "bin laden", "facets": ["datasets", "schema"]}).json()
    assert "ofac-6365" in [r["id"] for r in found["results"]]
    assert {v["name"] for v in found["facets"]["datasets"]["values"]} >= {"us_ofac_sdn"}
    delisted = viewer.get("/search/proscribe_icc", params={"q": "bensouda"}).json()
    assert [r["id"] for r in delisted["results"]] == ["icc-bensouda-fatou"]
    browse = viewer.get("/search/proscribe_icc", params={"schema": "Person", "limit": 5, "offset": 5}).json()
    everything = viewer.get("/search/proscribe_icc").json()["total"]["value"]
    assert everything == 17 and 5 < browse["total"]["value"] < everything
    assert len(browse["results"]) == 5 and {r["schema"] for r in browse["results"]} == {"Person"}
    catalog = viewer.get("/catalog").json()
    names = {d["name"]: d for d in catalog["datasets"]}
    assert set(names) >= {"default", "sanctions", "us_ofac_sdn", "un_sc_sanctions", "proscribe_icc"}
    assert names["default"]["children"] == ["proscribe_icc", "un_sc_sanctions", "us_ofac_sdn"]
    assert catalog["index_stale"] is False
    algos = viewer.get("/algorithms").json()
    assert algos["best"] == algos["default"] == algos["algorithms"][0]["name"]


def test_opensanctions_client_matches_unchanged(server: LiveServer, keys: dict[str, str]) -> None:
    """yente-client, OpenSanctions' SDK for yente, sends ``Authorization: ApiKey`` and parses our answers."""
    from yente_client import Client, Company, Person

    with Client(api_key=keys["viewer"], base_url=server.url, app_name="proscribe-test") as client:
        assert client.healthz().status == "ok"
        assert client.readyz().status == "ok"
        hits = client.match(Person(name="Karim Asad Ahmad Khan"), datasets=["sanctions"])
        assert hits.top is not None and hits.top.id == "icc-khan-karim" and hits.top.match
        assert hits.top.explanations["name_match"].score > 0.9
        hits = client.match(Person(firstName="Osama", lastName="bin Laden", birthDate="1957"), threshold=0.5)
        assert hits.top is not None and hits.top.id == "ofac-6365"
        assert hits.top.first_seen is not None and hits.top.first_seen.year == 2021
        assert client.match(Company(name="Zzyzx Qwvv Holdings")).results == []
        entity = client.fetch("ofac-6365")
        assert entity.caption.startswith("Usama bin Muhammad")
        assert any(getattr(s, "schema_", None) == "Sanction" for s in entity.properties["sanctions"])
        assert client.search("bin laden", datasets=["us_ofac_sdn"]).total.value >= 1
        assert {d.name for d in client.datasets().datasets} >= {"default", "us_ofac_sdn"}
        assert client.algorithms().best == "proscribe-v1"


# --- proscribe's endpoints -------------------------------------------------------------------------


def test_screen_one_name(viewer: httpx.Client) -> None:
    resp = viewer.post("/api/screen", json={"name": "Osama bin Laden", "type": "person"})
    assert resp.status_code == 200
    assert resp.json()["hits"][0]["entity_id"] == "ofac-6365"
    assert viewer.post("/api/screen", json={"name": "x", "birth_date": "31/12/1960"}).status_code == 422
    # a filter naming no list or program is an error naming what exists, not an empty answer
    resp = viewer.post("/api/screen", json={"name": "Osama bin Laden", "datasets": ["nosuch"]})
    assert resp.status_code == 422 and "no list 'nosuch'" in resp.text and "us_ofac_sdn" in resp.text
    resp = viewer.post("/api/screen", json={"name": "Osama bin Laden", "programs": ["NOSUCH"]})
    assert resp.status_code == 422 and "no program 'NOSUCH'" in resp.text and "SDGT" in resp.text
    resp = viewer.post("/api/screen", json={"name": "Osama bin Laden", "datasets": ["us_ofac_sdn"]})
    assert resp.status_code == 200 and resp.json()["hits"][0]["entity_id"] == "ofac-6365"


def test_an_unknown_filter_is_an_error_naming_it(viewer: httpx.Client) -> None:
    """A list, a topic or a country code that does not exist leaves nothing to find: it is refused
    (400) with its name, never answered with an empty result; a misspelt field of /api/screen too."""
    resp = match_one(viewer, include_dataset="ofac")
    assert resp.status_code == 400 and "no dataset 'ofac'" in resp.text and "us_ofac_sdn" in resp.text
    resp = match_one(viewer, topics="sanctions")  # FollowTheMoney's topic is "sanction"
    assert resp.status_code == 400 and "unknown topic 'sanctions'" in resp.text
    assert match_one(viewer, topics="sanction").json()["responses"]["k1"]["results"]
    search = {"q": "bin Laden"}
    resp = viewer.get("/search/default", params=search | {"include_dataset": "ofac"})
    assert resp.status_code == 400 and "no dataset 'ofac'" in resp.text
    resp = viewer.get("/search/default", params=search | {"countries": "Narnia"})
    assert resp.status_code == 400 and "unknown country code 'narnia'" in resp.text
    resp = viewer.get("/search/default", params=search | {"topics": "nosuch"})
    assert resp.status_code == 400 and "unknown topic 'nosuch'" in resp.text
    resp = viewer.get(
        "/search/default", params=search | {"include_dataset": "us_ofac_sdn", "topics": "sanction"}
    )
    assert resp.status_code == 200 and resp.json()["results"]
    # "dataset" for "datasets": ignored, it screened against every list
    resp = viewer.post("/api/screen", json={"name": "Osama bin Laden", "dataset": "nosuch"})
    assert resp.status_code == 422 and "dataset" in resp.text


def test_batch_job_runs_and_its_result_downloads(server: LiveServer, keys: dict[str, str]) -> None:
    csv = "id,name,type\nr1,Osama bin Laden,person\nr2,Zzyzx Qwvv,organization\nr3,,person\n"
    with httpx.Client(base_url=server.url, headers=auth(keys["analyst"]), timeout=30) as analyst:
        resp = analyst.post("/api/screen/batch", files={"file": ("names.csv", csv.encode(), "text/csv")})
        assert resp.status_code == 202, resp.text
        job = resp.json()
        assert job["progress"]["total"] == 3
        for _ in range(300):
            job = analyst.get(f"/api/jobs/{job['id']}").json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        assert job["status"] == "done", job
        assert job["result"]["screened"] == 2 and job["result"]["errors"] == 1
        result = analyst.get(job["download"])
        assert result.status_code == 200
        assert "ofac-6365" in result.text and "r2" not in result.text
        errors = analyst.get(job["download"], params={"errors": "true"}).text
        assert "r3" in errors
    # the job's files are customer data: a 0700 folder of 0600 files, whatever the umask
    folder = server.runtime.jobs.folder / job["id"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.runtime.jobs.folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), files
    # another non-admin user does not see it
    with httpx.Client(base_url=server.url, headers=auth(keys["approver"])) as other:
        assert other.get(f"/api/jobs/{job['id']}").status_code == 404


def test_a_running_batch_job_in_memory_stops_when_cancelled(server: LiveServer, keys: dict[str, str]) -> None:
    """Without Redis a job runs in the server; cancelled while it runs, it stops at its next batch of
    rows: cancelled, by whom, no download, the half-written hits file deleted, the cancel audited."""
    listed = ["Osama bin Laden", "Karim Asad Ahmad Khan", "Fatou Bensouda"]
    rows = "".join(
        f"r{i},{listed[i % 3] if i % 50 == 0 else f'Maria Novak {i}'},person\n" for i in range(20000)
    )
    prefix = keys["analyst"].split("_")[1]
    with httpx.Client(base_url=server.url, headers=auth(keys["analyst"]), timeout=30) as analyst:
        job = analyst.post(
            "/api/screen/batch", files={"file": ("many.csv", f"id,name,type\n{rows}".encode(), "text/csv")}
        ).json()
        deadline = time.monotonic() + 120
        while not (job["status"] == "running" and job["progress"]["done"]):
            assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.05)
            job = analyst.get(f"/api/jobs/{job['id']}").json()
        assert analyst.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
        deadline = time.monotonic() + 60
        while (job := analyst.get(f"/api/jobs/{job['id']}").json())["status"] == "running":
            assert time.monotonic() < deadline, "the running job did not stop"
            time.sleep(0.05)
        assert job["status"] == "cancelled" and job["cancelled_by"] == f"analyst-user (key {prefix})"
        assert 0 < job["progress"]["done"] < 20000 and job["download"] is None
        assert analyst.get(f"/api/jobs/{job['id']}/result").status_code == 409
    assert not (server.runtime.jobs.folder / job["id"] / "hits.csv").exists()
    with httpx.Client(base_url=server.url, headers=auth(keys["admin"]), timeout=30) as admin:
        deadline = time.monotonic() + 30
        while not (trail := admin.get("/api/audit", params={"subject": f"job:{job['id']}"}).json()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert [(r["action"], r["actor"]) for r in trail] == [("job.cancel", f"analyst-user (key {prefix})")]


def test_lists_status_update_and_audit(admin: httpx.Client, viewer: httpx.Client) -> None:
    lists = viewer.get("/api/lists").json()
    assert {s["dataset"] for s in lists["lists"]} == {"proscribe_icc", "un_sc_sanctions", "us_ofac_sdn"}
    assert lists["index"]["listings"] > 9000
    assert viewer.post("/api/lists/update").status_code == 403
    job = admin.post("/api/lists/update").json()
    for _ in range(200):
        job = admin.get(f"/api/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "failed" and "no list files" in job["error"]  # the mirror folder is empty
    report = admin.get("/api/audit/verify").json()
    assert report["ok"] is True and report["records"] > 0
    assert viewer.get("/api/audit/verify").status_code == 403


def test_every_change_is_audited_with_its_caller(server: LiveServer, admin: httpx.Client) -> None:
    made = admin.post("/api/users", json={"username": "auditee", "role": "analyst"})
    assert made.status_code == 201 and len(made.json()["password"]) >= 12
    assert admin.post("/api/users", json={"username": "auditee", "role": "analyst"}).status_code == 409
    with Session(server.runtime.store.engine) as session:
        rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(10)).scalars().all()
    actions = [(r.action, r.subject, r.data.get("status")) for r in rows]
    assert ("user.create", "user:auditee", None) in actions
    requests = [r for r in rows if r.action == "http.request" and r.subject == "route:/api/users"]
    assert {r.data["status"] for r in requests} == {201, 409}
    assert all(r.actor.startswith("admin-user (key ") for r in requests)


def test_keys_are_shown_once_capped_and_revocable(server: LiveServer, keys: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, headers=auth(keys["analyst"])) as analyst:
        assert analyst.post("/api/keys", json={"role": "admin"}).status_code == 403
        made = analyst.post("/api/keys", json={"name": "for a script", "role": "viewer"}).json()
        secret, prefix = made["key"], made["prefix"]
        listed = analyst.get("/api/keys").json()
        assert prefix in [k["prefix"] for k in listed]
        assert all("key" not in k and "secret_hash" not in k for k in listed)
    with httpx.Client(base_url=server.url, headers=auth(secret)) as script:
        assert script.get("/api/me").json()["role"] == "viewer"
        assert script.post("/api/screen/batch").status_code == 403  # a viewer key of an analyst
        assert script.delete(f"/api/keys/{prefix}").status_code == 200
        assert script.get("/api/me").status_code == 401
    # Bearer works as well as ApiKey
    bearer = {"Authorization": f"Bearer {keys['viewer']}"}
    assert httpx.get(f"{server.url}/api/me", headers=bearer).json()["username"] == "viewer-user"


def test_rate_and_size_limits(server: LiveServer, viewer: httpx.Client) -> None:
    slow = server.key("viewer", rate_limit=1.0)  # a burst of two, then one a second
    with httpx.Client(base_url=server.url, headers=auth(slow)) as client:
        codes = [client.get("/algorithms").status_code for _ in range(6)]
    assert codes[:2] == [200, 200] and 429 in codes
    big = {"queries": {"k": {"schema": "Person", "properties": {"name": ["x" * 70_000]}}}}
    assert viewer.post("/match/default", json=big).status_code == 413
    # the same body sent in chunks, without a Content-Length: counted as it arrives, refused alike
    body = json.dumps({"queries": {"k": {"properties": {"name": ["x" * 2_000_000]}}}}).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    chunked = viewer.post("/match/default", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def test_screening_work_is_bounded_with_a_clear_answer(viewer: httpx.Client) -> None:
    """One request cannot freeze the service: names, words, characters and names in all are bounded."""

    def match(names: list[str], queries: int = 1) -> httpx.Response:
        body = {
            "queries": {f"q{i}": {"schema": "Person", "properties": {"name": names}} for i in range(queries)}
        }
        return viewer.post("/match/default", json=body)

    resp = match(["word " * 41])
    assert resp.status_code == 422
    assert resp.json()["detail"] == "query 'q0': name 1 has 41 words; at most 40 are screened"
    resp = match(["Karim Khan", "x" * 401])
    assert resp.status_code == 422
    assert resp.json()["detail"] == "query 'q0': name 2 has 401 characters; at most 400 are screened"
    resp = match([f"Karim Khan {i}" for i in range(21)])
    assert resp.status_code == 422
    assert resp.json()["detail"] == "query 'q0': more than 20 names; split it into several queries"
    resp = match([f"Karim Khan {i}" for i in range(6)], queries=100)  # 600 names in all
    assert resp.status_code == 413
    assert resp.json()["detail"].startswith("the request has 600 names; at most 500 in one request")
    assert match([f"Karim Khan {i}" for i in range(5)], queries=100).status_code == 200  # 500: within
    resp = viewer.post("/api/screen", json={"name": "word " * 41})
    assert resp.status_code == 422 and resp.json()["detail"] == "name has 41 words; at most 40 are screened"
    resp = viewer.get("/search/default", params={"q": "x" * 401})
    assert resp.status_code == 422 and "q has 401 characters" in resp.json()["detail"]


def test_healthz_answers_while_big_requests_are_scored(server: LiveServer, viewer: httpx.Client) -> None:
    """Scoring runs off the event loop: /healthz answers within a second during a heavy /match."""
    names = [f"Karim Asad Ahmad Khan {i}" for i in range(5)]
    body = {"queries": {f"q{i}": {"schema": "Person", "properties": {"name": names}} for i in range(100)}}
    spans: list[tuple[float, float, int]] = []

    def heavy() -> None:
        start = time.monotonic()
        code = viewer.post("/match/default", json=body).status_code
        spans.append((start, time.monotonic(), code))

    threads = [threading.Thread(target=heavy) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    answered: list[float] = []
    for _ in range(3):
        start = time.monotonic()
        assert httpx.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
        answered.append(time.monotonic())
        assert answered[-1] - start < 1.0
    for t in threads:
        t.join()
    assert [code for *_, code in spans] == [200, 200, 200]
    # /healthz was answered while the heavy requests were still being scored
    assert answered[0] < max(end for _, end, _ in spans)


def login_token(browser: httpx.Client) -> str:
    """The sign-in form's token (login CSRF), as the page gives it to this browser."""
    page = browser.get("/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(browser: httpx.Client, username: str, password: str) -> httpx.Response:
    """Sign in as a browser does: the form's page first, then the form with its token."""
    token = login_token(browser)
    return browser.post("/login", data={"username": username, "password": password, "csrf": token})


def session_of(server: LiveServer, browser: httpx.Client) -> dict[str, object]:
    """What the browser's signed session cookie holds (read with the server's secret)."""
    import base64

    from itsdangerous import TimestampSigner

    cookie = browser.cookies.get("proscribe_session")
    if not cookie:
        return {}
    data = TimestampSigner(server.runtime.secret_key).unsign(cookie.encode())
    loaded: dict[str, object] = json.loads(base64.b64decode(data))
    return loaded


def test_sign_in_with_a_session_and_a_one_time_password(server: LiveServer) -> None:
    first = server.runtime.first_start
    assert first is not None and first.username == "admin"
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        page = browser.get("/", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert 'for="password"' in browser.get("/login").text
        wrong = sign_in(browser, "admin", "not the password")
        assert wrong.status_code == 401 and browser.cookies.get("proscribe_session")
        assert "user" not in session_of(server, browser)
        ok = sign_in(browser, "admin", first.password)
        assert ok.status_code == 303 and "user" in session_of(server, browser)
        # a second session of the same user, opened before the password changes
        other = httpx.Client(base_url=server.url, follow_redirects=False)
        time.sleep(1.1)  # sign-ins from one address are limited to one a second (after a burst of two)
        assert sign_in(other, "admin", first.password).status_code == 303
        assert other.get("/api/me").status_code == 200
        # the one-time password must be changed before anything else
        assert browser.get("/api/me").json()["must_change_password"] is True
        assert browser.get("/catalog").status_code == 403
        new = "a long new passphrase"
        # a change signed in by cookie needs this session's CSRF token (another site cannot have it)
        refused = browser.post("/api/me/password", json={"current": first.password, "new": new})
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.text
        token = browser.get("/api/me").json()["csrf_token"]
        changed = browser.post(
            "/api/me/password", json={"current": first.password, "new": new}, headers={"X-CSRF-Token": token}
        )
        assert changed.status_code == 200
        assert browser.get("/catalog").status_code == 200
        # the change ends every other session issued under the old password (a stolen cookie dies)
        assert other.get("/api/me").status_code == 401
        other.close()
        assert browser.get("/docs").status_code == 200
        assert browser.post("/logout").status_code == 403  # without the token: another site's form
        assert browser.post("/logout", data={"csrf": token}).status_code == 303
        assert browser.get("/catalog").status_code == 401
    with Session(server.runtime.store.engine) as session:
        actions = set(session.execute(select(AuditRecord.action)).scalars())
    assert {"login", "login.failed", "user.change_password"} <= actions


def test_metrics_count_requests_by_route(viewer: httpx.Client) -> None:
    match_one(viewer)
    text = viewer.get("/metrics").text
    assert 'proscribe_http_requests_total{method="POST",route="/match/{dataset}",status="200"}' in text
    assert "proscribe_index_listings" in text


def test_sign_in_needs_the_forms_token(server: LiveServer) -> None:
    """Login CSRF: another site cannot sign a victim's browser into the attacker's account.

    The attacker's page can post the form, but not with the token kept in the victim's cookie.
    """
    user, password = "csrf-target", "a long enough passphrase"
    with Session(server.runtime.store.engine) as session, session.begin():
        users.create_user(
            session, user, "viewer", actor="test", password=password, must_change_password=False
        )
    with httpx.Client(base_url=server.url, follow_redirects=False) as victim:
        # another site's form: no token at all
        refused = victim.post("/login", data={"username": user, "password": password})
        assert refused.status_code == 403 and "out of date" in refused.text
        assert "user" not in session_of(server, victim)
        # the attacker's own token (from the attacker's browser) does not match the victim's cookie
        with httpx.Client(base_url=server.url) as attacker:
            their_token = login_token(attacker)
        login_token(victim)  # the victim has a sign-in token of their own
        time.sleep(1.1)
        crossed = victim.post("/login", data={"username": user, "password": password, "csrf": their_token})
        assert crossed.status_code == 403 and "user" not in session_of(server, victim)
        time.sleep(1.1)
        assert sign_in(victim, user, password).status_code == 303
        assert victim.get("/api/me").json()["username"] == user


def test_a_cookie_copied_before_sign_out_stops_working(server: LiveServer) -> None:
    """Sign-out ends the session on the server: a copy of the cookie is worthless afterwards."""
    user, password = "signs-out", "a long enough passphrase"
    with Session(server.runtime.store.engine) as session, session.begin():
        users.create_user(
            session, user, "viewer", actor="test", password=password, must_change_password=False
        )
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        time.sleep(1.1)
        assert sign_in(browser, user, password).status_code == 303
        copied = browser.cookies.get("proscribe_session")
        assert copied and browser.get("/api/me").status_code == 200
        token = browser.get("/api/me").json()["csrf_token"]
        assert browser.post("/logout", data={"csrf": token}).status_code == 303
    with httpx.Client(base_url=server.url, cookies={"proscribe_session": copied}) as thief:
        assert thief.get("/api/me").status_code == 401
        assert thief.post("/api/keys", json={}, headers={"X-CSRF-Token": token}).status_code == 401
    with Session(server.runtime.store.engine) as session:
        query = select(users.UserSession).where(users.UserSession.username == user)
        ended = session.execute(query).scalar_one()
        assert ended.ended_at is not None and ended.ended_by == user


def test_security_headers_on_every_answer(server: LiveServer, viewer: httpx.Client) -> None:
    """No page can be framed by another (clickjacking of the approval page), nor sniffed."""
    answers = [
        httpx.get(f"{server.url}/login"),
        httpx.get(f"{server.url}/healthz"),
        httpx.get(f"{server.url}/catalog"),  # 401
        httpx.get(f"{server.url}/ui/alerts", headers={"accept": "text/html"}),  # sent to sign in
        viewer.get("/api/me"),
        viewer.get("/ui/alerts", headers={"accept": "text/html"}),
        viewer.post("/match/default", content=b"x" * 70_000, headers={"content-type": "application/json"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 303, 200, 200, 413]
    for answer in answers:
        h = answer.headers
        assert h["x-frame-options"] == "DENY", answer.url
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "script-src" not in csp  # the workspace runs no script
    docs = viewer.get("/docs")
    assert docs.status_code == 200 and "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    # Swagger UI comes from this server, not a CDN: the page names only local assets, and they are served
    assert "https://" not in docs.headers["content-security-policy"]
    assert "/static/docs/swagger-ui-bundle.js" in docs.text and "cdn.jsdelivr.net" not in docs.text
    assert "SwaggerUIBundle" in viewer.get("/static/docs/swagger-ui-bundle.js").text
    redoc = viewer.get("/redoc")
    assert redoc.status_code == 200 and "/static/docs/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis.com" not in redoc.text


def test_a_disabled_users_keys_and_sessions_stop(server: LiveServer, admin: httpx.Client) -> None:
    """Off-boarding: disabling a user stops their key and their signed-in session at once."""
    user, password = "leaver", "a long enough passphrase"
    with Session(server.runtime.store.engine) as session, session.begin():
        users.create_user(
            session, user, "analyst", actor="test", password=password, must_change_password=False
        )
        _, key = users.create_key(session, user, actor=user)
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        time.sleep(1.1)
        assert sign_in(browser, user, password).status_code == 303
        assert browser.get("/api/me").status_code == 200
        assert httpx.get(f"{server.url}/api/me", headers=auth(key)).status_code == 200
        resp = admin.post(f"/api/users/{user}/disable")
        assert resp.status_code == 200 and resp.json()["disabled"] is True
        assert httpx.get(f"{server.url}/api/me", headers=auth(key)).status_code == 401
        assert browser.get("/api/me").status_code == 401
    refused = admin.post("/api/users/admin-user/disable")
    assert refused.status_code == 400 and "cannot disable their own account" in refused.json()["detail"]
    assert admin.post(f"/api/users/{user}/enable").json()["disabled"] is False
    assert httpx.get(f"{server.url}/api/me", headers=auth(key)).status_code == 200
