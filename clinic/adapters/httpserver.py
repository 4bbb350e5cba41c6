"""The base of the project's small stdlib HTTP servers (embedded Duckling, emulators)."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection, ready for bursts of clients."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections under a burst of clients.
    request_queue_size = 128

    def serve_until_interrupted(self) -> None:
        """Serve until Ctrl-C (or SIGINT from the supervisor), then release the port."""
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.server_close()
