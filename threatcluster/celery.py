"""The Celery application.

Configuration comes from Django settings (``CELERY_*``). Without ``REDIS_URL`` tasks run eagerly
in-process, so a development machine needs no broker; with it, Redis is broker and result backend.
Worker knobs follow GreedyBear: late acks and prefetch 1 so a crashed worker loses no task, JSON
only, recycled children to cap memory.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")

app = Celery("threatcluster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
