"""The upload settings come from the environment and fail loudly on values we cannot use."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.env import env_positive_int
from tests.base import PROJECT, subprocess_env


def test_a_size_or_count_is_a_whole_number_of_one_or_more(monkeypatch):
    monkeypatch.setenv("ARCHIVE_UPLOAD_MAX_FILES", "12")
    assert env_positive_int("ARCHIVE_UPLOAD_MAX_FILES", 100) == 12
    monkeypatch.delenv("ARCHIVE_UPLOAD_MAX_FILES")
    assert env_positive_int("ARCHIVE_UPLOAD_MAX_FILES", 100) == 100
    for bad, problem in (
        ("0", "must be 1 or more"),
        ("-5", "must be 1 or more"),
        ("ten", "not a whole number"),
    ):
        monkeypatch.setenv("ARCHIVE_UPLOAD_MAX_FILES", bad)
        with pytest.raises(ImproperlyConfigured, match=problem):
            env_positive_int("ARCHIVE_UPLOAD_MAX_FILES", 100)


def test_a_bad_upload_limit_stops_start_up_naming_the_variable():
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env=subprocess_env({"DEBUG": "1", "ARCHIVE_UPLOAD_ZIP_MAX_BYTES": "1GB"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "ARCHIVE_UPLOAD_ZIP_MAX_BYTES='1GB' is not a whole number" in done.stderr
