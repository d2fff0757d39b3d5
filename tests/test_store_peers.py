"""The store contract for issue 13's listing fields and peer price summaries, on every backend.

``fields_seen``, ``partial`` and ``peer_key`` round-trip through upsert, reads, export and import; the
per-key summaries (listings, distinct sellers, median and MAD over the sellers' own medians, a sample)
follow every upsert that adds, changes or removes a listing's key or price, leave out placeholder
prices, and are checked against a Python oracle (:func:`crawler.store.peers.summarise` on the
listings as stored).
"""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.items import Flag, Listing, PeerGroup
from crawler.store import FlagQuery, InvalidQuery, Store, mongo_peers, open_store, sqlite_peers
from crawler.store.peers import PLACEHOLDER_RULE, member_of, summarise
from crawler.store.sqlite import SQLiteStore
from tests.mongo_server import NxServer

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)
IPHONE = "apple|iphone 15 pro max|256gb"
GALAXY = "samsung|galaxy s24|256gb"


def make(listing_id: str, price: int | None = 30_000_000, seller: str | dict[str, Any] | None = "s1",
         key: str | None = IPHONE, **fields: Any) -> Listing:
    if isinstance(seller, str):
        seller = {"platform_id": seller, "name": f"Shop {seller}"}
    base: dict[str, Any] = {
        "platform": "shopee", "listing_id": listing_id, "url": f"https://shopee.vn/p/{listing_id}",
        "title": f"iPhone 15 Pro Max 256GB {listing_id}", "price": price, "peer_key": key, "seller": seller or {},
    }  # fmt: skip
    base.update(fields)
    return Listing.model_validate(base)


def placeholder() -> Flag:
    return Flag(rule_id=PLACEHOLDER_RULE, kind="price_anomaly", severity="low", score=0.2, message="giá ảo")


def group(store: Store, key: str = IPHONE) -> PeerGroup | None:
    return store.peer_groups([key]).get(key)


def oracle(store: Store) -> dict[str, PeerGroup]:
    """Every group as :func:`summarise` makes it from the stored listings."""
    members: dict[str, dict[str, tuple[str, str, int]]] = {}
    for listing in store.iter_listings():
        member = member_of(listing)
        if member is not None:
            members.setdefault(member.key, {})[listing.key] = (member.seller, member.label, member.price)
    groups = {key: summarise(key, found) for key, found in members.items()}
    return {key: found for key, found in groups.items() if found is not None}


# -- the new listing fields ----------------------------------------------------------------------


def test_fields_seen_partial_and_peer_key_round_trip(store: Store) -> None:
    seen = ["title", "price", "brand", "seller", "images"]
    listings = [
        make("1", fields_seen=seen, partial=True, flags=[Flag(rule_id="x", kind="banned", score=0.5, message="m")]),
        make("2", fields_seen=None, key=None),
        make("3", fields_seen=[], partial=False),
    ]
    store.upsert_listings(listings, seen_at=T0)
    for listing in listings:
        got = store.get_listing("shopee", listing.listing_id)
        assert got is not None
        assert (got.fields_seen, got.partial, got.peer_key) == (listing.fields_seen, listing.partial, listing.peer_key)
    (flagged,) = store.query_flagged(FlagQuery())
    assert (flagged.fields_seen, flagged.partial, flagged.peer_key) == (seen, True, IPHONE)
    assert [(x.fields_seen, x.partial, x.peer_key) for x in store.iter_listings()] == [
        (x.fields_seen, x.partial, x.peer_key) for x in listings]
    exported = [doc for kind, doc in store.export_documents() if kind == "listings"]
    assert [(d["fields_seen"], d["partial"], d["peer_key"]) for d in exported] == [
        (seen, True, IPHONE), (None, False, None), ([], False, IPHONE)]


