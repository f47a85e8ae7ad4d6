"""Gunicorn settings for Relife in production, behind nginx (``deploy/nginx.conf``).

Run from the repository root: ``gunicorn -c deploy/gunicorn.conf.py`` (the application, ``wsgi:app``,
is named below). A command-line option overrides the same setting here, e.g. ``--bind``.
docs/deployment.md explains the whole setup; the reasons for each value are beside it.

Slow clients are nginx's job, not gunicorn's: gunicorn has no timeout for reading a request, so a
client that sends its headers a byte every few seconds keeps a worker (sync) or a thread (gthread)
for as long as it likes. Four such clients made a two-worker sync gunicorn unreachable. nginx reads
the whole request first (``proxy_request_buffering``) and cuts slow clients off
(``client_header_timeout``), so gunicorn only ever sees complete requests from nginx, on a port or
socket nobody else can reach.
"""

from __future__ import annotations

import os

# Where nginx's ``upstream`` points: loopback only (or a unix socket, ``unix:/run/relife/gunicorn.sock``).
# Never a public address: without nginx in front, slow clients reach the threads directly.
bind = [os.environ.get("RELIFE_BIND", "127.0.0.1:8000")]
wsgi_app = "wsgi:app"

# Threads: a request that waits on PostgreSQL, Redis or Stripe holds a thread, not a whole process,
# so a few slow requests no longer take every worker. Processes for the cores (the GIL), threads for
# the waiting. 8 threads stay below the SQLAlchemy pool (5 + 10 overflow connections per engine), so a
# thread never queues for a database connection; each worker holds at most 2 × 8 PostgreSQL
# connections (the catalogue's read pool and the main pool): workers × 16 must fit max_connections.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, os.cpu_count() or 1))
threads = int(os.environ.get("RELIFE_THREADS") or 8)

# A worker whose main loop has not reported for this long is killed and replaced. With gthread the
# main loop keeps reporting while requests run in threads, so this catches a wedged process, not a
# long request (the longest, a 100 000-row CSV import, takes a few seconds).
timeout = 30
# On a reload or stop, requests in progress get this long to finish.
graceful_timeout = 30
# Idle keep-alive connection from nginx, in seconds (nginx opens one per request by default).
keepalive = 5

# Recycle each worker after about this many requests, so slow memory growth (a leak in a driver,
# fragmentation) never builds up; the jitter keeps workers from restarting all at once.
max_requests = 2000
max_requests_jitter = 200

# Request-line and header limits: gunicorn's defaults, stated so a review sees them. nginx's
# large_client_header_buffers (8 kB per line) is the tighter bound in front.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The heartbeat file of each worker lives in memory, not on a disk that may stall (gunicorn's own
# advice; it creates its files there with mkstemp).
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

# X-Forwarded-Proto is trusted from these addresses only (nginx on this machine; a unix socket is
# always trusted). The client's address is taken from X-Forwarded-For by the app itself when
# TRUSTED_PROXIES=1 is set (werkzeug's ProxyFix): the login throttle counts per client, not per nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 25+ opens a control socket for ``gunicornc`` at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), which two instances on one machine would take from each other: off,
# unless RELIFE_CONTROL_SOCKET names one for this instance (e.g. /run/relife/gunicorn.ctl).
if _control := os.environ.get("RELIFE_CONTROL_SOCKET"):
    control_socket = _control
else:
    control_socket_disable = True

# Logs on stderr/stdout: systemd's journal (or the container runtime) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("RELIFE_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms'
proc_name = "relife"
