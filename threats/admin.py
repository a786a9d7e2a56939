"""Admin for sources, articles, threats and their entities."""

from django.contrib import admin

from .models import Article, AttackPattern, Malware, Sighting, Source, Threat, ThreatActor, Vulnerability


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "tlp", "last_polled_at", "error_count", "last_error")
    list_filter = ("enabled", "kind")
    search_fields = ("name", "url")


@admin.register(Threat)
class ThreatAdmin(admin.ModelAdmin):
    list_display = ("public_id", "title", "threat_score", "tlp", "first_seen", "last_seen")
    list_filter = ("tlp",)
    search_fields = ("=public_id", "title")
    readonly_fields = ("public_id", "uuid", "created_at", "updated_at")
    filter_horizontal = ("actors", "malware", "attack_patterns", "vulnerabilities")
    show_full_result_count = False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "publisher", "published_at", "threat")
    list_select_related = ("threat",)
    search_fields = ("title", "url")
    raw_id_fields = ("threat", "source")
    show_full_result_count = False


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ("ioc", "threat", "article", "seen_at")
    list_select_related = ("ioc", "threat", "article")
    raw_id_fields = ("ioc", "article", "threat")
    show_full_result_count = False


for model, fields in ((ThreatActor, ("name",)), (Malware, ("name", "kind")), (AttackPattern, ("technique_id", "name")),
                      (Vulnerability, ("cve_id",))):
    admin.site.register(model, list_display=fields, search_fields=(fields[0],))