def test_a_detail_after_its_partial_listing_is_an_update(store: Store) -> None:
    card = make("1", fields_seen=["title", "price", "seller"], partial=True)
    store.upsert_listings([card], seen_at=T0)
    detail = make("1", fields_seen=["title", "price", "origin", "seller"], origin="Trung Quốc")
    assert store.upsert_listings([detail], seen_at=T0 + timedelta(1)).updated == 1
    got = store.get_listing("shopee", "1")
    assert got is not None and got.partial is False and "origin" in (got.fields_seen or [])
    assert store.upsert_listings([detail], seen_at=T0 + timedelta(2)).unchanged == 1


@pytest.mark.parametrize("target", ["sqlite", "nx-27017"])
def test_export_and_import_carry_the_fields_and_rebuild_the_peer_groups(
    store: Store, tmp_path: Path, nx_server: NxServer, target: str
) -> None:
    store.upsert_listings([
        make("1", fields_seen=["title", "price"], partial=True), make("2", seller="s2", price=32_000_000),
        make("3", seller="s3", key=GALAXY, price=20_000_000), make("4", price=500, seller="s4"),
    ], seen_at=T0)  # fmt: skip
    exported = list(store.export_documents())
    with open_store(f"sqlite:///{tmp_path / 'copy.sqlite3'}" if target == "sqlite" else nx_server.uri()) as copy:
        assert copy.import_documents(iter(exported))["listings"] == 4
        for listing in store.iter_listings():
            assert copy.get_listing(listing.platform, listing.listing_id) == listing
        assert copy.peer_groups([IPHONE, GALAXY]) == store.peer_groups([IPHONE, GALAXY]) == oracle(store)
        assert copy.import_documents(iter(exported))["listings"] == 4  # again: the same groups
        assert copy.peer_groups([IPHONE, GALAXY]) == oracle(store)


# -- peer summaries ------------------------------------------------------------------------------


def test_a_group_counts_each_seller_once_with_its_own_median(store: Store) -> None:
    # one seller's ten template listings at a third of the market, and three other sellers
    cheap = [make(f"t{i}", price=10_000_000 + i * 10_000, seller="template") for i in range(10)]
    market = [make("a", price=30_000_000, seller="a"), make("b1", price=31_000_000, seller="b"),
              make("b2", price=33_000_000, seller="b"), make("c", price=29_500_000, seller="c")]  # fmt: skip
    store.upsert_listings(cheap + market, seen_at=T0)
    got = group(store)
    assert got is not None
    template = statistics.median(x.price for x in cheap)
    medians = [template, 30_000_000, 32_000_000, 29_500_000]
    median = statistics.median(medians)
    assert (got.key, got.listings, got.sellers) == (IPHONE, 14, 4)
    assert got.median == median and got.mad == statistics.median(abs(m - median) for m in medians)
    # one peer per seller, nearest the median first; the template seller's listing last
    assert [peer[1] for peer in got.sample] == ["Shop a", "Shop c", "Shop b", "Shop template"]  # a, c tie: by key
    assert got.sample[2] in [("shopee:b1", "Shop b", 31_000_000), ("shopee:b2", "Shop b", 33_000_000)]
    assert got == oracle(store)[IPHONE]


def test_the_same_sellers_ten_listings_count_once(store: Store) -> None:
    store.upsert_listings([make(str(i), price=20_000_000 + i * 1_000_000) for i in range(10)], seen_at=T0)
    got = group(store)
    assert got is not None and (got.listings, got.sellers) == (10, 1)
    assert got.median == 24_500_000 and got.mad == 0 and len(got.sample) == 1
    store.upsert_listings([make("x", seller="s2", price=30_000_000)], seen_at=T0)
    got = group(store)
    assert got is not None and (got.listings, got.sellers, got.median) == (11, 2, 27_250_000)


def test_the_sample_holds_at_most_five(store: Store) -> None:
    store.upsert_listings([make(str(i), seller=f"s{i}", price=30_000_000 + i) for i in range(8)], seen_at=T0)
    got = group(store)
    assert got is not None and got.sellers == 8 and len(got.sample) == 5
    assert [peer[0] for peer in got.sample] == ["shopee:3", "shopee:4", "shopee:2", "shopee:5", "shopee:1"]


