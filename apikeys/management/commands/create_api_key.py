"""``manage.py create_api_key USER --scopes iocs:read,threats:read [--expires 90d] ...``: print a new API key once."""

from django.core.management.base import BaseCommand, CommandError

from apikeys import services
from apikeys.models import Scope
from apikeys.tlp import TLP


class Command(BaseCommand):
    help = ("Create an API key for USER (Business tier or above) and print it: it is stored hashed and "
            "cannot be shown again.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="username")
        parser.add_argument("--scopes", required=True, nargs="+",
                            help=f"one or more of {', '.join(Scope.values)} (space or comma separated)")
        parser.add_argument("--expires", default="",
                            help="30d, 12h, 2026-12-31 or 2026-12-31T23:59:59Z; default: never")
        parser.add_argument("--name", default="", help="what the key is for, e.g. 'SIEM prod'")
        parser.add_argument("--tlp-ceiling", default="",
                            help=f"most restrictive TLP the key may read: {', '.join(t.slug for t in TLP)}")
        parser.add_argument("--networks", nargs="*", default=[],
                            help="client networks (CIDR) the key may be used from; default: any")

    def handle(self, *args, user: str, scopes: list[str], expires: str, name: str, tlp_ceiling: str,
               networks: list[str], **options) -> None:
        try:
            account = services.find_user(user)
            key, plaintext = services.create_api_key(
                account, scopes=services.parse_scopes(" ".join(scopes)), name=name,
                expires_at=services.parse_expiry(expires), tlp_ceiling=services.parse_tlp(tlp_ceiling),
                allowed_networks=services.parse_networks(" ".join(networks)),
            )
        except services.CredentialError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 1:
            self.stderr.write(f"key {key.prefix}… for {account}: scopes {', '.join(key.scopes)}, "
                              f"expires {key.expires_at or 'never'}")
        self.stdout.write(plaintext)
