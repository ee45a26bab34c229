from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.models import ApiToken
from annotations.permissions import make_curator


class Command(BaseCommand):
    help = "Make a user a curator (creating the user if --create is given)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the user (asks nothing; set a password with `manage.py changepassword`)",
        )
        parser.add_argument(
            "--token",
            action="store_true",
            help="also print a new API token (shown only this once: only its digest is kept)",
        )

    def handle(self, username, create=False, token=False, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"No user {username!r} (add --create to create it).")
            user = User.objects.create_user(username)
        make_curator(user)
        self.stdout.write(f"{username} is a curator.")
        if token:
            _token, key = ApiToken.issue(user, name="cli")
            self.stdout.write(f"API token (shown only this once): {key}")