def test_a_listing_moving_to_another_key_leaves_the_first_group(store: Store) -> None:
    store.upsert_listings([make("1"), make("2", seller="s2", price=31_000_000)], seen_at=T0)
    store.upsert_listings([make("2", seller="s2", price=31_000_000, key=GALAXY)], seen_at=T0 + timedelta(1))
    iphone, galaxy = group(store), group(store, GALAXY)
    assert iphone is not None and (iphone.listings, iphone.sellers, iphone.median) == (1, 1, 30_000_000)
    assert galaxy is not None and galaxy.sample == [("shopee:2", "Shop s2", 31_000_000)]
    # the last one leaves: the group is gone; without a key it is in none
    store.upsert_listings([make("1", key=GALAXY), make("2", seller="s2", price=31_000_000, key=None)],
                          seen_at=T0 + timedelta(2))  # fmt: skip
    assert store.peer_groups([IPHONE, GALAXY]) == {GALAXY: oracle(store)[GALAXY]}
    assert group(store, GALAXY).listings == 1  # type: ignore[union-attr]


def test_placeholder_prices_never_count(store: Store) -> None:
    store.upsert_listings([
        make("1"), make("2", seller="s2", price=1, flags=[placeholder()]),
        make("3", seller="s3", price=999), make("4", seller="s4", price=None),
        make("5", seller="s5", price=123_456_789, flags=[placeholder()]),
        make("6", seller="s6", price=30_000_000, currency="USD"),
    ], seen_at=T0)  # fmt: skip
    got = group(store)
    assert got is not None and (got.listings, got.sellers, got.median) == (1, 1, 30_000_000)
    # a re-crawl flags the good price as a placeholder: out; the flag gone again: back in
    store.upsert_listings([make("1", flags=[placeholder()])], seen_at=T0 + timedelta(1))
    assert group(store) is None
    store.upsert_listings([make("1")], seen_at=T0 + timedelta(2))
    assert group(store) is not None
    # the end-of-run re-judgement (replace_flags) moves it the same way
    store.replace_flags("shopee", "1", [placeholder()])
    assert group(store) is None
    store.replace_flags("shopee", "1", [])
    got = group(store)
    assert got is not None and got.listings == 1


def test_price_changes_and_removals_update_the_summary(store: Store) -> None:
    store.upsert_listings([make("1"), make("2", seller="s2", price=34_000_000)], seen_at=T0)
    store.upsert_listings([make("1", price=26_000_000)], seen_at=T0 + timedelta(1))
    got = group(store)
    assert got is not None and got.median == 30_000_000 and got.mad == 4_000_000
    store.upsert_listings([make("2", seller="s2", price=None)], seen_at=T0 + timedelta(2))
    got = group(store)
    assert got is not None and (got.listings, got.median, got.mad) == (1, 26_000_000, 0)
    # the seller renamed: still one seller (its id), shown by its new name; no seller at all: its own
    store.upsert_listings([make("1", price=26_000_000, seller={"platform_id": "s1", "name": "Shop Mới"})],
                          seen_at=T0 + timedelta(3))  # fmt: skip
    got = group(store)
    assert got is not None and got.sample == [("shopee:1", "Shop Mới", 26_000_000)]
    store.upsert_listings([make("1", price=26_000_000, seller=None), make("5", price=28_000_000, seller=None)],
                          seen_at=T0 + timedelta(4))  # fmt: skip
    got = group(store)
    assert got is not None and (got.sellers, got.sample[0][1]) == (2, "") and got == oracle(store)[IPHONE]


