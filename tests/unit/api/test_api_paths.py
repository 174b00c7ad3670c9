"""Path segments: decoded when encoded, kept when already decoded, and one canonical routing form."""

from __future__ import annotations

import pytest

from inventory_sync.api.paths import canonical_path, check_id, check_sku, decode_segment


@pytest.mark.parametrize("segment,decoded", [
    ("A%231", "A#1"),           # API Gateway REST: still encoded
    ("A#1", "A#1"),             # a WSGI server: already decoded ('#' cannot appear encoded)
    ("A%20B", "A B"),
    ("A B", "A B"),
    ("50%", "50%"),             # a lone % is not an escape: already decoded
    ("100%25", "100%"),
    ("products:bulk-update", "products:bulk-update"),
    ("%C3%BC", "ü"),
    ("%FF", "%FF"),             # not UTF-8: kept as sent
])
def test_a_segment_is_decoded_once_whichever_form_it_arrives_in(segment, decoded):
    assert decode_segment(segment) == decoded


def test_the_canonical_path_encodes_what_the_router_cannot_match():
    assert canonical_path('/v1/accounts/m1/products/A#1 "x"') == "/v1/accounts/m1/products/A%231%20%22x%22"
    assert canonical_path("/v1/accounts/m1/products/A%231") == "/v1/accounts/m1/products/A%231"
    assert canonical_path("/v1/accounts/m1/products:bulk-update") == "/v1/accounts/m1/products:bulk-update"


@pytest.mark.parametrize("sku", ["A", "a b", "#?&%+", "ünï", "x" * 255, "!\"$'()*,;<=>@[\\]^`{|}~"])
def test_any_printable_sku_without_slash_is_valid(sku):
    assert check_sku(sku) == sku


@pytest.mark.parametrize("sku", ["", "a/b", "tab\t", "new\nline", "x" * 256, "nul\x00"])
def test_an_empty_long_slashed_or_unprintable_sku_is_not(sku):
    with pytest.raises(ValueError):
        check_sku(sku)


@pytest.mark.parametrize("value,ok", [("m1", True), ("a.b_c-D", True), ("x" * 64, True), ("x" * 65, False),
                                      ("", False), ("a b", False), ("a#b", False), ("ü", False)])
def test_ids_are_64_safe_characters(value, ok):
    if ok:
        assert check_id(value) == value
    else:
        with pytest.raises(ValueError):
            check_id(value)
