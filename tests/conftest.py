from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Cached pages and cards belong to one test's data (archive/pagecache.py, cards.py): a
    rolled-back test's revision comes again with other data."""
    from django.core.cache import caches

    caches["pages"].clear()
    caches["cards"].clear()
    yield
