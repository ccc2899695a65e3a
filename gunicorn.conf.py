"""gunicorn settings for LectureOrder: `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: GUNICORN_BIND (default 127.0.0.1:8000; the proxy in front connects there),
GUNICORN_WORKERS (default 2 x cores + 1), GUNICORN_TIMEOUT (seconds, default 30). The app's
own settings come from LECTUREORDER_* as usual. Never run the scheduler in here: it is one
separate `flask --app lectureorder scheduler` process for the whole deployment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Sync workers: each request holds one worker, so the count is how many run at once. Every
# worker keeps its own database pool (SQLAlchemy's 5 + 10 overflow): workers x hosts x 15 must
# stay under PostgreSQL's max_connections (100 by default).
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# Each worker builds its own app (create_app has no side effects at import): no database
# connection or scheduler state is shared across a fork.
preload_app = False
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30  # on SIGTERM/SIGHUP, requests in flight get this long to finish
keepalive = 5
# Recycle a worker now and then so slow growth in one process never becomes an outage. Rarely:
# bench/load.py's soak grew the workers' memory by under 2% in 40,000 requests, while each
# recycle costs a cold start (imports, templates compiled, the reference snapshot read again)
# and closes its clients' keep-alive connections.
max_requests = 20000
max_requests_jitter = 2000
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file off a possibly slow disk

# Logs go to stdout/stderr (journald under systemd). The access line names the path only
# (%(U)s, never %(r)s or %(q)s: query strings can hold an order code or a phone number), and no
# referrer (it carries the previous page's query). Bodies are never logged.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "lectureorder"
# gunicorn 24+ opens a control socket under $HOME; nothing here uses it (and the systemd unit
# keeps $HOME read-only). Older versions ignore the setting.
control_socket_disable = True
