"""The inspectors' web UI (``crawler web``): FastAPI with server-rendered Jinja2 pages.

- :mod:`crawler.web.app` builds the application (``create_app``) and its shared state;
- :mod:`crawler.web.auth` logs users in and checks every route's roles and CSRF token;
- :mod:`crawler.web.pages`, :mod:`crawler.web.listing_pages`, :mod:`crawler.web.admin_pages` hold the routes;
- :mod:`crawler.web.i18n` the words (Vietnamese first), :mod:`crawler.web.svg` the charts,
  :mod:`crawler.web.security` headers, rate limits and safe redirects.

The web code reads and decides through ``crawler.review`` (the CLI's code), never the store directly.
"""
