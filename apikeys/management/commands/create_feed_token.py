"""``manage.py create_feed_token USER``: issue (or replace) a user's feed token and print it."""

from django.core.management.base import BaseCommand, CommandError

from apikeys import services
from apikeys.clearance import tier_of
from apikeys.tiers import Tier


class Command(BaseCommand):
    help = ("Issue USER a new feed token and print it (the only time it is shown). "
            "An existing token stops working at once.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="username")

    def handle(self, *args, user: str, **options) -> None:
        try:
            account = services.find_user(user)
            _token, plaintext = services.reset_feed_token(account)
        except services.CredentialError as exc:
            raise CommandError(str(exc)) from exc
        if tier_of(account) < Tier.RESEARCHER:
            self.stderr.write(self.style.WARNING(
                f"warning: {account} is {tier_of(account).label}; the token opens Researcher feeds only "
                f"once the tier is set (manage.py set_tier {account} researcher)."))
        # The token alone on stdout, so scripts can capture it.
        self.stdout.write(plaintext)
