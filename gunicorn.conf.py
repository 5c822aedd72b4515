"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README: Production).

Every value can be overridden by the environment variables named below.
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests mostly wait on PostgreSQL: a few processes, each with a few threads.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (plus jitter), so a slow leak never grows.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s ua="%(a)s"'
errorlog = "-"

# One folder where every worker writes its metrics; /metrics adds them up.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="points-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    # Counts left by an earlier run would be added to this one's.
    for entry in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, entry)
        if os.path.isfile(path):
            os.remove(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
