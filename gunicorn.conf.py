"""gunicorn settings read from the working directory (``gunicorn threatcluster.wsgi`` from the repo
root): the access log redacts credentials (``?token=…``); see threatcluster/gunicorn_logging.py."""

logger_class = "threatcluster.gunicorn_logging.ScrubbingLogger"

# gunicorn 27's control interface listens on one fixed per-user path (~/.gunicorn/gunicorn.ctl):
# a second instance on the host (another site, a benchmark, the tests' servers) would take it
# over. Nothing here uses it; pass --control-socket PATH to enable it for one instance.
control_socket_disable = True


def post_worker_init(worker):
    """Before a worker takes requests: import what its first MISP poll would otherwise wait for."""
    from misp_feed.mapping import warm_up

    warm_up()
