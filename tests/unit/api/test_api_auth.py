"""Bearer tokens: parsing, the platform token, account tokens looked up by their sha256."""

from __future__ import annotations

import hashlib

import pytest

from inventory_sync.api.auth import (
    Principal,
    authenticate,
    bearer_token,
    hash_token,
    new_token,
    require_account,
    require_platform,
)
from inventory_sync.errors import Forbidden, NotFound, Unauthorized


class TokenRepo:
    def __init__(self, tokens):
        self.tokens = {hash_token(t): a for t, a in tokens.items()}
        self.looked_up = []

    def account_for_token(self, token_hash):
        self.looked_up.append(token_hash)
        return self.tokens.get(token_hash)


@pytest.mark.parametrize("headers,token", [
    ({"Authorization": "Bearer abc"}, "abc"),
    ({"authorization": "bearer  abc "}, "abc"),
    ({"AUTHORIZATION": "BEARER abc"}, "abc"),
    ({"Authorization": "Basic abc"}, None),
    ({"Authorization": "Bearer"}, None),
    ({}, None),
    (None, None),
])
def test_the_bearer_token_is_read_from_the_authorization_header(headers, token):
    assert bearer_token(headers) == token


def test_the_platform_token_makes_a_platform_principal_without_a_lookup():
    repo = TokenRepo({})
    principal = authenticate({"Authorization": "Bearer plat"}, "plat", repo)
    assert principal == Principal(platform=True) and repo.looked_up == []


def test_an_account_token_is_found_by_its_sha256():
    token = new_token()
    repo = TokenRepo({token: "m1"})
    principal = authenticate({"Authorization": f"Bearer {token}"}, "plat", repo)
    assert principal == Principal(account_id="m1")
    assert repo.looked_up == [hashlib.sha256(token.encode()).hexdigest()]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer isk_unknown"}, {"Authorization": "Bearer plat2"}])
def test_anything_else_is_unauthorized(headers):
    with pytest.raises(Unauthorized):
        authenticate(headers, "plat", TokenRepo({}))


def test_without_a_configured_platform_token_none_is_accepted():
    with pytest.raises(Unauthorized):
        authenticate({"Authorization": "Bearer anything"}, None, TokenRepo({}))


def test_new_tokens_are_unique_and_long():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 40 for t in tokens)


def test_an_account_acts_only_in_itself_and_the_platform_everywhere():
    require_account(Principal(account_id="m1"), "m1")
    require_account(Principal(platform=True), "m2")
    with pytest.raises(NotFound):
        require_account(Principal(account_id="m1"), "m2")


def test_platform_only_actions_refuse_accounts():
    require_platform(Principal(platform=True), "create accounts")
    with pytest.raises(Forbidden):
        require_platform(Principal(account_id="m1"), "create accounts")
