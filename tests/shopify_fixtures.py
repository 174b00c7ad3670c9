"""Fixtures and helpers shared by the Shopify client and simulator tests.

Imported explicitly by those test modules (`from tests.shopify_fixtures import ...`), so the
repository-wide conftest stays untouched. The schema is parsed once per process (the simulator's
module cache); every test gets a fresh shop on a module-wide simulator, so tests do not see each
other's stock, buckets or idempotency keys.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from invsync_local.simulators.shopify import ManualClock, ShopifySimulator, load_schema
from invsync_local.simulators.shopify.schema import schema_path
from invsync_local.simulators.shopify.server import _QuietHandler

API_VERSION = "2026-07"
TOKEN = "shpat_test_token"
WEBHOOK_SECRET = "shopify-client-secret"
CAPTURES = schema_path().parents[1] / "captures-2026-04"

_shop_numbers = itertools.count(1)


def load_capture(name: str) -> dict[str, Any]:
    return json.loads((CAPTURES / name).read_text())


@dataclass
class ShopHandle:
    """One simulated shop and the ways to talk to it."""

    sim: ShopifySimulator
    domain: str
    token: str
    secret: str
    locations: list[str]
    http: Client = field(repr=False)

    @property
    def location_id(self) -> str:
        return self.locations[0]

    @property
    def graphql_path(self) -> str:
        return f"/shops/{self.domain}/admin/api/{API_VERSION}/graphql.json"

    def api_base_url(self) -> str:
        return self.sim.api_base_url(self.domain)

    def variant(self, sku: str, available: int | None = 0, location: str | None = None, **kw: Any) -> dict:
        quantities = {} if available is None else {location or self.location_id: available}
        return self.sim.create_variant(self.domain, sku, quantities=quantities, **kw)

    def item(self, sku: str, available: int | None = 0, location: str | None = None) -> str:
        return self.variant(sku, available, location)["inventory_item_id"]

    def graphql(self, query: str, variables: dict | None = None, token: str | None = None,
                operation_name: str | None = None) -> tuple[int, dict]:
        """POST a document in-process (no socket); answers (HTTP status, JSON body)."""
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        resp = self.http.post(self.graphql_path, json=body,
                              headers={"X-Shopify-Access-Token": self.token if token is None else token})
        return resp.status_code, resp.get_json()

    def available(self, sku: str, location: str | None = None) -> int | None:
        return self.sim.available(self.domain, sku, location)

    def requests(self) -> list[dict]:
        return self.sim.requests(self.domain)


def new_shop(sim: ShopifySimulator, locations: list[str] | None = None, **kw: Any) -> ShopHandle:
    domain = f"shop-{next(_shop_numbers)}.myshopify.com"
    summary = sim.create_shop(domain, TOKEN, WEBHOOK_SECRET, locations=locations or ["Shop location"], **kw)
    return ShopHandle(sim=sim, domain=domain, token=TOKEN, secret=WEBHOOK_SECRET,
                      locations=[loc["id"] for loc in summary["locations"]], http=Client(sim))


@pytest.fixture(scope="session")
def shopify_schema():
    """The 2026-07 schema, parsed once for the whole run."""
    return load_schema()


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def simulator(clock: ManualClock, shopify_schema) -> Iterator[ShopifySimulator]:
    sim = ShopifySimulator(clock=clock).start()
    yield sim
    sim.stop()


@pytest.fixture
def shop(simulator: ShopifySimulator) -> ShopHandle:
    return new_shop(simulator)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    observed: Any = None  # what the `on_delivery` hook saw while the request was in flight

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A loopback HTTP endpoint that records Shopify deliveries and answers a chosen status."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.status = 200
        self.on_delivery: Callable[[Delivery], Any] | None = None
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/webhooks/shopify"

    def _app(self, environ, start_response):
        request = Request(environ)
        delivery = Delivery(headers=dict(request.headers), body=request.get_data())
        if self.on_delivery is not None:
            delivery.observed = self.on_delivery(delivery)
        with self._lock:
            self.deliveries.append(delivery)
        return Response("", status=self.status)(environ, start_response)

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
        self.status = 200
        self.on_delivery = None

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(webhook_receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    webhook_receiver.reset()
    yield webhook_receiver
    webhook_receiver.reset()
