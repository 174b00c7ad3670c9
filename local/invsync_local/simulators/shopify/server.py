"""The Shopify simulator as a WSGI app (in-process) or a loopback HTTP server (background thread).

Admin API (what production code talks to)
    POST /shops/{shop_domain}/admin/api/{api_version}/graphql.json
         header X-Shopify-Access-Token; body {"query", "variables"?, "operationName"?}
         (or Content-Type application/graphql with the bare document).
    A channel's `api_base_url` is therefore `{sim.url}/shops/{shop_domain}`.

Control API (tests and the demo; JSON in, JSON out; errors as {"error": message})
    POST   /_sim/reset
    POST   /_sim/shops                       {shop_domain, access_token, webhook_secret,
                                              locations?: [name | {name, id?}], bucket_size?: 2000,
                                              restore_rate?: 100, throttle_status_code?: 200|429,
                                              max_query_cost?: 1000, idempotency_ttl_seconds?: 86400}
    GET    /_sim/shops                       [shop summary]
    GET    /_sim/shops/{shop}                shop summary (locations, bucket, subscriptions)
    POST   /_sim/shops/{shop}/bucket         {currently_available?, bucket_size?, restore_rate?,
                                              throttle_status_code?}
    POST   /_sim/shops/{shop}/webhooks       {topic, address}
    GET    /_sim/shops/{shop}/webhooks
    POST   /_sim/shops/{shop}/variants       {sku, title?, product_title?, quantities?: {location_gid: n},
                                              tracked?: true}
    GET    /_sim/shops/{shop}/inventory?sku=X
    POST   /_sim/shops/{shop}/inventory/set  {sku | inventory_item_id, location_id?, available}
    POST   /_sim/shops/{shop}/orders         {line_items: [{sku | variant_id, quantity}], location_id?,
                                              test?, source_name?, email?}   -> orders/create
    GET    /_sim/shops/{shop}/orders/{id}    order + fulfillment orders + fulfillments (tracking)
    POST   /_sim/shops/{shop}/orders/{id}/cancel  {reason?: "customer", restock?: true} -> orders/cancelled
    POST   /_sim/shops/{shop}/orders/{id}/update  {}                               -> orders/updated
    GET    /_sim/shops/{shop}/events
    POST   /_sim/shops/{shop}/events/{event_id}/redeliver   same Event-Id, new Webhook-Id
    GET    /_sim/shops/{shop}/requests       the GraphQL request log of that shop
    GET    /_sim/requests                    every shop's log;  DELETE /_sim/requests clears it
    POST   /_sim/clock/advance               {seconds}  (only when the simulator runs on a ManualClock)

Webhook deliveries are synchronous and happen outside the state lock, so a receiver may call the
Admin API back while being delivered to.
"""

from __future__ import annotations

import inspect
import json
import threading
from typing import Any, Callable

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import webhooks
from .graphql_exec import handle_graphql
from .state import (
    DEFAULT_IDEMPOTENCY_TTL_SECONDS,
    Clock,
    InventoryItem,
    Level,
    ManualClock,
    Order,
    Shop,
    SimulatorError,
    SimulatorState,
    gid,
    iso_z,
)

INVALID_TOKEN_BODY = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep test output clean; errors are still logged
        pass


