"""The project's own Scrapy commands (``COMMANDS_MODULE``): ``crawl`` exits with the crawl's cause."""
