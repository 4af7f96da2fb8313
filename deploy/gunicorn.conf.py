"""Gunicorn settings for a Fieldbook app server: `gunicorn -c deploy/gunicorn.conf.py
"server:create_app()"` (deploy/systemd/fieldbook-web.service, deploy/compose.yaml).

Threads rather than more processes: a request mostly waits on PostgreSQL, and every
process holds its own connection pool. Sizing: docs/deploy.md.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A first pull of a 500-customer portfolio is a few pages of a few seconds each at most.
timeout = 60
graceful_timeout = 30
# nginx keeps connections to the upstream open (keepalive); hold them a little longer.
keepalive = 75
# A worker is replaced now and then, so no slow leak grows for weeks.
max_requests = 20_000
max_requests_jitter = 2_000
# Load the app before forking: a broken configuration fails the start, not each worker.
preload_app = True
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# Gunicorn 24+ opens a control socket at one path under $HOME: several app servers on
# one host would take it from each other. Nothing here uses it.
control_socket_disable = True


def post_fork(server, worker):
    # Connections opened while preloading (none are, but an import might) must not be
    # shared with the children: each worker opens its own.
    from server.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
