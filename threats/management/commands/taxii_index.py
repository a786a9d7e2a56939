"""``manage.py taxii_index``: compute the STIX ids of IOCs that lack one (TAXII ``match[id]``).

The TAXII server does this itself on the first ``match[id]`` query; after a bulk load of a million
IOCs (``seed_demo``, an import) run it once so that no poller's request pays for it.
"""

from django.core.management.base import BaseCommand

from threats.taxii import ids


class Command(BaseCommand):
    help = "Index the STIX indicator id of every IOC that has none yet (TAXII match[id] and objects/{id}/)."

    def handle(self, *args, **opts) -> None:
        added = ids.sync()
        self.stdout.write(self.style.SUCCESS(f"Indexed {added} IOC(s)."))
