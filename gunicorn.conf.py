"""Gunicorn's settings for `make serve`: `gunicorn -c gunicorn.conf.py klockaretorpet.wsgi`.

Every value can be changed by an environment variable, so one file serves every host.
"""

import os


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def available_cores() -> int:
    # The cores this process may use (a container's or systemd's CPU limit), not the machine's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Behind a reverse proxy or load balancer on the same host by default; "0.0.0.0:8000" when the
# load balancer is elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: a worker process runs one request at a time, so `timeout` holds: a request that
# runs longer keeps its worker from reporting to the arbiter, which then kills the worker and starts
# a fresh one. With threads (gthread) the worker's main thread keeps reporting while a request
# thread runs on, and a request is never cut off. A sync worker needs a buffering reverse proxy in
# front (nginx by default), so a slow client never holds a worker.
worker_class = "sync"
# The usual 2 × cores + 1, capped: the pages need the CPU, not waiting, so more workers would not
# serve more requests per second; a worker renders PDFs with WeasyPrint (~450 MB at its peak for
# a 500-activity report) and holds one database connection, and PostgreSQL's connections are
# shared by every app server.
workers = env_int("GUNICORN_WORKERS", min(2 * available_cores() + 1, 8))

# The PDF report of a 500-activity plan took up to ~20 s on a 2-core machine; gunicorn's default
# 30 s would kill such a worker under load. The proxy's read timeout must be at least as long.
timeout = env_int("GUNICORN_TIMEOUT", 120)
# On a restart or deploy, a request that is already rendering a report may finish first.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# A worker is replaced after this many requests (spread by the jitter so they don't all restart at
# once), which returns the memory that large imports and PDFs leave behind.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Which proxies may tell gunicorn the original scheme (X-Forwarded-Proto); Django trusts the header
# through SECURE_PROXY_SSL_HEADER in any case, so the proxy must set it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

proc_name = "planportalen"

# Gunicorn's control socket (for `gunicornc`) has one default path per user, which a second
# gunicorn on the host would take over; it is opened only when asked for, at a path of its own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Both logs go to stdout (logconfig_dict; gunicorn alone would send "-" errors to stderr) in the
# shape of the portal's own lines (settings.LOGGING): time, level, logger, [request id], message.
# The access line takes the id from the X-Request-ID response header the portal sets
# (klockaretorpet/request_id.py), so it matches the portal's lines of that request.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '[%({x-request-id}o)s] %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Times with their offset: the master logs in the host's time zone, the workers (once
        # Django has set TIME_ZONE) in Stockholm's.
        "access": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S%z",
        },
        "error": {
            "format": "%(asctime)s %(levelname)s %(name)s [-] %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S%z",
        },
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "error",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        # Not propagated: the portal's root handler would print them a second time.
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
    },
    # The portal's settings configure the root logger in each worker.
    "root": {"handlers": [], "level": "INFO"},
}
