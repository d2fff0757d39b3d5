"""Named crawl jobs (``crawls.yaml``), their schedule and the crawl processes that run them."""

from crawler.jobs.config import Job, JobsFile, load_jobs

__all__ = ["Job", "JobsFile", "load_jobs"]
