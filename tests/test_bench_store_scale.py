"""``python -m bench store_scale``'s listings: ``--peer-keys`` adds a peer key and changes nothing else."""

from __future__ import annotations

from bench.store_scale import synthetic


def test_peer_keys_leave_the_rest_of_the_listings_as_they_were() -> None:
    plain, keyed = synthetic(200), synthetic(200, peer_keys=True)
    assert all(x.peer_key is None for x in plain)
    assert [x.model_dump(exclude={"peer_key"}) for x in keyed] == [x.model_dump(exclude={"peer_key"}) for x in plain]
    keys = {x.peer_key for x in keyed}
    assert None not in keys and 1 < len(keys) <= 10  # one of n/20 products
