"""API Gateway (REST, v1 proxy integration) in front of the functions' `Api` events.

Routes come from the template; a request becomes the REST proxy event the function would get
behind API Gateway, and the function's proxy result becomes the HTTP response.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("invsync_local.api")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024  # larger refused bodies are not read, the connection just closes
MISSING_TOKEN = {"message": "Missing Authentication Token"}
INTERNAL_ERROR = {"message": "Internal server error"}

_TEXT_SUBTYPES = {
    "json",
    "xml",
    "x-www-form-urlencoded",
    "javascript",
    "graphql",
    "x-ndjson",
    "yaml",
    "x-yaml",
    "csv",
}


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str  # the resource template, e.g. /v1/{proxy+}
    method: str  # upper case, or ANY
    function_id: str
    event_name: str = ""

    @property
    def segments(self) -> tuple[str, ...]:
        return _split(self.path)

    def specificity(self) -> tuple[int, ...]:
        # literal before {param} before {greedy+}, segment by segment; longer paths first
        ranks = tuple(0 if not s.startswith("{") else (2 if s.endswith("+}") else 1) for s in self.segments)
        return ranks + (-len(ranks),)

    def match_path(self, path: str) -> dict[str, str] | None:
        """Path parameters when `path` fits this resource, else None."""
        actual = _split(path)
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = actual[index:]
                if not rest:
                    return None
                params[segment[1:-2]] = "/".join(rest)
                return params
            if index >= len(actual):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                if actual[index] == "":
                    return None
                params[segment[1:-1]] = actual[index]
            elif segment != actual[index]:
                return None
        return params if len(actual) == len(self.segments) else None


def _split(path: str) -> tuple[str, ...]:
    stripped = path.strip("/")
    return tuple(stripped.split("/")) if stripped else ()


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: (r.specificity(), r.method == "ANY"))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        method = method.upper()
        for route in self.routes:
            if route.method not in ("ANY", method):
                continue
            params = route.match_path(path)
            if params is not None:
                return route, params
        return None

    def __iter__(self):  # noqa: ANN204
        return iter(self.routes)


# --------------------------------------------------------------------------------------------
# Event and response mapping
# --------------------------------------------------------------------------------------------


def is_text_content(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "text" or sub in _TEXT_SUBTYPES or sub.endswith("+json") or sub.endswith("+xml")


def encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text bodies pass through raw, anything else as base64."""
    if not body:
        return None, False
    if is_text_content(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _request_time(now: _dt.datetime) -> str:
    return now.strftime("%d/%b/%Y:%H:%M:%S +0000")


def build_rest_event(
    *,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    query_string: str,
    body: bytes,
    route: Route,
    path_parameters: Mapping[str, str],
    stage: str,
    source_ip: str,
    account_id: str,
    api_id: str = "local",
    request_id: str | None = None,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event for one request. Header names keep their case."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    request_id = request_id or str(uuid.uuid4())
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
    encoded, is_base64 = encode_body(body, content_type)
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": method.upper(),
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "path": f"/{stage}{path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": host,
            "apiId": api_id,
        },
        "body": encoded,
        "isBase64Encoded": is_base64,
    }


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, payload: Any, extra_headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
    body = json.dumps(payload, default=str).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *extra_headers], body)


def response_from_result(result: Any) -> HttpResponse:
    """Map a Lambda proxy result back to HTTP (502 when it is malformed, as API Gateway)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        log.error("malformed Lambda proxy response: %r", result if not isinstance(result, dict) else sorted(result))
        return json_response(502, INTERNAL_ERROR)
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        log.error("malformed Lambda proxy response: statusCode %r", result["statusCode"])
        return json_response(502, INTERNAL_ERROR)
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.append((name, str(value)))
    multi_names = {n.lower() for n in multi}
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in multi_names:
            headers.append((name, str(value)))
    if not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/json"))
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    return HttpResponse(status, headers, raw)


# --------------------------------------------------------------------------------------------
# The HTTP server
# --------------------------------------------------------------------------------------------


class _RequestHandler(WSGIRequestHandler):
    """Keeps the client's header names and order (WSGI environ upper-cases them)."""

    def make_environ(self):  # type: ignore[no-untyped-def]
        environ = super().make_environ()
        environ["invsync.raw_headers"] = list(self.headers.items())
        return environ

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        log.info('"%s" %s', self.requestline, getattr(code, "value", code))


@dataclass
class LocalRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    query_string: str
    body: bytes
    source_ip: str


Dispatch = Callable[[LocalRequest], HttpResponse]


class ApiServer:
    """werkzeug's threaded server on 127.0.0.1, handing every request to `dispatch`."""

    def __init__(self, dispatch: Dispatch, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._dispatch = dispatch
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> None:
        self._server = make_server(
            self._host, self._port, self._wsgi, threaded=True, request_handler=_RequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="api-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self._handle(environ)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def _handle(self, environ: dict[str, Any]) -> HttpResponse:
        raw_path = environ.get("PATH_INFO") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
        length_header = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if length_header.isdigit():
            length = int(length_header)
            if length > MAX_PAYLOAD_BYTES:
                if length <= DRAIN_LIMIT_BYTES:  # read it, so the client sees the answer, not a reset
                    _read_exactly(stream, length, keep=False)
                return json_response(413, {"message": "Request Too Long"}, [("Connection", "close")])
            body = _read_exactly(stream, length)
        elif environ.get("wsgi.input_terminated"):
            body = stream.read(MAX_PAYLOAD_BYTES + 1)
            if len(body) > MAX_PAYLOAD_BYTES:
                return json_response(413, {"message": "Request Too Long"}, [("Connection", "close")])
        else:
            body = b""
        request = LocalRequest(
            method=environ["REQUEST_METHOD"],
            path=path,
            headers=environ.get("invsync.raw_headers", []),
            query_string=environ.get("QUERY_STRING", ""),
            body=body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        )
        try:
            return self._dispatch(request)
        except Exception:  # noqa: BLE001 - an unexpected error is API Gateway's 502, not a hang
            log.exception("request %s %s failed", request.method, request.path)
            return json_response(502, INTERNAL_ERROR)


def _read_exactly(stream: Any, length: int, *, keep: bool = True) -> bytes:
    chunks = []
    remaining = length
    deadline = time.monotonic() + 60
    while remaining > 0 and time.monotonic() < deadline:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        if keep:
            chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
