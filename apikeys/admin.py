"""Admin for tiers and credentials: a user's tier inline, API keys created with the secret shown once,
revoked, narrowed (scopes, expiry, TLP ceiling, networks); feed tokens reset; last use visible.

Secrets appear only in the response to the request that made them (a page served ``no-store``),
never in a message (messages may be stored in a cookie) nor in a log entry.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from . import services
from .models import APIKey, FeedToken, Profile, Scope

User = get_user_model()


def secret_page(model_admin, request, title: str, secrets: list[tuple[str, str, str]], back: str):
    """The one-time page that shows new secrets: (owner, label, plaintext) rows, never cached."""
    response = TemplateResponse(request, "admin/apikeys/secret_once.html", {
        **model_admin.admin_site.each_context(request), "title": title, "opts": model_admin.model._meta,
        "secrets": secrets, "back": back,
    })
    add_never_cache_headers(response)
    return response


def reset_tokens_page(model_admin, request, users) -> TemplateResponse:
    shown = []
    for user in users:
        try:
            token, plaintext = services.reset_feed_token(user)
        except services.CredentialError as exc:
            model_admin.message_user(request, str(exc), messages.WARNING)
            continue
        shown.append((str(user), f"feed token {token.prefix}…", plaintext))
    return secret_page(model_admin, request, "New feed tokens", shown,
                       reverse(f"admin:{model_admin.model._meta.app_label}_{model_admin.model._meta.model_name}"
                               "_changelist"))


#
# Users: tier inline, credentials at a glance
#
class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("tier", "updated_at")
    readonly_fields = ("updated_at",)
    verbose_name_plural = "tier"


class FeedTokenInline(admin.TabularInline):
    model = FeedToken
    fields = ("prefix", "created_at", "last_used_at")
    readonly_fields = fields
    can_delete = True
    extra = 0
    max_num = 0
    verbose_name_plural = "feed token (reset it with the 'Reset feed token' action)"


class APIKeyInline(admin.TabularInline):
    model = APIKey
    fields = ("key_link", "name", "scopes", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    ordering = ("-created_at",)

    @admin.display(description="key")
    def key_link(self, obj: APIKey):
        return format_html("<a href='{}'>{}…</a>", reverse("admin:apikeys_apikey_change", args=[obj.pk]), obj.prefix)


admin.site.unregister(User)


@admin.register(User)
class TCUserAdmin(UserAdmin):
    inlines = [ProfileInline, FeedTokenInline, APIKeyInline]
    list_display = ("username", "email", "tier", "is_staff", "is_active", "last_login")
    list_select_related = ("profile",)
    list_filter = ("profile__tier", "is_staff", "is_superuser", "is_active")
    actions = ["reset_feed_token"]

    @admin.display(description="tier", ordering="profile__tier")
    def tier(self, obj) -> str:
        profile = getattr(obj, "profile", None)
        return profile.get_tier_display() if profile else "-"

    @admin.action(description="Reset feed token (shows the new tokens once)", permissions=["change"])
    def reset_feed_token(self, request, queryset):
        return reset_tokens_page(self, request, queryset.filter(is_active=True))


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "tier", "updated_at")
    list_editable = ("tier",)
    list_filter = ("tier",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


#
# API keys
#
class APIKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    allowed_networks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text="Client networks in CIDR notation, one per line or comma separated; empty: any.")

    class Meta:
        model = APIKey
        fields = ("user", "name", "scopes", "expires_at", "tlp_ceiling", "allowed_networks")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_networks"] = "\n".join(self.instance.allowed_networks)

    def clean_allowed_networks(self) -> list[str]:
        try:
            return services.parse_networks(self.cleaned_data.get("allowed_networks") or "")
        except services.CredentialError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        expires = data.get("expires_at")
        if expires is not None and not self.instance.pk and expires <= timezone.now():
            self.add_error("expires_at", "A new key must expire in the future.")
        user = data.get("user")
        if user is not None and not self.instance.pk:
            try:
                services.check_key_owner(user)
            except services.CredentialError as exc:
                self.add_error("user", str(exc))
        return data


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    form = APIKeyForm
    list_display = ("prefix", "name", "user", "scopes", "state", "expires_at", "last_used_at", "created_at")
    list_filter = ("revoked_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("=prefix", "name", "user__username")
    raw_id_fields = ("user",)
    ordering = ("-created_at",)
    actions = ["revoke"]
    readonly_fields = ("prefix", "user", "state", "created_at", "revoked_at", "last_used_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "scopes", "expires_at", "tlp_ceiling", "allowed_networks")
        return ("prefix", "user", "state", "name", "scopes", "expires_at", "tlp_ceiling", "allowed_networks",
                "created_at", "revoked_at", "last_used_at")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    @admin.display(description="state")
    def state(self, obj: APIKey) -> str:
        return "revoked" if obj.is_revoked else "expired" if obj.is_expired else "active"

    def save_model(self, request, obj: APIKey, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        key, plaintext = services.create_api_key(
            data["user"], scopes=data["scopes"], name=data.get("name", ""), expires_at=data.get("expires_at"),
            tlp_ceiling=data.get("tlp_ceiling"), allowed_networks=data.get("allowed_networks"))
        obj.pk, obj.prefix, obj.digest, obj.created_at = key.pk, key.prefix, key.digest, key.created_at
        obj.scopes, obj.allowed_networks = key.scopes, key.allowed_networks
        obj._state.adding = False
        request._tc_new_key = plaintext  # shown by response_add, then gone

    def response_add(self, request, obj: APIKey, post_url_continue=None):
        plaintext = getattr(request, "_tc_new_key", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        return secret_page(self, request, "New API key", [(str(obj.user), f"API key {obj.prefix}… {obj.name}",
                                                           plaintext)],
                           reverse("admin:apikeys_apikey_change", args=[obj.pk]))

    @admin.action(description="Revoke the selected keys (takes effect at once)", permissions=["change"])
    def revoke(self, request, queryset):
        changed = services.revoke_api_keys(queryset)
        self.message_user(request, f"{changed} key(s) revoked.", messages.SUCCESS)


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("=prefix", "user__username")
    fields = ("prefix", "user", "created_at", "last_used_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    actions = ["reset"]

    def has_add_permission(self, request) -> bool:
        return False  # issued with the users' 'Reset feed token' action or `manage.py create_feed_token`

    @admin.action(description="Reset the selected tokens (shows the new tokens once)", permissions=["change"])
    def reset(self, request, queryset):
        return reset_tokens_page(self, request, [t.user for t in queryset.select_related("user")
                                                 if t.user.is_active])
