"""Shop sites without schema.org markup, described in YAML: one ``<name>.yaml`` file per site.

A new shop site is a YAML file here, not code (``scrapy crawl shopsite -a site=<name>``)::

    platform: demo_shop              # the listings' platform (default: the site's domain)
    base_url: https://shop.example   # PLATFORM_BASE_URLS[<name>] overrides it (tests, mirrors)
    start_urls: [/danh-muc/tat-ca]   # paths on base_url, or absolute URLs
    listing_links: a.product-card::attr(href)     # CSS, or "xpath: //a[@class='p']/@href"
    next_page: a.next::attr(href)                 # optional: pagination link
    id_pattern: /sp/(\\d+)                         # optional: listing id from the product URL
    fields:                                        # Listing field → CSS / xpath: query
      title: h1.name::text                         # required
      price: .price::text                          # free text: "1.250.000₫", "850k", "Liên hệ"
      images: .gallery img::attr(src)              # every match

Fields: title, price, original_price, description, brand, origin, seller, sku, category, images.
Every error is reported as ``file:line: what is wrong`` (:class:`SiteError`), and every selector is
compiled at load time so a typo fails before the crawl, not in the middle of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from parsel import Selector

SITES_DIR = Path(__file__).resolve().parent
FIELDS = ("title", "price", "original_price", "description", "brand", "origin", "seller", "sku", "category",
          "images")
KEYS = ("platform", "base_url", "start_urls", "listing_links", "next_page", "id_pattern", "fields")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class SiteError(ValueError):
    """A site description that cannot be used; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class SiteSpec:
    """One shop site as its YAML file describes it."""

    name: str
    path: Path
    base_url: str
    start_urls: tuple[str, ...]
    listing_links: str
    fields: dict[str, str]
    platform: str | None = None
    next_page: str | None = None
    id_pattern: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def urls(self, base_url: str | None = None) -> list[str]:
        """The start URLs, paths joined onto ``base_url`` (the override) or the file's ``base_url``."""
        base = (base_url or self.base_url).rstrip("/")
        return [u if u.startswith(("http://", "https://")) else f"{base}/{u.lstrip('/')}" for u in self.start_urls]


def _check_query(query: str, where: str) -> None:
    probe = Selector(text="<html><body></body></html>")
    try:
        if query.startswith("xpath:"):
            probe.xpath(query.removeprefix("xpath:").strip())
        else:
            probe.css(query)
    except Exception as exc:  # cssselect/lxml raise several kinds for a bad expression
        raise SiteError(f"{where}: not a valid selector {query!r} ({exc})") from None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text(node: yaml.Node, path: Path, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise SiteError(f"{path}:{_line(node)}: {key} must be non-empty text")
    return str(node.value).strip()


def load_site_file(path: Path) -> SiteSpec:
    """Read and check one site file; raises :class:`SiteError` (``file:line: …``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteError(f"{path}:1: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise SiteError(f"{path}:1: not UTF-8 text ({exc.reason})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SiteError(f"{path}:{line}: not valid YAML ({exc.problem or exc})") from None
    if not isinstance(root, yaml.MappingNode):
        raise SiteError(f"{path}:{_line(root) if root else 1}: a site file is a mapping of {', '.join(KEYS)}")
    nodes: dict[str, yaml.Node] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key not in KEYS:
            raise SiteError(f"{path}:{_line(key_node)}: unknown key {key!r} (known: {', '.join(KEYS)})")
        nodes[key] = value_node
        key_lines[key] = _line(key_node)
    for required in ("base_url", "start_urls", "listing_links", "fields"):
        if required not in nodes:
            raise SiteError(f"{path}:{_line(root)}: missing {required}")
    base_url = _text(nodes["base_url"], path, "base_url")
    if not base_url.startswith(("http://", "https://")):
        raise SiteError(f"{path}:{_line(nodes['base_url'])}: base_url must be an http(s) URL, got {base_url!r}")
    starts = nodes["start_urls"]
    if not isinstance(starts, yaml.SequenceNode) or not starts.value:
        raise SiteError(f"{path}:{_line(starts)}: start_urls must be a non-empty list")
    start_urls = tuple(_text(node, path, "start_urls[]") for node in starts.value)
    listing_links = _text(nodes["listing_links"], path, "listing_links")
    _check_query(listing_links, f"{path}:{_line(nodes['listing_links'])}")
    next_page = None
    if "next_page" in nodes:
        next_page = _text(nodes["next_page"], path, "next_page")
        _check_query(next_page, f"{path}:{_line(nodes['next_page'])}")
    id_pattern = None
    if "id_pattern" in nodes:
        id_pattern = _text(nodes["id_pattern"], path, "id_pattern")
        try:
            re.compile(id_pattern)
        except re.error as exc:
            raise SiteError(f"{path}:{_line(nodes['id_pattern'])}: id_pattern is not a regex ({exc})") from None
    fields_node = nodes["fields"]
    if not isinstance(fields_node, yaml.MappingNode):
        raise SiteError(f"{path}:{_line(fields_node)}: fields must map Listing fields to selectors")
    fields: dict[str, str] = {}
    for key_node, value_node in fields_node.value:
        name = str(key_node.value)
        if name not in FIELDS:
            raise SiteError(f"{path}:{_line(key_node)}: unknown field {name!r} (known: {', '.join(FIELDS)})")
        fields[name] = _text(value_node, path, f"fields.{name}")
        _check_query(fields[name], f"{path}:{_line(value_node)}")
    if "title" not in fields:
        raise SiteError(f"{path}:{key_lines['fields']}: fields.title is required")
    platform = _text(nodes["platform"], path, "platform") if "platform" in nodes else None
    return SiteSpec(name=path.stem, path=path, base_url=base_url.rstrip("/"), start_urls=start_urls,
                    listing_links=listing_links, fields=fields, platform=platform, next_page=next_page,
                    id_pattern=id_pattern)


def load_site(name: str, directory: Path = SITES_DIR) -> SiteSpec:
    """The site ``<directory>/<name>.yaml``; raises :class:`SiteError` for a bad name or file."""
    if not _NAME.match(name):
        raise SiteError(f"site name must be lower-case letters, digits, _ or -, got {name!r}")
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "none"
        raise SiteError(f"{path}:1: no such site file (known sites: {known})")
    return load_site_file(path)
