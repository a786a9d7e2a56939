"""Account pages and sign-in, included at the site root by threatcluster/urls.py."""

from django.urls import path

from . import pages

app_name = "account-pages"

urlpatterns = [
    path("login", pages.LoginView.as_view(), name="login"),
    path("logout", pages.LogoutView.as_view(), name="logout"),
    path("account/", pages.account, name="account"),
    path("account/feed-token", pages.reset_token, name="feed-token-reset"),
    path("account/keys", pages.create_key, name="key-create"),
    path("account/keys/<str:prefix>/revoke", pages.revoke_key, name="key-revoke"),
]
