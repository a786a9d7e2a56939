"""Owner self-service routes, mounted at ``api/account/`` (see ``apikeys.views``)."""

from django.urls import path

from . import views

app_name = "account"

urlpatterns = [
    path("", views.AccountOverview.as_view(), name="overview"),
    path("feed-token", views.FeedTokenView.as_view(), name="feed-token"),
    path("feed-token/reset", views.FeedTokenReset.as_view(), name="feed-token-reset"),
    path("keys", views.KeyList.as_view(), name="keys"),
    path("keys/<str:prefix>/revoke", views.KeyRevoke.as_view(), name="key-revoke"),
]
