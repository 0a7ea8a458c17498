"""The container files: checked as files on every run; the image built and started only where a
Docker daemon answers and PROSCRIBE_TEST_DOCKER=1 (a build takes minutes: not in the fast suite)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from proscribe.service.config import ServiceConfig

ROOT = Path(__file__).resolve().parent.parent


def test_the_dockerfile_installs_the_wheel_and_runs_as_a_user_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages and all(s.endswith("-slim") or s.startswith("python:3.11-slim") for s in stages)
    assert "pip wheel" in text and re.search(r"pip install .*\.whl", text)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["proscribe"\]', text, re.M)


def test_compose_runs_the_service_with_postgresql_and_redis_by_its_documented_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "proscribe", "jobs"} <= set(services)
    env = services["proscribe"]["environment"]
    assert env["PROSCRIBE_DB"].startswith("postgresql://") and "@postgres:" in env["PROSCRIBE_DB"]
    assert env["PROSCRIBE_REDIS_URL"].startswith("redis://redis:")
    assert services["jobs"]["command"] == ["jobs", "worker"]
    # every setting compose gives is one the service reads, and means what compose wants
    before = dict(os.environ)
    try:
        os.environ.update({k: str(v) for k, v in env.items()})
        config = ServiceConfig.from_env()
    finally:
        os.environ.clear()
        os.environ.update(before)
    assert (config.db, config.redis_url) == (env["PROSCRIBE_DB"], env["PROSCRIBE_REDIS_URL"])
    assert config.workers == int(env["PROSCRIBE_WORKERS"]) and config.metrics_port == 9100
    documented = (ROOT / "docs" / "service.md").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in [*env, *re.findall(r"\b(PROSCRIBE_[A-Z_]+)=", dockerfile)]:
        assert f"`{name}`" in documented or name == "PROSCRIBE_AUDIT_DIR", f"{name} is not in docs/service.md"


@pytest.mark.skipif(
    os.environ.get("PROSCRIBE_TEST_DOCKER") != "1" or shutil.which("docker") is None,
    reason="builds the image (minutes): set PROSCRIBE_TEST_DOCKER=1 where a Docker daemon runs",
)
def test_the_image_builds_and_answers() -> None:
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("no Docker daemon answers here (docker info fails)")
    subprocess.run(["docker", "build", "-t", "proscribe:test", str(ROOT)], check=True, timeout=1800)
    out = subprocess.run(
        ["docker", "run", "--rm", "proscribe:test", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve" in out.stdout
