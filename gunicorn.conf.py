"""gunicorn settings read from the working directory (``gunicorn threatcluster.wsgi`` from the repo
root): the access log redacts credentials (``?token=…``); see threatcluster/gunicorn_logging.py."""

logger_class = "threatcluster.gunicorn_logging.ScrubbingLogger"
