"""Routes mounted by threatcluster/urls.py (see there for the prefix)."""

urlpatterns: list = []
