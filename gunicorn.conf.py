"""Gunicorn reads this file from the project folder: it refuses, before any worker starts, a
setup that cannot work (config.py says why and what to change)."""

import os

# The access log names the path without its query string (%(U)s, not %(r)s): a case search
# carries a patient's name or MRN in the query. No referrer either: it carries one too.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


def on_starting(server):
    from config import ProductionConfig, several_workers_problems

    workers = server.cfg.workers
    if os.environ.get("TUMORBOARD_CONFIG") == "production":
        problems = ProductionConfig.check(workers=workers)
    else:
        problems = several_workers_problems(workers)
    if problems:
        message = "Refusing to start:\n- " + "\n- ".join(problems)
        server.log.error(message)
        raise SystemExit(message)
