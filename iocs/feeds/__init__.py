"""Package: bulk IOC feeds (scope 1): one query, one renderer per format."""
