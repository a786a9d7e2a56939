"""The pieces of ``bench/run.py``: the server under test, HTTP timing, COPY baselines, load, the report."""