class ShopifySimulator:
    """A multi-shop Shopify Admin GraphQL (2026-07) simulator.

    `ShopifySimulator(clock=None, orders_updated_on_fulfillment=False)`:

    * `clock`: a zero-argument callable returning epoch seconds (default `time.time`); pass a
      `ManualClock` to drive the rate-limit bucket and idempotency TTL from tests.
    * `orders_updated_on_fulfillment`: when true, a successful `fulfillmentCreate` is followed by
      an orders/updated delivery, as on Shopify, sent from a background thread after the GraphQL
      answer (never inside it, so a caller that also receives the webhook cannot deadlock);
      `wait_for_deliveries()` joins those threads. Off by default: tests send orders/updated
      explicitly with `update_order`.

    The instance is a WSGI app; `start()` also serves it on loopback.
    """

    def __init__(self, clock: Clock | None = None, orders_updated_on_fulfillment: bool = False):
        self.state = SimulatorState(clock)
        self.orders_updated_on_fulfillment = orders_updated_on_fulfillment
        self._background: list[threading.Thread] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        r = Rule
        self._routes = Map([
            r("/shops/<shop>/admin/api/<version>/graphql.json", endpoint="graphql", methods=["POST"]),
            r("/_sim/reset", endpoint="reset", methods=["POST"]),
            r("/_sim/shops", endpoint="create_shop", methods=["POST"]),
            r("/_sim/shops", endpoint="list_shops", methods=["GET"]),
            r("/_sim/shops/<shop>", endpoint="get_shop", methods=["GET"]),
            r("/_sim/shops/<shop>/bucket", endpoint="bucket", methods=["POST"]),
            r("/_sim/shops/<shop>/webhooks", endpoint="subscribe", methods=["POST"]),
            r("/_sim/shops/<shop>/webhooks", endpoint="list_webhooks", methods=["GET"]),
            r("/_sim/shops/<shop>/variants", endpoint="create_variant", methods=["POST"]),
            r("/_sim/shops/<shop>/inventory", endpoint="inventory", methods=["GET"]),
            r("/_sim/shops/<shop>/inventory/set", endpoint="set_inventory", methods=["POST"]),
            r("/_sim/shops/<shop>/orders", endpoint="place_order", methods=["POST"]),
            r("/_sim/shops/<shop>/orders/<order_id>", endpoint="get_order", methods=["GET"]),
            r("/_sim/shops/<shop>/orders/<order_id>/cancel", endpoint="cancel_order", methods=["POST"]),
            r("/_sim/shops/<shop>/orders/<order_id>/update", endpoint="update_order", methods=["POST"]),
            r("/_sim/shops/<shop>/events", endpoint="list_events", methods=["GET"]),
            r("/_sim/shops/<shop>/events/<event_id>/redeliver", endpoint="redeliver", methods=["POST"]),
            r("/_sim/shops/<shop>/requests", endpoint="shop_requests", methods=["GET"]),
            r("/_sim/requests", endpoint="all_requests", methods=["GET"]),
            r("/_sim/requests", endpoint="clear_requests", methods=["DELETE"]),
            r("/_sim/clock/advance", endpoint="advance_clock", methods=["POST"]),
        ])

    # ------------------------------------------------------------------ serving

    def __call__(self, environ, start_response):
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, values = self._routes.bind_to_environ(environ).match()
            response = getattr(self, f"_http_{endpoint}")(request, **values)
        except SimulatorError as exc:
            response = _json({"error": exc.message}, exc.status)
        except NotFound:
            response = _json({"errors": "Not Found"}, 404)
        except HTTPException as exc:
            response = _json({"error": exc.description}, exc.code or 500)
        return response(environ, start_response)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "ShopifySimulator":
        """Serve on loopback from a daemon thread (threaded: webhook receivers may call back)."""
        if self._server is not None:
            return self
        self._server = make_server(host, port, self, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="shopify-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.wait_for_deliveries()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Join the background orders/updated deliveries started so far."""
        while self._background:
            self._background.pop().join(timeout)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def api_base_url(self, shop_domain: str) -> str:
        """What a channel's `api_base_url` should be to reach this shop."""
        return f"{self.url}/shops/{shop_domain}"

    def __enter__(self) -> "ShopifySimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ control operations (Python)

    def reset(self) -> None:
        self.state.reset()

    def create_shop(self, shop_domain: str, access_token: str, webhook_secret: str,
                    locations: list[Any] | None = None, bucket_size: float = 2000, restore_rate: float = 100,
                    throttle_status_code: int = 200, max_query_cost: int = 1000,
                    idempotency_ttl_seconds: float = DEFAULT_IDEMPOTENCY_TTL_SECONDS) -> dict[str, Any]:
        shop = self.state.create_shop(
            shop_domain, access_token, webhook_secret, locations or ["Shop location"], bucket_size=bucket_size,
            restore_rate=restore_rate, throttle_status_code=throttle_status_code, max_query_cost=max_query_cost,
            idempotency_ttl_seconds=idempotency_ttl_seconds)
        return self.shop_summary(shop.domain)

    def shop_summary(self, shop_domain: str) -> dict[str, Any]:
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            summary = {
                "shop_domain": shop.domain,
                "api_base_path": f"/shops/{shop.domain}",
                "locations": [{"id": loc.gid, "name": loc.name} for loc in shop.locations.values()],
                "bucket": shop.bucket.status(self.state.now()),
                "throttle_status_code": shop.throttle_status_code,
                "max_query_cost": shop.max_query_cost,
                "webhooks": [{"id": s.gid, "topic": s.topic, "address": s.address}
                             for s in shop.subscriptions.values()],
            }
        if self._server is not None:
            summary["api_base_url"] = self.api_base_url(shop.domain)
        return summary

    def set_bucket(self, shop_domain: str, currently_available: float | None = None,
                   bucket_size: float | None = None, restore_rate: float | None = None,
                   throttle_status_code: int | None = None) -> dict[str, Any]:
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            now = self.state.now()
            shop.bucket.refill(now)
            if bucket_size is not None:
                shop.bucket.capacity = float(bucket_size)
            if restore_rate is not None:
                shop.bucket.restore_rate = float(restore_rate)
            if currently_available is not None:
                shop.bucket.available = float(currently_available)
            shop.bucket.available = min(shop.bucket.available, shop.bucket.capacity)
            if throttle_status_code is not None:
                if throttle_status_code not in (200, 429):
                    raise SimulatorError("throttle_status_code must be 200 or 429")
                shop.throttle_status_code = throttle_status_code
            return shop.bucket.status(now)

    def subscribe(self, shop_domain: str, topic: str, address: str) -> dict[str, Any]:
        sub = self.state.subscribe(self.state.shop(shop_domain), topic, address)
        return {"id": sub.gid, "topic": sub.topic, "address": sub.address, "api_version": sub.api_version}

    def create_variant(self, shop_domain: str, sku: str | None, title: str | None = None,
                       quantities: dict[str, int] | None = None, product_title: str | None = None,
                       tracked: bool = True) -> dict[str, Any]:
        shop = self.state.shop(shop_domain)
        v = self.state.create_variant(shop, sku, title=title, quantities=quantities, product_title=product_title,
                                      tracked=tracked)
        return {
            "sku": v.sku, "variant_id": v.gid, "product_id": gid("Product", v.product_id),
            "inventory_item_id": gid("InventoryItem", v.inventory_item_id),
            "legacy": {"variant_id": v.id, "product_id": v.product_id, "inventory_item_id": v.inventory_item_id},
            "levels": self._levels_json(shop, shop.items[v.inventory_item_id]),
        }

    @staticmethod
    def _levels_json(shop: Shop, item: InventoryItem) -> dict[str, dict[str, int]]:
        return {gid("Location", loc_id): {"available": lv.available, "committed": lv.committed, "on_hand": lv.on_hand}
                for loc_id, lv in item.levels.items()}

    def inventory(self, shop_domain: str, sku: str) -> dict[str, Any]:
        """Every inventory item with that SKU, with its levels per location."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            items = []
            for v in shop.variants_by_sku(sku):
                item = shop.items[v.inventory_item_id]
                items.append({"inventory_item_id": item.gid, "variant_id": v.gid,
                              "levels": self._levels_json(shop, item)})
            return {"sku": sku, "items": items}

    def available(self, shop_domain: str, sku: str, location_id: str | None = None) -> int | None:
        """Shortcut for tests: `available` of the first item with that SKU at a location (default: first)."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            found = shop.variants_by_sku(sku)
            if not found:
                return None
            item = shop.items[found[0].inventory_item_id]
            loc = shop.location(location_id) if location_id else shop.primary_location
            level = item.levels.get(loc.id) if loc else None
            return level.available if level else None

    def set_inventory(self, shop_domain: str, available: int, sku: str | None = None,
                      inventory_item_id: str | None = None, location_id: str | None = None) -> dict[str, Any]:
        """The merchant edits `available` in the admin (behind the integration's back)."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            if inventory_item_id is not None:
                item = shop.item(inventory_item_id)
            else:
                found = shop.variants_by_sku(sku) if sku is not None else []
                item = shop.items[found[0].inventory_item_id] if found else None
            if item is None:
                raise SimulatorError("no such inventory item", 404)
            loc = shop.location(location_id) if location_id else shop.primary_location
            if loc is None:
                raise SimulatorError(f"unknown location {location_id!r}")
            if not isinstance(available, int) or isinstance(available, bool):
                raise SimulatorError("available must be an integer")
            now = self.state.now()
            level = item.levels.setdefault(loc.id, Level(created_at=now, updated_at=now))
            delta = available - level.available
            level.available += delta
            level.on_hand += delta
            level.updated_at = now
            return {"inventory_item_id": item.gid, "location_id": loc.gid, "available": level.available,
                    "on_hand": level.on_hand, "committed": level.committed}

    def _fire(self, shop: Shop, topic: str, order: Order) -> tuple[Any, list[dict[str, Any]]]:
        """Freeze an event and plan its deliveries (call under the lock)."""
        event = webhooks.new_event(shop, topic, order, self.state.now())
        return event, webhooks.planned_deliveries(shop, event)

    def place_order(self, shop_domain: str, line_items: list[dict[str, Any]], location_id: str | None = None,
                    test: bool = False, source_name: str = "web", email: str | None = None) -> dict[str, Any]:
        """Stock leaves `available` first, then orders/create is delivered to every subscriber."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            if not isinstance(line_items, list):
                raise SimulatorError("line_items must be a list")
            order = shop.place_order(line_items, self.state.new_id, self.state.now(), location_id=location_id,
                                     test=test, source_name=source_name, email=email)
            event, planned = self._fire(shop, "orders/create", order)
            body = webhooks.order_json(shop, order)
        deliveries = webhooks.deliver(event, planned)
        return {"order": body, "event_id": event.event_id, "deliveries": deliveries}

    def _order(self, shop: Shop, order_id: Any) -> Order:
        order = shop.order(order_id)
        if order is None:
            raise SimulatorError(f"unknown order {order_id!r}", 404)
        return order

    def cancel_order(self, shop_domain: str, order_id: Any, reason: str = "customer",
                     restock: bool = True) -> dict[str, Any]:
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            order = shop.cancel_order(self._order(shop, order_id), self.state.now(), reason=reason, restock=restock)
            event, planned = self._fire(shop, "orders/cancelled", order)
            body = webhooks.order_json(shop, order)
        deliveries = webhooks.deliver(event, planned)
        return {"order": body, "event_id": event.event_id, "deliveries": deliveries}

    def update_order(self, shop_domain: str, order_id: Any) -> dict[str, Any]:
        """Send orders/updated with the order as it is now (e.g. after a fulfilment)."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            order = self._order(shop, order_id)
            order.updated_at = max(order.updated_at, self.state.now())
            event, planned = self._fire(shop, "orders/updated", order)
            body = webhooks.order_json(shop, order)
        deliveries = webhooks.deliver(event, planned)
        return {"order": body, "event_id": event.event_id, "deliveries": deliveries}

    def get_order(self, shop_domain: str, order_id: Any) -> dict[str, Any]:
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            order = self._order(shop, order_id)
            fos = []
            for fo_id in order.fulfillment_order_ids:
                fo = shop.fulfillment_orders[fo_id]
                fos.append({
                    "id": fo.gid, "status": fo.status, "location_id": gid("Location", fo.location_id),
                    "line_items": [{"id": ln.gid, "line_item_id": gid("LineItem", ln.line_item_id),
                                    "total_quantity": ln.total_quantity,
                                    "remaining_quantity": ln.remaining_quantity} for ln in fo.lines],
                })
            fulfillments = []
            for f_id in order.fulfillment_ids:
                f = shop.fulfillments[f_id]
                fulfillments.append({
                    "id": f.gid, "name": f.name, "status": f.status, "created_at": iso_z(f.created_at),
                    "tracking_company": f.tracking_company, "tracking_number": f.tracking_number,
                    "tracking_url": f.tracking_url, "notify_customer": f.notify_customer,
                    "fulfillment_order_ids": [gid("FulfillmentOrder", i) for i in f.fulfillment_order_ids],
                    "line_items": [{"line_item_id": gid("LineItem", fl.line_item_id), "quantity": fl.quantity}
                                   for fl in f.lines],
                })
            return {"order": webhooks.order_json(shop, order), "fulfillment_orders": fos,
                    "fulfillments": fulfillments}

    def events(self, shop_domain: str) -> list[dict[str, Any]]:
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            return [{"event_id": e.event_id, "topic": e.topic, "triggered_at": e.triggered_at,
                     "order_id": gid("Order", e.order_id) if e.order_id else None,
                     "deliveries": list(e.deliveries)} for e in shop.events.values()]

    def redeliver(self, shop_domain: str, event_id: str) -> dict[str, Any]:
        """Deliver an event again: same body, same X-Shopify-Event-Id, a new X-Shopify-Webhook-Id."""
        with self.state.lock:
            shop = self.state.shop(shop_domain)
            event = shop.events.get(event_id)
            if event is None:
                raise SimulatorError(f"unknown event {event_id!r}", 404)
            planned = webhooks.planned_deliveries(shop, event)
        return {"event_id": event.event_id, "deliveries": webhooks.deliver(event, planned)}

    def requests(self, shop_domain: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [e.to_json() for e in self.state.request_log
                    if shop_domain is None or e.shop_domain == shop_domain]

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.request_log.clear()

    def advance_clock(self, seconds: float) -> float:
        clock = self.state.clock
        if not isinstance(clock, ManualClock):
            raise SimulatorError("the simulator runs on the wall clock; start it with a ManualClock", 409)
        return clock.advance(seconds)

    # ------------------------------------------------------------------ HTTP handlers

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        if not request.data:
            return {}
        try:
            body = json.loads(request.data)
        except ValueError:
            raise SimulatorError("the body must be JSON") from None
        if not isinstance(body, dict):
            raise SimulatorError("the body must be a JSON object")
        return body

    def _call(self, fn: Callable[..., Any], body: dict[str, Any], *args: Any, status: int = 200) -> Response:
        try:
            inspect.signature(fn).bind(*args, **body)
        except TypeError as exc:  # unknown or missing fields in the body
            raise SimulatorError(str(exc)) from None
        return _json(fn(*args, **body), status)

    def _http_graphql(self, request: Request, shop: str, version: str) -> Response:
        with self.state.lock:
            s = self.state.shops.get(shop)
            if s is None:
                return _json({"errors": "Not Found"}, 404)
            if request.headers.get("X-Shopify-Access-Token") != s.access_token:
                return _json(INVALID_TOKEN_BODY, 401)
            if request.mimetype == "application/graphql":
                body: Any = {"query": request.get_data(as_text=True)}
            else:
                try:
                    body = json.loads(request.data or b"null")
                except ValueError:
                    body = None
            ans = handle_graphql(self.state, s, body, version)
        if self.orders_updated_on_fulfillment and ans.touched_orders:
            for order_id in ans.touched_orders:
                t = threading.Thread(target=self.update_order, args=(shop, order_id), daemon=True,
                                     name="shopify-simulator-webhook")
                t.start()
                self._background.append(t)
        return _json(ans.body, ans.status, headers={"X-Shopify-API-Version": version})

    def _http_reset(self, request: Request) -> Response:
        self.reset()
        return _json({"reset": True})

    def _http_create_shop(self, request: Request) -> Response:
        return self._call(self.create_shop, self._body(request), status=201)

    def _http_list_shops(self, request: Request) -> Response:
        return _json([self.shop_summary(d) for d in list(self.state.shops)])

    def _http_get_shop(self, request: Request, shop: str) -> Response:
        return _json(self.shop_summary(shop))

    def _http_bucket(self, request: Request, shop: str) -> Response:
        return self._call(self.set_bucket, self._body(request), shop)

    def _http_subscribe(self, request: Request, shop: str) -> Response:
        return self._call(self.subscribe, self._body(request), shop, status=201)

    def _http_list_webhooks(self, request: Request, shop: str) -> Response:
        return _json(self.shop_summary(shop)["webhooks"])

    def _http_create_variant(self, request: Request, shop: str) -> Response:
        return self._call(self.create_variant, self._body(request), shop, status=201)

    def _http_inventory(self, request: Request, shop: str) -> Response:
        sku = request.args.get("sku")
        if sku is None:
            raise SimulatorError("the sku query parameter is required")
        return _json(self.inventory(shop, sku))

    def _http_set_inventory(self, request: Request, shop: str) -> Response:
        return self._call(self.set_inventory, self._body(request), shop)

    def _http_place_order(self, request: Request, shop: str) -> Response:
        return self._call(self.place_order, self._body(request), shop, status=201)

    def _http_get_order(self, request: Request, shop: str, order_id: str) -> Response:
        return _json(self.get_order(shop, order_id))

    def _http_cancel_order(self, request: Request, shop: str, order_id: str) -> Response:
        return self._call(self.cancel_order, self._body(request), shop, order_id)

    def _http_update_order(self, request: Request, shop: str, order_id: str) -> Response:
        return self._call(self.update_order, self._body(request), shop, order_id)

    def _http_list_events(self, request: Request, shop: str) -> Response:
        return _json(self.events(shop))

    def _http_redeliver(self, request: Request, shop: str, event_id: str) -> Response:
        return _json(self.redeliver(shop, event_id))

    def _http_shop_requests(self, request: Request, shop: str) -> Response:
        self.state.shop(shop)
        return _json(self.requests(shop))

    def _http_all_requests(self, request: Request) -> Response:
        return _json(self.requests(request.args.get("shop")))

    def _http_clear_requests(self, request: Request) -> Response:
        self.clear_requests()
        return _json({"cleared": True})

    def _http_advance_clock(self, request: Request) -> Response:
        body = self._body(request)
        seconds = body.get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise SimulatorError("seconds must be a non-negative number")
        return _json({"now": self.advance_clock(seconds)})

