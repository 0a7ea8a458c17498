"""Updating the lists from the service: the same steps as ``proscribe lists update``.

The official files are downloaded from their publishers, or read from the mirror folder the
server was started with (``PROSCRIBE_LISTS_MIRROR``), with a fallback folder when a download
fails. Each list is imported atomically; a refused import leaves its version in force and is
reported, and the others go on. Folders come from the server's settings, never from the request.
When a list changed, the book is re-screened at once against what changed (``enforcement.updates``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from proscribe.enforcement.updates import rescreen_after
from proscribe.service.config import ServiceConfig
from proscribe.service.db import write_session
from proscribe.sources.base import ListFormatError
from proscribe.sources.namedates import date_in_name
from proscribe.sources.publishers import PUBLICATIONS, DownloadFailed, download, find_in_mirror
from proscribe.store import ImportRefused, ImportResult, Store


def update_and_rescreen(
    store: Store, config: ServiceConfig, *, actor: str, force: bool = False, rescreen: bool = True
) -> dict[str, Any]:
    """``update_lists``, then the delta re-screen of the book if a list changed."""
    imported: list[ImportResult] = []
    results = update_lists(store, config, actor=actor, force=force, imported=imported)
    after = None
    if rescreen:
        with write_session(store.engine):  # the service's write turn (see routes_shared.writer)
            after = rescreen_after(store, imported, actor=actor, cache_dir=config.index_cache)
    return {"imports": results, "rescreen": after.to_dict() if after else None}


def update_lists(
    store: Store,
    config: ServiceConfig,
    *,
    actor: str,
    force: bool = False,
    imported: list[ImportResult] | None = None,
) -> list[dict[str, Any]]:
    """Fetch and import every list; each result as a dict (``imported`` gets the results themselves)."""
    results: list[dict[str, Any]] = []
    mirror = config.lists_mirror
    sources: list[tuple[Path, str]] = []
    if mirror is None:
        cache = Path(user_cache_dir("proscribe")) / "downloads"
        failed = False
        for pub in PUBLICATIONS:
            try:
                sources.append((download(pub, cache, timeout=30.0), pub.format))
            except DownloadFailed as exc:
                failed = True
                results.append({"source": pub.title, "error": str(exc)})
        if failed and config.lists_fallback is not None:
            mirror = config.lists_fallback
            sources = []
    if mirror is not None:
        sources = list(find_in_mirror(mirror))
        if not sources:
            raise ListFormatError(mirror, "no list files proscribe can read in this folder")
    for path, fmt in sources:
        try:
            named = date_in_name(path, mirror) if mirror is not None else None
            result = store.import_path(path, format=fmt, force=force, name_date=named)
            if imported is not None:
                imported.append(result)
            results.append(result.to_dict() | {"by": actor})
        except (ListFormatError, ImportRefused) as exc:
            results.append({"source": str(path), "error": f"{exc}; the version in force is unchanged"})
    return results
