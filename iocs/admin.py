"""Admin for IOCs: the classifier review queue (actions and filters grow in the access-control work)."""

from django.contrib import admin

from .models import IOC


@admin.register(IOC)
class IOCAdmin(admin.ModelAdmin):
    list_display = ("value", "type", "status", "confidence", "tlp", "source_count", "last_seen", "reviewed_at")
    list_filter = ("status", "confidence", "type", "tlp")
    search_fields = ("=value",)
    readonly_fields = ("created_at", "updated_at", "classified_at", "classifier_version")
    raw_id_fields = ("reviewed_by",)
    show_full_result_count = False
    ordering = ("-last_seen",)
    date_hierarchy = None