@pytest.fixture
def summarised(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The keys of every summary the store computes from its members (one list per query), as it does them."""
    module = sqlite_peers if isinstance(store, SQLiteStore) else mongo_peers
    calls: list[list[str]] = []
    original = module.summarise_members

    def counting(call_or_db: Any, *args: Any) -> Any:
        calls.append(sorted(args[-1]))
        return original(call_or_db, *args)

    monkeypatch.setattr(module, "summarise_members", counting)
    return calls


def test_a_summary_is_computed_once_and_kept_until_a_write_changes_its_group(
    store: Store, summarised: list[list[str]]
) -> None:
    store.upsert_listings([make("1"), make("2", seller="s2", price=34_000_000), make("3", key=GALAXY)], seen_at=T0)
    assert summarised == []  # writes summarise nothing
    first = store.peer_groups([IPHONE, GALAXY, "nothing|here"])
    # (SQLite looks for the members of a key it has no summary of; MongoDB knows it never had any)
    assert [set(keys) - {"nothing|here"} for keys in summarised] == [{IPHONE, GALAXY}] and first == oracle(store)
    assert store.peer_groups([IPHONE, GALAXY]) == first and len(summarised) == 1  # kept
    store.upsert_listings([make("1", price=26_000_000)], seen_at=T0 + timedelta(1))
    got = store.peer_groups([IPHONE, GALAXY])
    assert summarised[1:] == [[IPHONE]]  # only the group the write changed
    assert got[IPHONE] != first[IPHONE] and got == oracle(store) and got[IPHONE].median == 30_000_000
    store.replace_flags("shopee", "3", [placeholder()])  # the end-of-run re-judgement moves it out
    assert store.peer_groups([IPHONE, GALAXY]) == oracle(store) == {IPHONE: got[IPHONE]}
    assert summarised[2:] == [[GALAXY]]


def test_recrawls_that_change_no_membership_invalidate_nothing(
    store: Store, summarised: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    listings = [make("1"), make("2", seller="s2", price=31_000_000), make("3", key=None)]
    store.upsert_listings(listings, seen_at=T0)
    before = store.peer_groups([IPHONE])
    invalidated: list[list[str]] = []
    original = store._invalidate_groups  # type: ignore[attr-defined]

    def counting(keys: Any) -> Any:
        invalidated.append(sorted(set(keys)))
        return original(keys)

    monkeypatch.setattr(store, "_invalidate_groups", counting)
    assert store.upsert_listings(listings, seen_at=T0 + timedelta(1)).unchanged == 3
    described = [x.model_copy(update={"description": "Mô tả mới", "sold_count": 9}) for x in listings]
    assert store.upsert_listings(described, seen_at=T0 + timedelta(2)).updated == 3
    store.replace_flags("shopee", "2", [])  # no placeholder before or after: still in its group
    assert invalidated == [] and store.peer_groups([IPHONE]) == before and summarised == [[IPHONE]]
    store.upsert_listings([make("2", seller="s2", price=32_000_000)], seen_at=T0 + timedelta(3))
    assert invalidated == [[IPHONE]] and store.peer_groups([IPHONE]) == oracle(store) != before


def test_a_second_store_handle_sees_the_writes_of_another(store: Store, store_uri: str) -> None:
    store.upsert_listings([make("1"), make("2", seller="s2", price=34_000_000)], seen_at=T0)
    with open_store(store_uri) as other:
        assert other.peer_groups([IPHONE]) == store.peer_groups([IPHONE]) == oracle(store)  # both cached
        other.upsert_listings([make("1", price=26_000_000), make("3", seller="s3", key=GALAXY)], seen_at=T0)
        assert store.peer_groups([IPHONE, GALAXY]) == oracle(store) == other.peer_groups([IPHONE, GALAXY])
        assert store.peer_groups([IPHONE])[IPHONE].median == 30_000_000
        other.replace_flags("shopee", "1", [placeholder()])
        assert store.peer_groups([IPHONE, GALAXY]) == oracle(store)
        assert store.peer_groups([IPHONE])[IPHONE].listings == 1


def test_a_write_while_a_summary_is_computed_is_never_cached(
    store: Store, store_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another handle writes the group after its members were read: that read's answer is the group as
    it was, and the summary is not kept (the next read sees the write)."""
    store.upsert_listings([make("1"), make("2", seller="s2", price=34_000_000)], seen_at=T0)
    module = sqlite_peers if isinstance(store, SQLiteStore) else mongo_peers
    original = module.summarise_members
    with open_store(store_uri) as other:

        def racing(call_or_db: Any, *args: Any) -> Any:
            found = original(call_or_db, *args)
            monkeypatch.setattr(module, "summarise_members", original)
            other.upsert_listings([make("2", seller="s2", price=40_000_000)], seen_at=T0 + timedelta(1))
            return found

        monkeypatch.setattr(module, "summarise_members", racing)
        before = store.peer_groups([IPHONE])
        assert before[IPHONE].median == 32_000_000  # read before the write
        assert store.peer_groups([IPHONE]) == oracle(store) != before
        assert store.peer_groups([IPHONE])[IPHONE].median == 35_000_000


def test_a_listing_twice_in_one_batch_ends_in_its_last_group(store: Store) -> None:
    store.upsert_listings([make("1"), make("1", key=GALAXY, price=20_000_000)], seen_at=T0)
    assert store.peer_groups([IPHONE, GALAXY]) == oracle(store)
    assert set(oracle(store)) == {GALAXY}


def test_peer_groups_answers_only_keys_that_exist(store: Store) -> None:
    store.upsert_listings([make("1")], seen_at=T0)
    assert store.peer_groups([]) == {} and store.peer_groups(["nothing|here"]) == {}
    assert list(store.peer_groups({IPHONE, "nothing|here"})) == [IPHONE]
    many = [f"k{i}" for i in range(1_200)] + [IPHONE]  # more than one query's worth of keys
    assert list(store.peer_groups(many)) == [IPHONE]
    for bad in (IPHONE, [IPHONE, 3], None):
        with pytest.raises(InvalidQuery):
            store.peer_groups(bad)  # type: ignore[arg-type]


def test_summaries_follow_random_crawls(store: Store, store_uri: str) -> None:
    """Rounds of upserts that add listings, re-price them, move them between keys, drop their price or
    key and flag placeholders; after each round the stored summaries equal the oracle's."""
    rng = random.Random(13)
    size, rounds = (40, 3) if store_uri.startswith("mongodb") else (300, 6)
    keys = [IPHONE, GALAXY, "xiaomi|redmi note 13|128gb", "honda|sh 160i|2024"]
    for day in range(rounds):
        batch = []
        for i in rng.sample(range(size), size // 2):
            price = rng.choice([None, 500, rng.randrange(1_000, 50_000_000)])
            flags = [placeholder()] if rng.random() < 0.1 else []
            batch.append(make(str(i), price=price, seller=rng.choice(["s1", "s2", "s3", None, f"u{i}"]),
                              key=rng.choice([*keys, None]), flags=flags))  # fmt: skip
        store.upsert_listings(batch, seen_at=T0 + timedelta(days=day))
        assert store.peer_groups([*keys, "none"]) == oracle(store)


def test_any_text_in_ids_and_seller_names_is_kept(store: Store) -> None:
    odd = {"platform_id": "x\x1fy", "name": 'Shop \x1f "Hà Nội" \\ 🛍'}
    store.upsert_listings([make("a\x1fb", seller=odd), make("2", seller="s2", price=31_000_000)], seen_at=T0)
    got = group(store)
    assert got is not None and got == oracle(store)[IPHONE]
    assert ("shopee:a\x1fb", 'Shop \x1f "Hà Nội" \\ 🛍', 30_000_000) in got.sample
    store.upsert_listings([make("a\x1fb", seller=odd, price=29_000_000)], seen_at=T0 + timedelta(1))
    assert store.peer_groups([IPHONE]) == oracle(store) and group(store).listings == 2  # type: ignore[union-attr]


def _reference(members: dict[str, tuple[str, str, int]]) -> tuple[Any, ...]:
    """The summary as its definition reads, with the statistics module (what summary_of does faster)."""
    by_seller: dict[str, list[tuple[str, str, int]]] = {}
    for key, (seller, label, price) in members.items():
        by_seller.setdefault(seller, []).append((key, label, price))
    medians = {seller: statistics.median(p for _, _, p in items) for seller, items in by_seller.items()}
    median = statistics.median(medians.values())
    mad = statistics.median(abs(m - median) for m in medians.values())
    picks = []
    for seller, items in by_seller.items():
        key, label, price = min(items, key=lambda item: (abs(item[2] - medians[seller]), item[0]))
        picks.append((abs(medians[seller] - median), key, label, price))
    sample = [(key, label, price) for _, key, label, price in sorted(picks)[:5]]
    return len(members), len(by_seller), float(median), float(mad), sample


@pytest.mark.parametrize("sellers", [3, 40, 1_000])
def test_summary_of_is_the_definition(sellers: int) -> None:
    from crawler.store.peers import summary_of

    rng = random.Random(sellers)
    for size in (1, 2, 3, 7, 30):
        members = {f"tiki:{i}": (f"tiki:s{rng.randrange(sellers)}", f"Shop {i}", rng.choice([1_000, 2_000, 5_000]))
                   for i in range(size)}  # fmt: skip
        assert summary_of(members) == _reference(members)
    assert summary_of({}) is None


def test_small_groups_come_with_their_members(store: Store, summarised: list[list[str]]) -> None:
    """A group of at most MEMBERS_LIMIT listings comes with every member (listing key, seller, label,
    price), computed or cached; a larger one without."""
    from crawler.store.peers import MEMBERS_LIMIT

    batch = [make("2", seller="s2", price=31_000_000), make("1"), make("3", seller=None, price=32_000_000),
             make("4", key=GALAXY), make("5", price=None)]  # fmt: skip
    store.upsert_listings(batch, seen_at=T0)
    members = [("shopee:1", "shopee:s1", "Shop s1", 30_000_000), ("shopee:2", "shopee:s2", "Shop s2", 31_000_000),
               ("shopee:3", "shopee:listing:3", "", 32_000_000)]  # fmt: skip
    computed = group(store)
    assert computed is not None and computed.members == members
    cached = group(store)
    assert summarised == [[IPHONE]] and cached == computed  # the second answer is the cached summary's
    assert "members" not in computed.model_dump()  # never serialised with the group
    store.upsert_listings([make("1", price=29_000_000)], seen_at=T0 + timedelta(1))
    assert group(store).members[0] == ("shopee:1", "shopee:s1", "Shop s1", 29_000_000)  # type: ignore[union-attr]
    many = [make(f"g{i:03d}", seller=f"g{i}", key=GALAXY, price=20_000_000 + i) for i in range(MEMBERS_LIMIT)]
    store.upsert_listings(many, seen_at=T0)  # with "4": one more than the limit
    for _ in range(2):  # computed, then cached
        large = group(store, GALAXY)
        assert large is not None and large.listings == MEMBERS_LIMIT + 1 and large.members is None
    assert store.peer_groups([IPHONE, GALAXY]) == oracle(store)
    # the cache keeps a small group's members with its summary (reading them from the listings per
    # look-up made a cached look-up five times slower), none for a large one
    if isinstance(store, SQLiteStore):
        rows = dict(store._db.execute("SELECT key, members IS NULL FROM peer_groups"))  # type: ignore[attr-defined]
    else:
        rows = {doc["_id"]: doc["members"] is None for doc in store.peers.find()}  # type: ignore[attr-defined]
    assert rows == {IPHONE: False, GALAXY: True}


def test_a_small_group_cached_without_members_is_answered_with_them(store: Store, store_uri: str) -> None:
    """A summary cached by the version before members were cached (MongoDB: the field absent; SQLite
    drops that cache when it upgrades the file) still comes with its members."""
    if isinstance(store, SQLiteStore):
        pytest.skip("SQLite: the version-6 cache is dropped on upgrade (tests/test_store_upgrade.py)")
    store.upsert_listings([make("1"), make("2", seller="s2", price=31_000_000)], seen_at=T0)
    expected = group(store)
    assert expected is not None and expected.members is not None
    store.peers.update_one({"_id": IPHONE}, {"$unset": {"members": ""}})  # type: ignore[attr-defined]
    assert group(store) == expected
