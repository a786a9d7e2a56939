"""gunicorn settings read from the working directory (``gunicorn threatcluster.wsgi`` from the repo
root): the access log redacts credentials (``?token=…``); see threatcluster/gunicorn_logging.py."""

logger_class = "threatcluster.gunicorn_logging.ScrubbingLogger"


def post_worker_init(worker):
    """Before a worker takes requests: import what its first MISP poll would otherwise wait for."""
    from misp_feed.mapping import warm_up

    warm_up()
