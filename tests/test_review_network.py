"""Seller networks built from (seller_key, link_type, value) triples."""

from __future__ import annotations

from crawler.review.network import build_graph, network_of, resolve_seller

LINKS = [
    ("shopee:1", "phone", "+84901234567"),
    ("shopee:1", "shop_name", "hang hieu gia re"),
    ("tiki:9", "phone", "+84901234567"),
    ("tiki:9", "image", "abc123"),
    ("lazada:5", "image", "abc123"),
    ("lazada:5", "url", "zalo.me/0901234567"),
    ("sendo:7", "url", "zalo.me/0901234567"),
    ("shopee:2", "shop_name", "other"),
] + [(f"shopee:{n}", "image", "placeholder") for n in range(100, 140)] + [("shopee:1", "image", "placeholder")]


def test_direct_and_second_hop_links_with_their_values() -> None:
    network = network_of(build_graph(LINKS), "shopee:1", depth=2)
    by_key = {n.seller_key: n for n in network.neighbours}
    assert by_key["tiki:9"].depth == 1 and by_key["tiki:9"].shared == [("phone", "+84901234567")]
    assert by_key["lazada:5"].depth == 2 and by_key["lazada:5"].via == "tiki:9"
    assert by_key["lazada:5"].shared == [("image", "abc123")]
    assert "sendo:7" not in by_key  # three hops away
    assert "shopee:2" not in by_key  # shares nothing
    deeper = network_of(build_graph(LINKS), "shopee:1", depth=3)
    assert "sendo:7" in {n.seller_key for n in deeper.neighbours}


def test_values_shared_by_too_many_sellers_are_ignored_and_reported() -> None:
    network = network_of(build_graph(LINKS), "shopee:1", depth=1, max_shared=25)
    assert [n.seller_key for n in network.neighbours] == ["tiki:9"]
    assert network.ignored_common == [(("image", "placeholder"), 41)]
    wide = network_of(build_graph(LINKS), "shopee:1", depth=1, max_shared=100)
    assert len(wide.neighbours) == 41


def test_resolve_seller_by_key_id_or_name() -> None:
    graph = build_graph([*LINKS, ("chotot:name:Bà Tư", "phone", "+84900000000")])
    assert resolve_seller(graph, "tiki:9") == ["tiki:9"]
    assert resolve_seller(graph, "9") == ["tiki:9"]
    assert resolve_seller(graph, "bà tư") == ["chotot:name:Bà Tư"]
    assert resolve_seller(graph, "nobody") == []
