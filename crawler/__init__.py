"""Listing monitor: crawl Vietnamese e-commerce listings, flag banned goods, counterfeits, missing
origin and price anomalies, and keep the evidence inspectors need. See DESIGN.md and README.md."""

__version__ = "0.1.0"
