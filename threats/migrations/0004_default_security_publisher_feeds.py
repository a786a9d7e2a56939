"""Well-known security publishers' feeds as Sources, disabled until staff enable them in the admin.

The list is inlined (a migration must not change when application code does). Re-running is a no-op
(get_or_create on the URL); unapplying removes only the rows still disabled and never polled.
"""

from django.db import migrations

PUBLISHERS = [
    ("The DFIR Report", "https://thedfirreport.com/feed/"),
    ("ESET WeLiveSecurity", "https://www.welivesecurity.com/en/rss/feed/"),
    ("Palo Alto Networks Unit 42", "https://unit42.paloaltonetworks.com/feed/"),
    ("Cisco Talos Intelligence", "https://blog.talosintelligence.com/rss/"),
    ("Microsoft Threat Intelligence", "https://www.microsoft.com/en-us/security/blog/topic/threat-intelligence/feed/"),
    ("Kaspersky Securelist", "https://securelist.com/feed/"),
    ("Google Threat Intelligence (Mandiant)", "https://cloud.google.com/blog/topics/threat-intelligence/rss/"),
    ("SentinelLabs", "https://www.sentinelone.com/labs/feed/"),
    ("Check Point Research", "https://research.checkpoint.com/feed/"),
    ("Proofpoint Threat Insight", "https://www.proofpoint.com/us/threat-insight-blog.xml"),
    ("CISA Cybersecurity Advisories", "https://www.cisa.gov/cybersecurity-advisories/all.xml"),
    ("SANS Internet Storm Center", "https://isc.sans.edu/rssfeed_full.xml"),
    ("Elastic Security Labs", "https://www.elastic.co/security-labs/rss/feed.xml"),
    ("Sekoia.io Blog", "https://blog.sekoia.io/feed/"),
    ("Avast Decoded", "https://decoded.avast.io/feed/"),
    ("BleepingComputer", "https://www.bleepingcomputer.com/feed/"),
    ("The Hacker News", "https://feeds.feedburner.com/TheHackersNews"),
    ("Krebs on Security", "https://krebsonsecurity.com/feed/"),
]


def add_publishers(apps, schema_editor):
    Source = apps.get_model("threats", "Source")
    for name, url in PUBLISHERS:
        # TLP 0 (CLEAR): what a public blog publishes is public.
        Source.objects.get_or_create(url=url, defaults={
            "name": name, "kind": "rss", "enabled": False, "tlp": 0, "poll_interval_minutes": 60})


def remove_publishers(apps, schema_editor):
    Source = apps.get_model("threats", "Source")
    Source.objects.filter(url__in=[u for _, u in PUBLISHERS], enabled=False, last_polled_at=None).delete()


class Migration(migrations.Migration):
    dependencies = [("threats", "0003_merge_publisher_index_entity_timestamps")]

    operations = [migrations.RunPython(add_publishers, remove_publishers)]
