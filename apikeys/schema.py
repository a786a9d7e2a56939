"""OpenAPI (drf-spectacular) descriptions of our authentication classes, so the schema states how
each endpoint authenticates. Loaded by ``ApikeysConfig.ready``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "API key (Business+), `tc_…`, with the scope the endpoint needs."}


class FeedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.FeedTokenAuthentication"
    name = ["feedToken", "feedTokenQuery"]

    def get_security_requirement(self, auto_schema):
        return [{"feedToken": []}, {"feedTokenQuery": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "Authorization",
             "description": "Feed token (Researcher+): `Authorization: Token tcf_…` (or Basic, token as password)."},
            {"type": "apiKey", "in": "query", "name": "token", "description": "Feed token as `?token=tcf_…`."},
        ]


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.QuietSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class BasicFeedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.BasicFeedTokenAuthentication"
    name = "feedTokenBasic"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "Feed token (Researcher+) as the password of HTTP Basic; any user name."}
