"""gunicorn settings of the web containers (``gunicorn -c deploy/gunicorn.conf.py``).

The worker model is on the command line in docker-compose.yml, where it is explained:
``-w 1 --threads 100 -k gthread``.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Build the app in the master before forking: a configuration error then stops gunicorn once with
# exit code 2 (hamkke/wsgi.py) instead of the master respawning a worker that can never boot.
preload_app = True
# Only nginx reaches the web containers (they publish no port); it sets X-Forwarded-Proto/-For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# The worker heartbeat file on tmpfs; Docker's overlay filesystem can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 -- tmpfs, gunicorn's own file
# A request thread has this long; WebSocket threads are not subject to it under gthread.
timeout = 60
graceful_timeout = 30
keepalive = 5
# No control socket: nothing in the container uses it, and it is one file less to secure.
control_socket_disable = True
accesslog = "-"
# The client address nginx passed on, not nginx's own.
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
