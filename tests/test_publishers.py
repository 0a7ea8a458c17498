"""Downloading a publication: all of it or nothing left behind in the cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from proscribe.sources.publishers import DownloadFailed, Publication, download


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/sdn.csv":
            body = b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0-\n'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_failed_download_leaves_no_folder(server: str, tmp_path: Path) -> None:
    # the first file arrives, the second is missing on the server: nothing of either may stay
    pub = Publication(
        "us_ofac_sdn", "ofac-csv", "OFAC", {"sdn.csv": f"{server}/sdn.csv", "alt.csv": f"{server}/alt.csv"}
    )
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        download(pub, tmp_path)
    assert list(tmp_path.iterdir()) == []
    closed = Publication("un_sc_sanctions", "un-xml", "UN", {"consolidated.xml": "http://127.0.0.1:9/x.xml"})
    with pytest.raises(DownloadFailed, match="UN: ConnectError"):
        download(closed, tmp_path, timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_a_complete_download_is_kept(server: str, tmp_path: Path) -> None:
    pub = Publication("us_ofac_sdn", "ofac-csv", "OFAC", {"sdn.csv": f"{server}/sdn.csv"})
    path = download(pub, tmp_path)
    assert path.name == "sdn.csv" and "AEROCARIBBEAN" in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["sdn.csv"]
