"""End-of-crawl monitors and alerts (issue 16).

At the end of every crawl (``spider_closed``) :class:`crawler.monitors.extension.CrawlMonitors` runs a
spidermon suite (:mod:`crawler.monitors.suite`) over the crawl's stats and the job's past runs
(:mod:`crawler.monitors.history`); the thresholds are plain functions (:mod:`crawler.monitors.checks`).
A failed monitor logs at ERROR, records ``MONITOR_FAILED`` (exit 11) and alerts through what is
configured (:mod:`crawler.monitors.alerts`: a webhook, e-mail through SMTP).
"""
