"""One listing: its fields, flags with highlighted matches, peers, prices, seller, evidence, decisions.

Routes:

    GET  /listings/{platform:listing_id}      everyone
    POST /review                              reviewers: confirm / dismiss / refer / reopen, with a note
    POST /assign                              leads and admins
    POST /case                                reviewers: the case file ``crawler case`` writes, as a .zip
    GET  /network?listing=KEY                 everyone: the seller's linked sellers
    GET  /evidence/{id}?listing=KEY           everyone: a screenshot shown as an image, a response body
                                              only as a download (text/plain or octet-stream, attachment);
                                              ``id`` is the file's sha256, looked up among that listing's
                                              own evidence (an id of another listing, or a path: 404)
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from crawler.items import Listing
from crawler.review.accounts import ASSIGNERS, EVERYONE, REVIEWERS, AccountError, Session
from crawler.review.desk import (
    DECISIONS,
    captures,
    case_to,
    decide,
    evidence_file,
    listing_with_history,
    parse_key,
    peer_group,
    seller_graph,
    seller_listings,
    seller_network,
    shown_uri,
)
from crawler.review.filters import VN_TZ, FilterError
from crawler.web import i18n
from crawler.web.app import render, state_of
from crawler.web.auth import require
from crawler.web.svg import price_line

router = APIRouter()
_PNG = b"\x89PNG\r\n\x1a\n"
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
NETWORK_TTL = 300.0


def listing_url(key: str) -> str:
    """The page of a listing (its key quoted: listing ids may hold any character)."""
    return "/listings/" + quote(key, safe=":")


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) around the matched spans (clamped, overlaps merged)."""
    cuts: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        if end <= start:
            continue
        if cuts and start <= cuts[-1][1]:
            cuts[-1] = (cuts[-1][0], max(cuts[-1][1], end))
        else:
            cuts.append((start, end))
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in cuts:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def _flag_views(listing: Listing) -> list[dict[str, Any]]:
    views = []
    for flag in listing.flags:
        by_field: dict[str, list[tuple[int, int]]] = {}
        for match in flag.matched:
            by_field.setdefault(match.field, []).append((match.start, match.end))
        highlighted = []
        for field_name, spans in by_field.items():
            text = listing.field_text(field_name)
            if not text:
                continue
            if len(text) > 2000:  # show the neighbourhood of the matches only
                low = max(0, min(start for start, _ in spans) - 300)
                high = min(len(text), max(end for _, end in spans) + 300)
                text, spans = text[low:high], [(start - low, end - low) for start, end in spans]
            highlighted.append((field_name, segments(text, spans)))
        views.append({"flag": flag, "highlighted": highlighted,
                      "quotes": [match.text for match in flag.matched]})
    return views


def _network(request: Request, listing: Listing) -> Any:
    """The seller's network, from a seller graph built at most :data:`NETWORK_TTL` seconds ago (reading
    every seller's links is the slow part: it is done once for every listing viewed meanwhile)."""
    import time

    state = state_of(request)
    with state.network_lock:
        cached = state.network_cache.get("graph")
        if cached is None or time.monotonic() - cached[0] > NETWORK_TTL:
            cached = (time.monotonic(), seller_graph(state.store))
            state.network_cache["graph"] = cached
    return seller_network(state.store, listing, graph=cached[1])


