"""`fieldbook jobs ...`: the worker that runs the background jobs."""

import click
import redis
from flask import current_app
from flask.cli import AppGroup
from rq import SimpleWorker

from server.jobs.services import queue

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def worker_cmd(burst: bool) -> None:
    """Run queued jobs (exports, campaign launches) until stopped; needs REDIS_URL."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: without it jobs run in the web process (the demo)."
        )
    q = queue()
    # SimpleWorker runs each job in this process, inside the app context set up by
    # this command; a forking worker would share the database connections with its
    # children. Each job is its own unit of work (jobs/services.py).
    connection = redis.Redis.from_url(current_app.config["REDIS_URL"])
    SimpleWorker([q], connection=connection).work(burst=burst)
