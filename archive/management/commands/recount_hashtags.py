from django.core.management.base import BaseCommand

from archive.hashtags import recount_all


class Command(BaseCommand):
    help = "Check every hashtag's article count (and display name) and repair any drift."

    def handle(self, *args, **options):
        fixed = recount_all()
        for name, was, now in fixed:
            self.stdout.write(f"#{name}: {was} → {now} articles")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(fixed)} hashtag count(s) repaired"
                if fixed
                else "Every hashtag count is right"
            )
        )
