"""The access matrix for the admin: staff only, whatever credential anyone else brings.

Django's admin answers everyone but signed-in staff with a redirect to its login page (302), API
keys and feed tokens included: they never open a session.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from apikeys.models import APIKey, FeedToken
from iocs.models import IOC
from tests.access import CALLERS, assert_matrix, make_callers
from threats.models import Article, Sighting, Threat

pytestmark = pytest.mark.django_db

STAFF_ONLY = {**dict.fromkeys(CALLERS, 302), "staff": 200}


@pytest.fixture
def callers(db):
    callers = make_callers()
    staff = callers["staff"].user  # a reviewer: staff with the model permissions, not a superuser
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["iocs", "threats", "apikeys",
                                                                                        "auth"]))
    return callers


@pytest.fixture
def rows(callers):
    threat = Threat.objects.create(title="T")
    articles = [Article.objects.create(url=f"https://x.example.org/{n}", threat=threat) for n in range(2)]
    ioc = IOC.objects.create(type="domain", value="m.example.com")
    Sighting.objects.create(ioc=ioc, article=articles[0], threat=threat)
    return {"threat": threat, "article": articles[1], "ioc": ioc, "key": APIKey.objects.first(),
            "token": FeedToken.objects.first(), "user": callers["researcher_session"].user}


def admin_routes(rows) -> list[str]:
    return [
        "/admin/",
        "/admin/iocs/ioc/", "/admin/iocs/ioc/?status__exact=pending&publisher=x.example.org",
        f"/admin/iocs/ioc/{rows['ioc'].pk}/change/",
        "/admin/threats/threat/", f"/admin/threats/threat/{rows['threat'].pk}/change/",
        f"/admin/threats/threat/{rows['threat'].pk}/split/{rows['article'].pk}/",
        "/admin/threats/article/", "/admin/threats/sighting/", "/admin/threats/source/",
        "/admin/threats/threatactor/", "/admin/threats/malware/", "/admin/threats/attackpattern/",
        "/admin/threats/vulnerability/", "/admin/threats/threatwithdrawal/",
        "/admin/apikeys/apikey/", "/admin/apikeys/apikey/add/", f"/admin/apikeys/apikey/{rows['key'].pk}/change/",
        "/admin/apikeys/feedtoken/", f"/admin/apikeys/feedtoken/{rows['token'].pk}/change/",
        "/admin/apikeys/profile/",
        "/admin/auth/user/", f"/admin/auth/user/{rows['user'].pk}/change/",
    ]


def test_admin_routes_are_staff_only(callers, rows):
    client = Client()
    for url in admin_routes(rows):
        assert_matrix(client, callers, url, STAFF_ONLY)


def test_actions_need_the_change_permission(callers, rows):
    client = Client()
    viewer = callers["staff"].user
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_ioc", "view_threat", "view_apikey"]))
    client.force_login(viewer)
    for url, action in (("/admin/iocs/ioc/", "confirm_high"), ("/admin/threats/threat/", "merge_threats"),
                        ("/admin/apikeys/apikey/", "revoke")):
        response = client.get(url)
        assert response.status_code == 200
        choices = [name for name, _label in response.context["action_form"].fields["action"].choices] \
            if response.context.get("action_form") else []
        assert action not in choices, (url, choices)
        client.post(url, {"action": action, "_selected_action": ["1"], "index": 0})
    assert not IOC.objects.exclude(status="pending").exists() and not APIKey.objects.filter(
        name="all scopes", revoked_at__isnull=False).exists()
