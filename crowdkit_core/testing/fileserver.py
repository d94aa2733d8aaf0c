"""A local HTTP file server for offline installer tests (127.0.0.1, a free port).

It serves ``files`` ({"host/path": bytes}) at ``<url>/host/path``, the layout
``$CROWDKIT_DATASETS_BASE_URL`` mirrors, honours ``Range`` requests, and can misbehave on
purpose: ``truncate[path] = n`` sends the full ``Content-Length`` but closes after ``n``
bytes (once), ``fail[path] = status`` answers with an HTTP error. ``requests`` records
(path, Range header) of every request.

    with FileServer({"example.org/data/a.zip": payload}) as server:
        monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", server.url)
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit


class FileServer:
    """Serve in-memory files on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = {k.strip("/"): v for k, v in (files or {}).items()}
        self.truncate: dict[str, int] = {}
        self.fail: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, url_or_path: str, data: bytes) -> str:
        """Serve ``data`` at a real URL's host/path (or a bare path); returns the key."""
        parts = urlsplit(url_or_path)
        key = f"{parts.netloc}{parts.path}".strip("/") if parts.netloc else url_or_path.strip("/")
        self.files[key] = data
        return key

    def add_tree(self, root: Path, prefix: str) -> None:
        """Serve every file under ``root`` at ``prefix/<relative path>``."""
        for file in sorted(Path(root).rglob("*")):
            if file.is_file():
                self.files[f"{prefix.strip('/')}/{file.relative_to(root).as_posix()}"] = file.read_bytes()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FileServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                key = unquote(urlsplit(self.path).path).strip("/")
                server.requests.append((key, self.headers.get("Range")))
                if key in server.fail:
                    self.send_error(server.fail[key])
                    return
                data = server.files.get(key)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes=") and rng[6:].split("-")[0].isdigit():
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                cut = server.truncate.pop(key, None)
                self.wfile.write(body if cut is None else body[:cut])
                if cut is not None:
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def free_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (for "server is down" tests)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
