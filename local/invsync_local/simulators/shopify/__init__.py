"""Shopify Admin GraphQL API simulator (version 2026-07), multi-shop, on loopback or in-process.

    from invsync_local.simulators.shopify import ShopifySimulator, ManualClock

    sim = ShopifySimulator(clock=ManualClock()).start()          # or use `sim` as a WSGI app
    sim.create_shop("demo.myshopify.com", access_token="shpat_x", webhook_secret="s3cret")
    base = sim.api_base_url("demo.myshopify.com")                # a channel's api_base_url
    ...
    sim.stop()

See `server.py` for the control API and `graphql_exec.py` for the order of checks.
"""

from .schema import load_schema, schema_path
from .server import INVALID_TOKEN_BODY, ShopifySimulator
from .state import ManualClock, SimulatorError
from .webhooks import sign as sign_webhook

__all__ = [
    "INVALID_TOKEN_BODY",
    "ManualClock",
    "ShopifySimulator",
    "SimulatorError",
    "load_schema",
    "schema_path",
    "sign_webhook",
]
