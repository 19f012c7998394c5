"""Static file server for the end-to-end tests: serves dist/ with (or, with --no-isolation,
without) the cross-origin isolation headers that SharedArrayBuffer needs.

    python3 tests/e2e/serve.py DIST PORT [--no-isolation] [--hang-pages]

--hang-pages: requests for a page ("/", "*.html") get no answer for a minute, as on a network
that hangs instead of failing; everything else is served as usual.
"""
import functools
import http.server
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    isolate = True
    hang_pages = False

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if self.hang_pages and (path.endswith("/") or path.endswith(".html")):
            time.sleep(60)
            return
        super().do_GET()

    def end_headers(self):
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):  # keep test output readable
        pass


Handler.extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".wasm": "application/wasm", ".js": "text/javascript",
                          ".webmanifest": "application/manifest+json"}


def main():
    dist, port = sys.argv[1], int(sys.argv[2])
    Handler.isolate = "--no-isolation" not in sys.argv
    Handler.hang_pages = "--hang-pages" in sys.argv
    handler = functools.partial(Handler, directory=dist)
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
