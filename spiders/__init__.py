"""Scrapy spiders: one module per platform (file name == spider name), shared base and formats."""
