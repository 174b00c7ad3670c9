"""Sync Now, sync runs and sync history."""

from __future__ import annotations

import pytest

from inventory_sync.ports import HistoryEntry, SyncRun


@pytest.fixture
def started(monkeypatch):
    """services.sync.start_sync replaced by a recorder: the fan-out itself is covered by the
    pipeline tests, and Sync Now end to end lands with the e2e suite."""
    calls = []

    def fake_start_sync(deps, account_id, *, kind="sync_now", skus=None, filter=None, channel_ids=None):
        calls.append({"account_id": account_id, "kind": kind, "skus": skus, "filter": filter,
                      "channel_ids": channel_ids})
        return f"run-{len(calls)}"

    import inventory_sync.services.sync as sync
    monkeypatch.setattr(sync, "start_sync", fake_start_sync)
    return calls


def test_sync_now_without_a_body_syncs_the_whole_catalog(world, api, started):
    answer = api.post("/v1/accounts/m1/sync", token=world.merchant_token)
    assert answer.status == 202 and answer.body == {"run_id": "run-1"}
    assert started == [{"account_id": "m1", "kind": "sync_now", "skus": None, "filter": None, "channel_ids": None}]


def test_sync_now_passes_skus_filter_and_channels_on(world, api, started):
    api.put("/v1/accounts/m1/products/A%231", {"name": "A"})
    assert api.post("/v1/accounts/m1/sync", {"skus": ["A#1"], "channel_ids": ["shop-1"]}).status == 202
    assert api.post("/v1/accounts/m1/sync", {"filter": {"tag": "travel", "prefix": "A"}}).status == 202
    assert started[0]["skus"] == ["A#1"] and started[0]["channel_ids"] == ["shop-1"]
    assert started[1]["filter"] == {"prefix": "A", "tag": "travel"} and started[1]["skus"] is None


@pytest.mark.parametrize("body,field", [
    ({"skus": ["NOPE"]}, "skus[0]"),
    ({"skus": ["A"], "filter": {}}, "filter"),
    ({"skus": []}, "skus"),
    ({"filter": {"colour": "red"}}, "filter.colour"),
    ({"channel_ids": "shop-1"}, "channel_ids"),
])
def test_a_bad_sync_request_starts_nothing(world, api, started, table_items, body, field):
    api.put("/v1/accounts/m1/products/A", {"name": "A"})
    before = table_items()
    answer = api.post("/v1/accounts/m1/sync", body)
    assert 400 <= answer.status < 500 and answer.error["field"] == field
    assert started == [] and table_items() == before


def test_sync_now_answers_the_fan_outs_not_found(world, api, monkeypatch):
    from inventory_sync.errors import NotFound
    import inventory_sync.services.sync as sync

    def unknown_channel(*_args, **_kwargs):
        raise NotFound("channel shop-9 not found", field="channel_ids[0]")

    monkeypatch.setattr(sync, "start_sync", unknown_channel)
    answer = api.post("/v1/accounts/m1/sync", {"channel_ids": ["shop-9"]})
    assert answer.status == 404 and answer.error["field"] == "channel_ids[0]"


def test_runs_are_listed_newest_first_with_every_count(world, api, repo):
    for n, kind in enumerate(("scheduled", "sync_now", "bulk")):
        repo.create_run(SyncRun("m1", f"r{n}", kind, started_at=f"2026-01-0{n + 1}T00:00:00.000Z"))
    repo.add_run_counts("m1", "r1", {"listings": 3, "pushed": 2, "unchanged": 1})
    repo.finish_run("m1", "r1", "success")
    answer = api.get("/v1/accounts/m1/sync-runs", query={"limit": "2"}, token=world.merchant_token)
    assert answer.status == 200 and answer.body["next_cursor"] is None
    assert [r["run_id"] for r in answer.body["items"]] == ["r2", "r1"]
    run = api.get("/v1/accounts/m1/sync-runs/r1").body
    assert run["kind"] == "sync_now" and run["status"] == "success" and run["finished_at"]
    assert run["counts"] == {"listings": 3, "pushed": 2, "unchanged": 1, "failed": 0, "skipped_by_policy": 0}
    assert run["errors"] == [] and run["started_at"] == "2026-01-02T00:00:00.000Z"


def test_a_missing_run_answers_404(world, api):
    answer = api.get("/v1/accounts/m1/sync-runs/nope")
    assert answer.status == 404 and answer.error["field"] == "run_id"


def test_the_run_list_limit_is_bounded(world, api):
    assert api.get("/v1/accounts/m1/sync-runs", query={"limit": "0"}).error["field"] == "limit"
    assert api.get("/v1/accounts/m1/sync-runs", query={"limit": "lots"}).error["field"] == "limit"


def _entry(n, sku="TEE", channel_id="shop-1", result="pushed"):
    return HistoryEntry(at=f"2026-01-01T00:00:{n:02d}.000Z", sku=sku, channel_id=channel_id, listing_sku=sku,
                        from_quantity=n, to_quantity=n + 1, result=result, reason="stock change", run_id="r1")


def test_history_is_newest_first_and_pages_with_a_cursor(world, api, repo):
    repo.add_history("m1", [_entry(n) for n in range(5)])
    seen, cursor = [], None
    for _ in range(5):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = api.get("/v1/accounts/m1/sync-history", query=query, token=world.merchant_token)
        seen += [h["from_quantity"] for h in answer.body["items"]]
        cursor = answer.body["next_cursor"]
        if not cursor:
            break
    assert seen == [4, 3, 2, 1, 0]
    first = api.get("/v1/accounts/m1/sync-history").body["items"][0]
    assert first == {"at": "2026-01-01T00:00:04.000Z", "sku": "TEE", "channel_id": "shop-1", "listing_sku": "TEE",
                     "from_quantity": 4, "to_quantity": 5, "result": "pushed", "reason": "stock change",
                     "run_id": "r1"}


def test_history_filters_by_sku_and_channel(world, api, repo):
    repo.add_history("m1", [_entry(1), _entry(2, sku="CAP"), _entry(3, channel_id="bc-1")])
    by_sku = api.get("/v1/accounts/m1/sync-history", query={"sku": "CAP"}).body["items"]
    by_channel = api.get("/v1/accounts/m1/sync-history", query={"channel_id": "bc-1"}).body["items"]
    assert [h["sku"] for h in by_sku] == ["CAP"] and [h["channel_id"] for h in by_channel] == ["bc-1"]


def test_another_accounts_history_cursor_is_refused(world, api, repo):
    repo.add_history("m2", [_entry(n) for n in range(3)])
    cursor = api.get("/v1/accounts/m2/sync-history", query={"limit": "1"}).body["next_cursor"]
    answer = api.get("/v1/accounts/m1/sync-history", query={"cursor": cursor})
    assert answer.status == 400 and answer.error["field"] == "cursor"
