"""Shopify webhook HMAC: base64 HMAC-SHA256 of the raw body with the app's client secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

from inventory_sync.services.intake import verify_shopify_hmac

BODY = b'{"id": 1, "line_items": []}'


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_over_the_raw_body_verifies():
    assert verify_shopify_hmac(BODY, sign("s3cret", BODY), ["s3cret"])


def test_a_reformatted_body_does_not_verify():
    """Verification is over the bytes sent, never over re-serialised JSON."""
    assert not verify_shopify_hmac(b'{"id":1,"line_items":[]}', sign("s3cret", BODY), ["s3cret"])


def test_hex_digest_is_not_accepted():
    hexsig = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert not verify_shopify_hmac(BODY, hexsig, ["s3cret"])


def test_missing_header_or_no_secret_is_refused():
    assert not verify_shopify_hmac(BODY, None, ["s3cret"])
    assert not verify_shopify_hmac(BODY, sign("s3cret", BODY), [])


def test_previous_secret_still_verifies_during_rotation():
    assert verify_shopify_hmac(BODY, sign("old", BODY), ["new", "old"])
