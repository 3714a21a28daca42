"""A small OpenAI-compatible server on loopback, scripted per test: the real SDK talks to it over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]


def completion(content: str, *, prompt_tokens: int = 120, completion_tokens: int = 80) -> Reply:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Streamed:
    """A streamed chat completion (Server-Sent Events), one chunk per piece, optionally slow or cut midway."""

    pieces: tuple[str, ...]
    pause: float = 0.0  # seconds before each piece
    cut_after: int | None = None  # drop the connection after this many pieces, before the stream is complete


def streamed(*pieces: str, pause: float = 0.0, cut_after: int | None = None) -> Streamed:
    return Streamed(pieces=pieces, pause=pause, cut_after=cut_after)


def _sse_chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


def error(status: int, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, body


@dataclass
class FakeLLM:
    """Answers each request with the next scripted reply (the last one repeats); records what it received."""

    base_url: str = ""
    script: list[Reply | Streamed | Callable[[], Reply]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)

    def next_reply(self) -> Reply | Streamed:
        step = self.script[min(len(self.requests) - 1, len(self.script) - 1)]
        return step() if callable(step) else step


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
            )
            fake.request_times.append(time.monotonic())
            reply = fake.next_reply()
            if isinstance(reply, Streamed):
                self._stream(reply)
                return
            status, headers, body = reply
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def _stream(self, reply: Streamed) -> None:
            chunks = [_sse_chunk(piece) for piece in reply.pieces] + [_sse_chunk(None, "stop"), b"data: [DONE]\n\n"]
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                # The whole stream's length: a stream cut short is then an incomplete body, as on a real network.
                self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
                self.end_headers()
                for index, chunk in enumerate(chunks):
                    if reply.cut_after is not None and index >= reply.cut_after:
                        break
                    time.sleep(reply.pause if index < len(reply.pieces) else 0)
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
