"""One renderer per format; the tuples below are what each endpoint negotiates among (first = default)."""

from .base import FeedMeta, FeedRenderer
from .csv import CsvRenderer
from .hosts import HostsRenderer
from .json import JsonRenderer
from .rpz import RpzRenderer
from .stix import StixRenderer
from .suricata import SuricataRenderer
from .txt import RemovedTxtRenderer, TxtRenderer

FEED_RENDERERS = (TxtRenderer, CsvRenderer, JsonRenderer, StixRenderer, HostsRenderer, RpzRenderer, SuricataRenderer)
EXPORT_RENDERERS = (TxtRenderer, CsvRenderer, JsonRenderer)

__all__ = [
    "EXPORT_RENDERERS",
    "FEED_RENDERERS",
    "CsvRenderer",
    "FeedMeta",
    "FeedRenderer",
    "HostsRenderer",
    "JsonRenderer",
    "RemovedTxtRenderer",
    "RpzRenderer",
    "StixRenderer",
    "SuricataRenderer",
    "TxtRenderer",
]
