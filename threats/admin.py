"""Admin for sources, articles, threats and their entities, with the staff's cluster edits.

Staff edit a threat's title, summary and TLP (a TLP change recomputes its IOCs' visibility), merge
threats (action) and split an article out of a threat (link on the threat's page). The logic lives
in ``threats.services``; these classes only collect the choices.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apikeys.tlp import TLP
from iocs.admin_paging import LargeTableAdmin, bounded_count

from . import services
from .models import (
    Article,
    AttackPattern,
    Malware,
    Sighting,
    Source,
    Threat,
    ThreatActor,
    ThreatWithdrawal,
    Vulnerability,
)

MAX_MERGE = 20
ARTICLES_SHOWN = 200


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "tlp", "last_polled_at", "error_count", "last_error")
    list_filter = ("enabled", "kind")
    search_fields = ("name", "url")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(queryset=Threat.objects.none(), widget=forms.RadioSelect,
                                      help_text="Keeps its id, title and summary; the others are deleted.")
    tlp = forms.TypedChoiceField(choices=TLP.choices, coerce=int,
                                 help_text="Defaults to the most restrictive TLP of the merged threats.")

    def __init__(self, *args, threats, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = threats


class SplitForm(forms.Form):
    title = forms.CharField(max_length=500)
    tlp = forms.TypedChoiceField(choices=TLP.choices, coerce=int)


@admin.register(Threat)
class ThreatAdmin(LargeTableAdmin):
    list_display = ("public_id", "title", "threat_score", "tlp", "first_seen", "last_seen", "updated_at")
    list_filter = ("tlp",)
    search_fields = ("=public_id", "title")
    fields = ("public_id", "uuid", "title", "summary", "tlp", "threat_score", "first_seen", "last_seen",
              "actors", "malware", "attack_patterns", "vulnerabilities", "created_at", "updated_at", "articles_table")
    readonly_fields = ("public_id", "uuid", "threat_score", "first_seen", "last_seen", "created_at", "updated_at",
                       "articles_table")
    autocomplete_fields = ("actors", "malware", "attack_patterns", "vulnerabilities")
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 100})}}
    ordering = ("-last_seen", "-id")
    actions = ["merge_threats"]

    def get_urls(self):
        split = path("<int:threat_id>/split/<int:article_id>/", self.admin_site.admin_view(self.split_view),
                     name="threats_threat_split")
        return [split, *super().get_urls()]

    @admin.display(description="articles")
    def articles_table(self, obj: Threat):
        if obj.pk is None:
            return "-"
        articles = list(obj.articles.order_by("-published_at", "-id")[:ARTICLES_SHOWN])
        if not articles:
            return "none"
        can_split = len(articles) > 1
        rows = format_html_join("", "<tr><td>{}</td><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td></tr>", (
            (a.published_at.strftime("%Y-%m-%d") if a.published_at else "", reverse(
                "admin:threats_article_change", args=[a.pk]), a.title or a.url, a.publisher,
             format_html("<a href='{}'>split into a new threat…</a>", reverse(
                 "admin:threats_threat_split", args=[obj.pk, a.pk])) if can_split else "")
            for a in articles))
        iocs = bounded_count(Sighting.objects.filter(threat=obj).values("ioc_id").distinct(), 100_000)
        return format_html("<p>{} IOC(s) cited.</p><table><thead><tr><th>published</th><th>article</th>"
                           "<th>publisher</th><th></th></tr></thead><tbody>{}</tbody></table>", iocs, rows)

    def save_model(self, request, obj: Threat, form, change: bool) -> None:
        tlp_changed = change and "tlp" in form.changed_data
        if change and form.changed_data:
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        if tlp_changed:
            changed = services.set_threat_tlp(obj, obj.tlp)
            self.message_user(request, f"TLP changed: visibility of {changed} IOC(s) recomputed.", messages.INFO)

    def delete_model(self, request, obj: Threat) -> None:
        self.delete_queryset(request, Threat.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        """Deleting threats deletes their sightings: the IOCs they cited get their visibility recomputed."""
        ioc_ids = services.threat_ioc_ids(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        services.recompute_ioc_visibility(ioc_ids)

    @admin.action(description="Merge the selected threats into one…", permissions=["change", "delete"])
    def merge_threats(self, request, queryset):
        threats = list(queryset.order_by("-last_seen", "-id")[: MAX_MERGE + 1])
        if not 2 <= len(threats) <= MAX_MERGE:
            self.message_user(request, f"Select between 2 and {MAX_MERGE} threats to merge.", messages.ERROR)
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None,
                         threats=Threat.objects.filter(pk__in=[t.pk for t in threats]).order_by("-last_seen", "-id"),
                         initial={"survivor": threats[0].pk, "tlp": max(t.tlp for t in threats)})
        if form.is_valid():
            survivor = form.cleaned_data["survivor"]
            others = [t for t in threats if t.pk != survivor.pk]
            services.merge_threats(survivor, others, tlp=form.cleaned_data["tlp"])
            self.log_change(request, survivor, f"Merged {', '.join(t.public_id for t in others)} into this threat.")
            self.message_user(request, f"Merged {len(others)} threat(s) into {survivor.public_id}.", messages.SUCCESS)
            return redirect("admin:threats_threat_change", survivor.pk)
        return TemplateResponse(request, "admin/threats/threat/merge.html", {
            **self.admin_site.each_context(request), "title": "Merge threats", "opts": self.model._meta,
            "form": form, "threats": threats, "action": "merge_threats",
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        })

    def split_view(self, request, threat_id: int, article_id: int):
        threat = get_object_or_404(Threat, pk=threat_id)
        if not self.has_change_permission(request, threat):
            raise PermissionDenied
        article = get_object_or_404(Article, pk=article_id, threat=threat)
        form = SplitForm(request.POST if request.method == "POST" else None,
                         initial={"title": article.title or threat.title, "tlp": threat.tlp})
        if request.method == "POST" and form.is_valid():
            try:
                new = services.split_article(article, title=form.cleaned_data["title"], tlp=form.cleaned_data["tlp"])
            except services.ThreatEditError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return redirect("admin:threats_threat_change", threat.pk)
            self.log_change(request, threat, f"Split article {article.pk} out into threat {new.public_id}.")
            self.log_addition(request, new, f"Split from threat {threat.public_id}.")
            self.message_user(request, f"Article split out into the new threat {new.public_id}.", messages.SUCCESS)
            return redirect("admin:threats_threat_change", new.pk)
        return TemplateResponse(request, "admin/threats/threat/split.html", {
            **self.admin_site.each_context(request), "title": "Split an article into a new threat",
            "opts": self.model._meta, "form": form, "threat": threat, "article": article,
            "sightings": bounded_count(article.sightings.all(), 100_000),
        })


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin):
    list_display = ("title", "publisher", "published_at", "threat")
    list_filter = ("publisher",)
    list_select_related = ("threat",)
    search_fields = ("title", "=url")
    raw_id_fields = ("source",)
    readonly_fields = ("threat", "content_hash", "fetched_at")
    ordering = ("-id",)  # newest first from the primary key: no sort of the whole table
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        # An article changes threat only through a split or a merge, which move its sightings too.
        return self.readonly_fields if obj is not None else ("content_hash", "fetched_at")


@admin.register(Sighting)
class SightingAdmin(LargeTableAdmin):
    """Read-only: sightings move with merges and splits, never one by one."""

    list_display = ("ioc", "threat", "article", "seen_at")
    list_select_related = ("ioc", "threat", "article")
    raw_id_fields = ("ioc", "article", "threat")
    ordering = ("-id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ThreatWithdrawal)
class ThreatWithdrawalAdmin(admin.ModelAdmin):
    """Read-only: the log of threats deleted or merged away (TAXII revokes their Reports, their ids
    answer 410); written when a threat is deleted, never by hand."""

    list_display = ("public_id", "title", "cause", "merged_into_link", "tlp", "at")
    list_filter = ("cause",)
    search_fields = ("=public_id", "title")
    ordering = ("-at", "-id")

    @admin.display(description="merged into")
    def merged_into_link(self, obj: ThreatWithdrawal) -> str:
        survivor = Threat.objects.filter(uuid=obj.merged_into).first() if obj.merged_into else None
        if survivor is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:threats_threat_change", args=[survivor.pk]),
                           survivor.public_id)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


for model, fields in ((ThreatActor, ("name",)), (Malware, ("name", "kind")), (AttackPattern, ("technique_id", "name")),
                      (Vulnerability, ("cve_id",))):
    admin.site.register(model, list_display=fields, search_fields=(fields[0],))
