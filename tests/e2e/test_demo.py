"""The demo (`make run`) as a test: field-docs/01 end to end over HTTP."""

from __future__ import annotations

from invsync_local.demo import Demo, print_table


def test_willow_dvd_flows_from_supplier_to_shopify_and_tracking_flows_back(runtime, capsys):
    """Given a fresh runtime, when the demo plays, then every step shows what it should."""
    runtime.simulators["shopify"].reset() if hasattr(runtime, "simulators") else None
    demo = Demo(runtime.api_url, runtime.simulator_urls["shopify"], runtime.platform_token, runtime.wait_idle)
    checks = demo.run()
    print_table(checks)
    assert [c for c in checks if not c.ok] == [], capsys.readouterr().out
