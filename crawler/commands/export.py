"""``crawler export --format csv|xlsx|json --out FILE [filters]``: what an inspector hands on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.commands.common import StoreOption, fail, open_store_or_exit, out
from crawler.commands.flags import (
    KindOption,
    MinRiskOption,
    PlatformOption,
    ProvinceOption,
    RuleOption,
    SellerOption,
    SinceOption,
    SourceOption,
    StatusOption,
    TextOption,
    UntilOption,
)
from crawler.review.exports import FORMATS, write_export
from crawler.review.filters import FilterError, Filters, flag_query, iter_matching


def register(app: typer.Typer) -> None:
    """Add ``crawler export`` to the root command."""
    app.command("export")(export)


def export(
    output_format: Annotated[str, typer.Option("--format", "-f", help="csv, xlsx or json.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File to write.", dir_okay=False)],
    kind: KindOption = None,
    rule: RuleOption = None,
    platform: PlatformOption = None,
    seller: SellerOption = None,
    province: ProvinceOption = None,
    status: StatusOption = None,
    min_risk: MinRiskOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    text: TextOption = None,
    source: SourceOption = None,
    all_listings: Annotated[bool, typer.Option("--all", help="Every matching listing, not only flagged ones.")] = False,
    sort: Annotated[str, typer.Option(help="risk or newest.")] = "risk",
    store: StoreOption = None,
) -> None:
    """Export listings (flagged ones unless --all) with the same filters as ``flags list``.

    XLSX has Vietnamese headers, numbers as numbers, dates as dates (Vietnam time), links, a frozen
    header and filters; CSV is UTF-8 with BOM so Excel reads Vietnamese; JSON keeps full documents.
    Every export gets a sidecar FILE.audit: the review log's head (COUNT:HASH) and the file's sha256;
    `crawler audit verify --export FILE` checks both later. Each listing's evidence captures are listed.

    Examples:
      crawler export --format xlsx --out vi-pham.xlsx --status confirmed --since 2026-01-01
      crawler export -f csv -o shopee.csv --platform shopee --kind counterfeit
    """
    if output_format not in FORMATS:
        raise fail(f"--format must be one of: {', '.join(FORMATS)}", 2)
    filters = Filters(kind, rule, platform, seller, province, status, min_risk, since, until, text, source,
                      flagged_only=not all_listings)
    try:
        flag_query(filters, sort=sort)
    except FilterError as exc:
        raise fail(str(exc), 2) from exc
    if out_path.parent and not out_path.parent.is_dir():
        raise fail(f"--out {out_path}: directory {out_path.parent} does not exist", 2)
    from crawler.review.audit import current_head, head_text

    with open_store_or_exit(store) as opened:
        head = head_text(current_head(opened.iter_audit()))
        try:
            count = write_export(iter_matching(opened, filters, sort=sort), out_path, output_format,
                                 filters=filters.describe(), audit_head=head)
        except OSError as exc:
            raise fail(f"cannot write {out_path}: {exc}") from exc
    out().print(f"{count} listings written to {out_path} ({output_format}; filters: {filters.describe()})")
    out().print(f"audit head: {head}  (in {out_path}.audit with the file's sha256; check later: "
                f"crawler audit verify --export {out_path})")