@router.get("/listings/{key:path}", response_class=HTMLResponse)
def listing_page(request: Request, key: str, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """Everything about one listing, and (for reviewers) the decision form."""
    state = state_of(request)
    try:
        found = listing_with_history(state.store, key)
    except FilterError as exc:
        raise HTTPException(404, "not_found") from exc
    if found is None:
        raise HTTPException(404, "not_found")
    listing, history = found
    points = [(point.at, point.price) for point in listing.price_history]
    if listing.price is not None and listing.last_seen and (not points or points[-1][1] != listing.price):
        points.append((listing.last_seen, listing.price))
    chart = price_line(sorted(points, key=lambda point: point[0]), i18n.vnd, i18n.day)
    has_price_flag = any(flag.kind == "price_anomaly" for flag in listing.flags)
    assignment = state.accounts.assigned([(listing.platform, listing.listing_id)]).get(listing.key)
    return render(
        request, "listing.html", listing=listing, history=history, flags=_flag_views(listing),
        peers=peer_group(state.store, listing) if (has_price_flag or listing.peer_key) else None,
        chart=chart, others=seller_listings(state.store, listing),
        captures=captures(listing), assignment=assignment, listing_url=listing_url,
        evidence_url=lambda evidence_id: f"/evidence/{evidence_id}?listing={quote(listing.key, safe=':')}",
        can_review=session.user.role in REVIEWERS, can_assign=session.user.role in ASSIGNERS,
        inspectors=[u.name for u in state.accounts.users() if u.active and u.role in REVIEWERS],
        done=request.query_params.get("done"), failed=request.query_params.get("failed"),
        failures=request.query_params.get("why"),
    )


@router.get("/network", response_class=HTMLResponse)
def network(request: Request, listing: str, session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """Sellers linked to the listing's seller by a shared phone, shop name, image or URL (as ``crawler
    sellers network``), on its own page: building the graph reads every seller's links."""
    state = state_of(request)
    try:
        platform, listing_id = parse_key(listing)
    except FilterError as exc:
        raise HTTPException(404, "not_found") from exc
    found = state.store.get_listing(platform, listing_id)
    if found is None:
        raise HTTPException(404, "not_found")
    return render(request, "network.html", listing=found, network=_network(request, found), listing_url=listing_url)


@router.post("/review")
def review(request: Request, session: Annotated[Session, Depends(require(REVIEWERS))],
           key: Annotated[str, Form(max_length=300)], action: Annotated[str, Form()],
           note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Record one decision with an audit entry by the logged-in user, then show the listing again."""
    if action not in DECISIONS:
        raise HTTPException(400, "error")
    result = decide(state_of(request).store, [key], action, by=session.user.name, note=note.strip() or None)[0]
    if result.error and "no listing" in result.error:
        raise HTTPException(404, "not_found")
    suffix = "?done=1" if result.entry else "?failed=1&why=" + quote(result.error or "", safe="")
    return RedirectResponse(listing_url(key) + suffix, status_code=303)


@router.post("/assign")
def assign(request: Request, session: Annotated[Session, Depends(require(ASSIGNERS))],
           key: Annotated[str, Form(max_length=300)], assignee: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Assign the listing to an inspector (an empty assignee unassigns it)."""
    state = state_of(request)
    try:
        platform, listing_id = parse_key(key)
    except FilterError as exc:
        raise HTTPException(404, "not_found") from exc
    if state.store.get_listing(platform, listing_id) is None:
        raise HTTPException(404, "not_found")
    try:
        state.accounts.assign([(platform, listing_id)], assignee or None, by=session.user.name)
    except AccountError as exc:
        return RedirectResponse(listing_url(key) + "?failed=1&why=" + quote(str(exc), safe=""), status_code=303)
    return RedirectResponse(listing_url(key) + "?done=1", status_code=303)


@router.post("/case")
def case_file(request: Request, session: Annotated[Session, Depends(require(REVIEWERS))],
              key: Annotated[list[str] | None, Form(max_length=300)] = None) -> Response:
    """The case file of the selected listings, zipped (manifest, SHA256SUMS and verified evidence inside)."""
    state = state_of(request)
    keys = list(dict.fromkeys(key or []))[:200]
    if not keys:
        raise HTTPException(400, "nothing_selected")
    folder = Path(tempfile.mkdtemp(prefix="lm-case-"))
    stamp = datetime.now(VN_TZ).replace(microsecond=0)
    try:
        case_to(state.store, keys, folder / "case", state.config.evidence_dir, generated_at=stamp,
                store_name=shown_uri(state.config.store_uri))
    except FilterError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(404, "not_found") from exc
    archive = shutil.make_archive(str(folder / "ho-so"), "zip", folder / "case")
    return FileResponse(archive, media_type="application/zip", filename=f"ho-so-{stamp:%Y%m%d-%H%M}.zip",
                        content_disposition_type="attachment",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.get("/evidence/{evidence_id}")
def evidence(request: Request, evidence_id: str, listing: str,
             session: Annotated[Session, Depends(require(EVERYONE))]) -> Response:
    """One evidence file of one listing, by its sha256 (never by path); see the module docstring."""
    state = state_of(request)
    try:
        platform, listing_id = parse_key(listing)
    except FilterError as exc:
        raise HTTPException(404, "not_found") from exc
    stored = state.store.get_listing(platform, listing_id)
    found = evidence_file(stored, evidence_id, state.config.evidence_dir) if stored else None
    if found is None:
        raise HTTPException(404, "not_found")
    item, check = found
    if check.state == "missing":
        raise HTTPException(404, "not_found")
    if check.state != "ok" or check.data is None:
        raise HTTPException(409, "evidence_changed")
    name = _FILE_SAFE.sub("_", f"{platform}-{listing_id}")[:80] + f"-{item.id[:12]}"
    headers = {"Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff"}
    if item.label == "screenshot" and check.data.startswith(_PNG):
        headers["Content-Disposition"] = f'inline; filename="{name}.png"'
        return Response(check.data, media_type="image/png", headers=headers)
    try:
        check.data.decode("utf-8")
        media, suffix = "text/plain; charset=utf-8", ".txt"
    except UnicodeDecodeError:
        media, suffix = "application/octet-stream", ".bin"
    headers["Content-Disposition"] = f'attachment; filename="{name}{item.suffix}{suffix}"'
    return Response(check.data, media_type=media, headers=headers)
