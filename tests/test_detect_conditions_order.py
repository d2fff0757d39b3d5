"""AllOf evaluates field tests (empty/present) first: the same result as in the rule's order."""

from __future__ import annotations

import pytest

from crawler.detect.conditions import AllOf, EmptyFields, ListingText, MatchContext, PhraseCondition, PhraseSet
from crawler.items import Listing


class _Counting(PhraseCondition):
    calls = 0

    def evaluate(self, ctx: MatchContext):  # type: ignore[no-untyped-def]
        type(self).calls += 1
        return super().evaluate(ctx)


@pytest.mark.parametrize("origin", [None, "Trung Quốc"])
def test_all_of_gives_the_hits_in_rule_order_and_skips_phrases_when_a_field_test_fails(origin: str | None) -> None:
    phrases = _Counting(PhraseSet(["tai nghe"]), ("title",))
    both = AllOf([phrases, EmptyFields(("origin",)), PhraseCondition(PhraseSet(["bluetooth"]), ("title",))])
    listing = Listing(platform="t", listing_id="1", url="u", title="Tai nghe bluetooth", origin=origin)
    ctx = MatchContext(ListingText(listing), ("title",))
    _Counting.calls = 0
    hits = both.evaluate(ctx)
    if origin is None:
        assert hits is not None
        assert [ctx.text.to_match(h).text for h in hits] == ["Tai nghe", "bluetooth"]  # the rule's order
        assert _Counting.calls == 1
    else:
        assert hits is None
        assert _Counting.calls == 0  # the empty-origin test failed first
    assert both.children[0] is phrases  # the pre-filter still sees the rule's order
