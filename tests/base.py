"""Shared test set-up: named users and the real dumps.

alice is a curator, bob has an account but no rights, charlie is a superuser.
"""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase

from annotations.permissions import make_curator

PROJECT = Path(__file__).resolve().parent.parent
SHARED_DUMPS = Path(os.environ.get("ARCHIVE_SHARED_DUMPS", PROJECT.parent / "shared" / "dumps"))
SEENTHIS_DUMP = SHARED_DUMPS / "000_0f1913dad7b63a46.txt"
PLAIN_DUMP = SHARED_DUMPS / "003_b9a38b6793050bcf.txt"
DEMO_DUMPS = PROJECT / "fixtures" / "dumps"
HOSTILE_DUMPS = PROJECT / "tests" / "hostile"


def run_import(*paths, **options) -> tuple[str, str]:
    """Run the real import_dump command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("import_dump", *[str(p) for p in paths], stdout=out, stderr=err,
                 no_progress=True, **options)
    return out.getvalue(), err.getvalue()


def make_users(case) -> None:
    case.alice = User.objects.create_user("alice", "alice@example.org", "password")
    make_curator(case.alice)
    case.bob = User.objects.create_user("bob", "bob@example.org", "password")
    case.charlie = User.objects.create_superuser("charlie", "charlie@example.org", "password")


class BaseTestCase(TestCase):
    """Named users; subclasses set `dumps` to import real dump files once per class."""

    dumps: tuple[Path, ...] = ()

    @classmethod
    def setUpTestData(cls):
        make_users(cls)
        if cls.dumps:
            missing = [p for p in cls.dumps if not p.exists()]
            assert not missing, f"dump files missing (set ARCHIVE_SHARED_DUMPS?): {missing}"
            run_import(*cls.dumps)
