"""``manage.py set_tier USER TIER [--create]``: give a user a tier (public, researcher, business, enterprise)."""

from django.core.management.base import BaseCommand, CommandError

from apikeys import services
from apikeys.tiers import Tier


class Command(BaseCommand):
    help = "Set a user's access tier. --create makes the user (without a usable password) if missing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="username")
        parser.add_argument("tier", help=f"one of: {', '.join(t.label.lower() for t in Tier)}")
        parser.add_argument("--create", action="store_true", help="create the user if it does not exist")

    def handle(self, *args, user: str, tier: str, create: bool, **options) -> None:
        try:
            level = services.parse_tier(tier)
            account = services.find_user(user, create=create)
        except services.CredentialError as exc:
            hint = " (use --create to make it)" if exc.field == "user" else ""
            raise CommandError(f"{exc}{hint}") from exc
        services.set_tier(account, level)
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS(f"{account}: tier {level.label}"))
