"""OpenAPI (drf-spectacular) descriptions of our authentication classes, so the schema states how
each endpoint authenticates. Loaded by ``ApikeysConfig.ready``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .tiers import Tier


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


class AccountSessionScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.views.AccountSessionAuthentication"
    name = "accountSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": "The site's session cookie only (sign in at /login); every POST also needs the "
                               "CSRF token (X-CSRFToken header or csrfmiddlewaretoken field)."}


#
# Per-operation truth: who may call it and which errors it answers
#
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string", "example": "invalid_parameter"},
                   "detail": {"type": "string"},
                   "errors": {"type": "object", "description": "400 only: the messages per parameter."},
                   "retry_after": {"type": "integer", "description": "429 only: seconds to wait."}},
    "required": ["error", "detail"],
}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed in the window."},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in the window."},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until the window resets."},
}


class TCAutoSchema(AutoSchema):
    """drf-spectacular's schema, told what ``TCAPIView`` declares (``required_tier``, ``required_scope``,
    ``api_key_only``, ``rate_group``): the security of each operation (anonymous allowed or not, API
    key only) and its 400/401/403/429 answers, so the documentation cannot claim more or less than
    ``TierPermission`` and ``TieredRateThrottle`` enforce."""

    def _access(self) -> tuple[Tier, str | None, bool] | None:
        if not hasattr(self.view, "required_tier"):
            return None
        return (Tier(self.view.required_tier), getattr(self.view, "required_scope", None),
                bool(getattr(self.view, "api_key_only", False)))

    def get_auth(self):
        auths = super().get_auth()
        access = self._access()
        if access is None:
            return auths
        tier, _scope, key_only = access
        if key_only:
            return [a for a in auths if "apiKey" in a]
        if tier == Tier.PUBLIC and not getattr(self.view, "requires_sign_in", False) and {} not in auths:
            auths.append({})
        return auths

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        access = self._access()
        if operation is None or access is None:
            return operation
        tier, scope, key_only = access
        who = ("an API key (`X-API-Key`)" if key_only else "a signed-in session" if self._session_only()
               else "anyone (credentials optional)" if tier == Tier.PUBLIC else "a feed token, session or API key")
        text = f"**Access**: {who}"
        if tier > Tier.PUBLIC:
            text += f", {tier.label} tier or above"
        if scope:
            text += f"; API keys need the scope `{scope}`"
        text += f". Rate-limit group `{getattr(self.view, 'rate_group', 'default')}` (per credential and tier)."
        operation["description"] = f"{operation.get('description', '')}\n\n{text}".strip()
        responses = operation.setdefault("responses", {})
        self._error(responses, 400, "A malformed parameter or an unsupported `format`; the body names it.")
        self._error(responses, 401, "Missing credentials where required, or a wrong, revoked or expired token or key"
                    + (" (an API key is required here)" if key_only else "") + ".")
        session_post = self._session_only() and self.method == "POST"
        if tier > Tier.PUBLIC or scope or key_only or session_post:
            self._error(responses, 403, "The account's tier is too low"
                        + (f", or the API key lacks `{scope}`" if scope else "")
                        + (", or the CSRF token is missing" if session_post else "") + ".")
        self._error(responses, 429, "Rate limit exceeded: wait `Retry-After` seconds.",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
                     **RATE_HEADERS})
        return operation

    def _session_only(self) -> bool:
        return all(type(a).__name__.endswith("SessionAuthentication") for a in self.view.get_authenticators())

    @staticmethod
    def _error(responses: dict, code: int, text: str, headers: dict | None = None) -> None:
        entry = responses.setdefault(str(code), {"description": text})
        entry.setdefault("content", {"application/json": {"schema": ERROR_SCHEMA}})
        if headers:
            entry.setdefault("headers", {}).update(headers)
