"""OpenAPI descriptions of our authentication schemes (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "API key (tc_…), Business tier and above; scopes iocs:read, threats:read, misp:read."}


class FeedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.FeedTokenAuthentication"
    name = "feedToken"
    priority = 1

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "query", "name": "token",
             "description": "Feed token (tcf_…), Researcher tier and above."},
            {"type": "apiKey", "in": "header", "name": "Authorization",
             "description": "`Token <feed token>`; HTTP Basic with the feed token as password also works."},
        ]


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.QuietSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
