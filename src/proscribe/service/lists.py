"""Updating the lists from the service: the same steps as ``proscribe lists update``.

The official files are downloaded from their publishers, or read from the mirror folder the
server was started with (``PROSCRIBE_LISTS_MIRROR``), with a fallback folder when a download
fails. Each list is imported atomically; a refused import leaves its version in force and is
reported, and the others go on. Folders come from the server's settings, never from the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from proscribe.service.config import ServiceConfig
from proscribe.sources.base import ListFormatError
from proscribe.sources.publishers import PUBLICATIONS, DownloadFailed, download, find_in_mirror
from proscribe.store import ImportRefused, Store


def update_lists(
    store: Store, config: ServiceConfig, *, actor: str, force: bool = False
) -> list[dict[str, Any]]:
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
            result = store.import_path(path, format=fmt, force=force)
            results.append(result.to_dict() | {"by": actor})
        except (ListFormatError, ImportRefused) as exc:
            results.append({"source": str(path), "error": f"{exc}; the version in force is unchanged"})
    return results
