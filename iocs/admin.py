"""The classifier review queue: IOCs filtered, searched and given verdicts by staff.

Built for a million rows: no full counts (``LargeTableAdmin``), no facets, the list's only foreign
key selected in the same query, newest first on the primary key and sorting only on indexed
columns; filters are cheap against that order (the publisher one is an EXISTS on indexed joins).
Bulk actions write with ``update()`` through ``iocs.review`` (which records reviewer and time) and
refuse selections larger than ``MAX_BULK`` rows: re-verdicts of that size are the classifier's job.

The admin is a staff *view* of IOCs, so it may read ``threats.models`` (sightings, articles) like
the API layer does; the IOC core itself knows no threats.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from threats.models import Article, Sighting

from . import review
from .admin_paging import LargeTableAdmin, bounded_count
from .models import IOC, Confidence, Status
from .normalize import infer_type
from .stats import invalidate_pending_count

MAX_BULK = 10_000
SIGHTINGS_SHOWN = 100
PUBLISHERS_LISTED = 200


#
# Filters
#
class PublisherFilter(admin.SimpleListFilter):
    """IOCs cited by an article of this publisher (an EXISTS over sightings, no duplicates, no join fan-out)."""

    title = "source (publisher)"
    parameter_name = "publisher"

    def lookups(self, request, model_admin):
        publishers = (Article.objects.exclude(publisher="").order_by("publisher")
                      .values_list("publisher", flat=True).distinct()[:PUBLISHERS_LISTED])
        return [(p, p) for p in publishers]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        cited = Sighting.objects.filter(ioc_id=OuterRef("pk"), article__publisher=self.value())
        return queryset.filter(Exists(cited))


class AgeFilter(admin.SimpleListFilter):
    """How long ago the IOC was first seen."""

    title = "age (first seen)"
    parameter_name = "age"
    WINDOWS = {"1d": ("last 24 hours", 1), "7d": ("last 7 days", 7), "30d": ("last 30 days", 30),
               "90d": ("last 90 days", 90)}

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _days) in self.WINDOWS.items()] + [("old", "more than 90 days ago")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in self.WINDOWS:
            return queryset.filter(first_seen__gte=now - timedelta(days=self.WINDOWS[self.value()][1]))
        if self.value() == "old":
            return queryset.filter(first_seen__lt=now - timedelta(days=90))
        return queryset


class ReviewedFilter(admin.SimpleListFilter):
    title = "reviewed by staff"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(reviewed_at__isnull=self.value() == "no")
        return queryset


#
# Forms
#
class FalsePositiveForm(forms.Form):
    reason = forms.CharField(max_length=review.REASON_MAX, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why these are not malicious (e.g. 'Google DNS resolver', 'vendor sinkhole').")


class IOCChangeForm(forms.ModelForm):
    class Meta:
        model = IOC
        fields = ("status", "confidence", "reason")
        widgets = {"reason": forms.TextInput(attrs={"size": 100})}

    def clean(self):
        data = super().clean()
        if data.get("status") == Status.CONFIRMED and not data.get("confidence"):
            self.add_error("confidence", "A confirmed IOC needs a confidence.")
        elif data.get("status") != Status.CONFIRMED:
            data["confidence"] = ""
        return data


#
# The review queue
#
@admin.register(IOC)
class IOCAdmin(LargeTableAdmin):
    form = IOCChangeForm
    list_display = ("short_value", "type", "status", "confidence", "tlp", "source_count", "first_seen",
                    "last_seen", "reviewed_by", "reviewed_at")
    list_display_links = ("short_value",)
    list_filter = ("status", "confidence", "type", "tlp", PublisherFilter, AgeFilter, ReviewedFilter)
    list_select_related = ("reviewed_by",)
    search_fields = ("=value",)
    search_help_text = "Exact value; defanged forms (hxxp, [.]) and upper-case hashes are normalised first."
    # Newest first on the primary key: the only order every filter combination can take from an index
    # (an unindexed sort of a million rows costs a second); the value sorts on its own index.
    sortable_by = ("short_value",)
    ordering = ("-id",)
    list_per_page = 100
    fields = ("type", "value", "status", "confidence", "reason", "tlp", "source_count", "first_seen", "last_seen",
              "classifier_version", "classified_at", "reviewed_by", "reviewed_at", "evidence", "sightings_table")
    readonly_fields = ("type", "value", "tlp", "source_count", "first_seen", "last_seen", "classifier_version",
                       "classified_at", "reviewed_by", "reviewed_at", "evidence", "sightings_table")
    actions = ["confirm_high", "confirm_medium", "confirm_low", "mark_false_positive", "send_back_to_pending"]

    @admin.display(description="value", ordering="value")
    def short_value(self, obj: IOC) -> str:
        return obj.value if len(obj.value) <= 100 else obj.value[:99] + "…"

    @admin.display(description="sightings")
    def sightings_table(self, obj: IOC):
        rows = list(obj.sightings.select_related("article", "threat").order_by("-seen_at")[:SIGHTINGS_SHOWN])
        if not rows:
            return "none"
        body = format_html_join(
            "", "<tr><td>{}</td><td><a href='{}'>{}</a> {}</td><td><a href='{}'>{}</a><br>{}</td><td>{}</td></tr>",
            ((s.seen_at.strftime("%Y-%m-%d %H:%M"),
              reverse("admin:threats_threat_change", args=[s.threat_id]), s.threat.public_id, s.threat.title,
              reverse("admin:threats_article_change", args=[s.article_id]), s.article.publisher or "article",
              s.article.title or s.article.url, s.context) for s in rows),
        )
        more = bounded_count(obj.sightings.all(), 10 * SIGHTINGS_SHOWN) if len(rows) == SIGHTINGS_SHOWN else None
        note = format_html("<p>Showing the {} most recent of {} sightings.</p>", SIGHTINGS_SHOWN, more) if more else ""
        return format_html("<table><thead><tr><th>seen</th><th>threat</th><th>article</th><th>context</th></tr>"
                           "</thead><tbody>{}</tbody></table>{}", body, note)

    def get_search_results(self, request, queryset, search_term):
        """Exact match on the value as typed and as normalised (``hxxp://evil[.]com`` finds ``http://evil.com/``)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        candidates = {term}
        inferred = infer_type(term)
        if inferred is not None:
            candidates.add(inferred[1])
        return queryset.filter(value__in=candidates), False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # verdicts, not deletions: a deleted IOC comes back at the next ingest
        return actions

    def has_add_permission(self, request) -> bool:
        return False  # IOCs come from extraction and imports, with their sightings

    def save_model(self, request, obj: IOC, form, change: bool) -> None:
        if change and form.changed_data:
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
        invalidate_pending_count()

    #
    # Bulk actions
    #
    def _selected_ids(self, request, queryset) -> list[int] | None:
        ids = list(queryset.order_by().values_list("pk", flat=True)[: MAX_BULK + 1])
        if len(ids) > MAX_BULK:
            self.message_user(request, f"More than {MAX_BULK:,} IOCs selected: narrow the filters first. "
                                       "Nothing was changed.", messages.ERROR)
            return None
        return ids

    def _log(self, request, ids: list[int], message: str) -> None:
        from django.contrib.admin.models import CHANGE, LogEntry

        LogEntry.objects.log_actions(request.user.pk, IOC.objects.filter(pk__in=ids).only("pk", "type", "value"),
                                     CHANGE, message)

    def _confirm(self, request, queryset, confidence: str) -> None:
        ids = self._selected_ids(request, queryset)
        if ids is None:
            return
        changed = review.confirm(ids, confidence, reviewer=request.user)
        self._log(request, ids, f"Confirmed ({confidence} confidence).")
        self.message_user(request, f"{changed} IOC(s) confirmed with {confidence} confidence.", messages.SUCCESS)

    @admin.action(description="Confirm as malicious: high confidence", permissions=["change"])
    def confirm_high(self, request, queryset):
        self._confirm(request, queryset, Confidence.HIGH)

    @admin.action(description="Confirm as malicious: medium confidence", permissions=["change"])
    def confirm_medium(self, request, queryset):
        self._confirm(request, queryset, Confidence.MEDIUM)

    @admin.action(description="Confirm as malicious: low confidence", permissions=["change"])
    def confirm_low(self, request, queryset):
        self._confirm(request, queryset, Confidence.LOW)

    @admin.action(description="Mark as false positive (asks for a reason)", permissions=["change"])
    def mark_false_positive(self, request, queryset):
        form = FalsePositiveForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ids = self._selected_ids(request, queryset)
            if ids is None:
                return None
            changed = review.mark_false_positive(ids, form.cleaned_data["reason"], reviewer=request.user)
            self._log(request, ids, f"Marked false positive: {form.cleaned_data['reason']}")
            self.message_user(request, f"{changed} IOC(s) marked false positive.", messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/iocs/ioc/false_positive.html", {
            **self.admin_site.each_context(request),
            "title": "Mark as false positive",
            "opts": self.model._meta,
            "form": form,
            "preview": list(queryset.order_by()[:20]),
            "count": bounded_count(queryset, MAX_BULK),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "mark_false_positive",
        })

    @admin.action(description="Send back to pending (clears the review)", permissions=["change"])
    def send_back_to_pending(self, request, queryset):
        ids = self._selected_ids(request, queryset)
        if ids is None:
            return
        changed = review.send_back_to_pending(ids)
        self._log(request, ids, "Sent back to pending.")
        self.message_user(request, f"{changed} IOC(s) sent back to pending.", messages.SUCCESS)
