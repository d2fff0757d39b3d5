"""Packaging shim for ``scrapyd-deploy``, which builds its egg with ``python setup.py bdist_egg``.

Everything (packages, package data, dependencies, the ``scrapy`` entry point naming the settings
module) is declared in pyproject.toml; this file only lets the old command find it.
"""

from setuptools import setup

setup()
