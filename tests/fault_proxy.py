"""A fault-injecting HTTP proxy between boto3 and DynamoDB Local (loopback only).

Faults, chosen at a rate (seeded) or for the next N requests of an operation:
- ``500`` / ``503``: the error answers DynamoDB gives, with their JSON bodies;
- ``throttle``: HTTP 400 ``ThrottlingException`` / ``ProvisionedThroughputExceededException``;
- ``reset``: the connection is reset before the request reaches DynamoDB;
- ``lost_ack``: the request is forwarded (and applied), then the connection is reset, so
  the client never hears the answer;
- ``delay``: the answer comes late (``delay_s``);
- ``denied`` (scripted only): HTTP 400 ``AccessDeniedException``, a permanent refusal;
- ``throttled_statement`` (scripted only, BatchExecuteStatement): the first statement is
  not forwarded and comes back as ``ThrottlingError`` in its place among the answers, as
  DynamoDB reports one statement it did not run.

``latency_s`` adds a network round trip to every request, loopback only (benchmarks of a
real link): half before the request is forwarded, half before the answer goes back.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.loopback import Running

PREFIX = "com.amazonaws.dynamodb.v20120810#"
ANSWERS = {
    "500": (500, "InternalServerError", "Internal server error"),
    "503": (503, "ServiceUnavailable", "Service unavailable"),
    "throttle": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "throughput": (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    # Only when asked for (not in MODES): a permanent refusal, e.g. an IAM policy too narrow.
    "denied": (
        400,
        "AccessDeniedException",
        "User is not authorized to perform: dynamodb:PartiQLUpdate",
    ),
}
MODES = ("500", "503", "throttle", "throughput", "reset", "lost_ack", "delay")


class FaultProxy(Running):
    def __init__(
        self,
        target_port: int,
        rate: float = 0.0,
        modes: Iterable[str] = MODES,
        seed: int = 0,
        delay_s: float = 1.0,
        operations: Iterable[str] | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.target_port = target_port
        self.latency_s = latency_s
        self.rate = rate
        self.modes = tuple(modes)
        self.delay_s = delay_s
        self.operations = set(operations) if operations else None  # None: every operation
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.scripted: list[tuple[str | None, str]] = []  # (operation or None, mode)
        self.requests: Counter[str] = Counter()
        self.bodies: list[tuple[str, bytes]] = []  # (operation, request body), in order
        self.faults: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, mode: str, count: int = 1, operation: str | None = None) -> None:
        with self.lock:
            self.scripted.extend([(operation, mode)] * count)

    def written_keys(self) -> Counter[str]:
        """How many writes each item key received (PartiQL statements, single-item writes,
        transaction actions, BatchWriteItem puts)."""
        counts: Counter[str] = Counter()
        for operation, body in self.bodies:
            request = json.loads(body)
            if operation == "BatchExecuteStatement":
                for statement in request["Statements"]:
                    counts[_statement_key(statement)] += 1
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                key = request.get("Key") or request.get("Item")
                counts[_key_text(request["TableName"], key)] += 1
            elif operation == "TransactWriteItems":
                for action in request["TransactItems"]:
                    (detail,) = action.values()
                    key = detail.get("Key") or detail.get("Item")
                    counts[_key_text(detail["TableName"], key)] += 1
            elif operation == "BatchWriteItem":
                for table, writes in request["RequestItems"].items():
                    for write in writes:
                        counts[_key_text(table, write["PutRequest"]["Item"])] += 1
        return counts

    def _choose(self, operation: str, body: bytes) -> str | None:
        with self.lock:
            self.requests[operation] += 1
            self.bodies.append((operation, body))
            for i, (wanted, mode) in enumerate(self.scripted):
                if wanted is None or wanted == operation:
                    del self.scripted[i]
                    self.faults[mode] += 1
                    return mode
            if self.operations is not None and operation not in self.operations:
                return None
            if self.rate and self.random.random() < self.rate:
                mode = self.random.choice(self.modes)
                self.faults[mode] += 1
                return mode
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        operation = handler.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        if self.latency_s:
            time.sleep(self.latency_s / 2)  # there ...
        mode = self._choose(operation, body)
        if mode in ANSWERS:
            status, code, message = ANSWERS[mode]
            payload = json.dumps({"__type": PREFIX + code, "message": message}).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/x-amz-json-1.0")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if mode == "reset":
            _reset(handler)
            return
        if mode == "delay":
            time.sleep(self.delay_s)
        if mode == "throttled_statement":
            request = json.loads(body)
            first = request["Statements"].pop(0)
            body = json.dumps(request).encode()
        status, headers, answer = self._forward(handler, body)
        if mode == "throttled_statement" and status == 200:
            answered = json.loads(answer)
            refusal = {"Code": "ThrottlingError", "Message": "Throughput exceeds the limit"}
            table = _TABLE.search(first["Statement"])
            answered["Responses"].insert(
                0, {"Error": refusal, "TableName": table.group(1) if table else ""}
            )
            answer = json.dumps(answered).encode()
        if mode == "lost_ack":
            _reset(handler)
            return
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in (
                "content-length",
                "connection",
                "transfer-encoding",
                "date",
                "server",
            ):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer)))
        if self.latency_s:
            time.sleep(self.latency_s / 2)  # ... and back
        handler.end_headers()
        handler.wfile.write(answer)

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=60)
        try:
            headers = {
                k: v
                for k, v in handler.headers.items()
                if k.lower() not in ("host", "content-length")
            }
            headers["Host"] = f"127.0.0.1:{self.target_port}"
            connection.request("POST", handler.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _key_text(table: str, item: dict[str, dict[str, str]]) -> str:
    """A readable identity for an item: its table and string key attributes."""
    keys = ("userId", "templateId", "snippetId", "presetId", "versionId", "trackingId", "PK", "SK")
    return table + ":" + "/".join(item[k]["S"] for k in keys if k in item)


# A name and its ``?`` in a PartiQL statement: ``"name" = ?`` or ``'name': ?`` (INSERT).
_PARAMETER = re.compile(r"""(?:"((?:[^"]|"")*)"\s*=\s*\?|'((?:[^']|'')*)'\s*:\s*\?)""")
_TABLE = re.compile(r'(?:INTO|UPDATE|FROM)\s+"((?:[^"]|"")*)"')


def _statement_key(statement: dict[str, object]) -> str:
    """:func:`_key_text` of the item a PartiQL statement writes (every ``?`` in the
    engine's statements follows a name, so the n-th match is the n-th parameter)."""
    text = str(statement["Statement"])
    parameters = statement.get("Parameters") or []
    assert isinstance(parameters, list)
    values: dict[str, dict[str, str]] = {}
    for match, value in zip(_PARAMETER.finditer(text), parameters, strict=True):
        name = (match.group(1) or "").replace('""', '"') or match.group(2).replace("''", "'")
        values.setdefault(name, value)
    table = _TABLE.search(text)
    assert table is not None, text
    return _key_text(table.group(1), values)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Abort the client's connection with a TCP RST."""
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    sock.close()
