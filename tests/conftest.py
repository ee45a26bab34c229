import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, on every machine, and keep no example
# database between runs: a result never depends on an earlier run or on the day. Their explicit
# @example cases hold what earlier searches found. HYPOTHESIS_PROFILE=explore searches afresh
# (random draws, examples kept in .hypothesis/) when looking for new failures on purpose.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


@pytest.fixture(autouse=True)
def _vocabulary_caches_of_this_process():
    """What this process remembers of the search vocabulary (archive/search/spelling.py) and of
    the words it analysed belongs to one test's database, which is rolled back or flushed."""
    from archive.search.spelling import forget_process_caches

    forget_process_caches()
    yield
