#!/usr/bin/env python
"""Django's command-line utility for ThreatCluster."""
import os
import secrets
import sys

# Commands that only compare models with migration files: they sign, hash and serve nothing, so they
# run without the deployment's SECRET_KEY (a throwaway random one, never a fixed key). Everything
# else still refuses to start without one outside DEBUG (threatcluster/settings.py).
SECRETLESS_COMMANDS = frozenset({"makemigrations"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
    if len(sys.argv) > 1 and sys.argv[1] in SECRETLESS_COMMANDS:
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
