"""gunicorn settings read from the working directory (``gunicorn threatcluster.wsgi`` from the repo
root): the access log redacts credentials (``?token=…``); see threatcluster/gunicorn_logging.py."""

logger_class = "threatcluster.gunicorn_logging.ScrubbingLogger"

# gunicorn 27's control interface listens on one fixed per-user path (~/.gunicorn/gunicorn.ctl):
# a second instance on the host (another site, a benchmark, the tests' servers) would take it
# over. Nothing here uses it; pass --control-socket PATH to enable it for one instance.
control_socket_disable = True


def post_worker_init(worker):
    """Before a worker takes requests: import what its first MISP poll would otherwise wait for, then
    freeze what is loaded so far out of the garbage collector's reach.

    A full (generation 2) collection walks every tracked object, and a worker holds ~270,000 of them
    once Django, DRF, stix2 and pymisp are imported: 60 ms each on an idle machine, 90-112 ms under a
    steady lookup load, a few times a minute, stalling whatever request triggered it (max latency
    124-225 ms under wrk, ``bench/RESULTS.md``). Those objects live as long as the worker;
    ``gc.freeze()`` moves them to a permanent generation, and a full collection then takes 5-7 ms.
    """
    import gc

    from misp_feed.mapping import warm_up

    warm_up()
    gc.collect()
    gc.freeze()
