# The two commands a newcomer needs:  make run  and  make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_RUN := $(PY) tests/pg_cluster.py
SHARED_DUMPS ?= $(or $(ARCHIVE_SHARED_DUMPS),../shared/dumps)
HOST ?= 127.0.0.1:8000
export DEBUG ?= 1

.PHONY: init run serve worker demo test test-sqlite test-postgres test-pgbouncer lint browser-deps pg-deps bench clean

# Create the virtual environment and install the project with its test tools.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

init: $(VENV)/.installed

# Import the demo dumps (ours, and ../shared/dumps when it exists). Safe to repeat.
demo: init
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py import_dump fixtures/dumps $(wildcard $(SHARED_DUMPS))

# Everything: venv, database, demo data, then serve on http://127.0.0.1:8000/ with the import
# worker beside the server (uploads are imported in the background). Ctrl-C stops both, and
# the worker stops when the server does.
run: demo
	@$(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

# The import worker alone (production runs it beside gunicorn: README).
worker: init
	$(PY) manage.py db_worker

serve: init
	$(PY) manage.py discard_unfinished_imports
	$(PY) manage.py runserver $(HOST)

# Chromium from Debian for the browser tests (Playwright drives it; no browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# The whole suite on SQLite, then on a throwaway PostgreSQL cluster. Both legs always run, so one
# run shows everything that is broken; it fails if either leg failed.
# PgBouncer from Debian for the connection pooling tests (tests/test_pgbouncer.py).
pg-deps:
	@command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q pgbouncer; }

test: init browser-deps pg-deps
	@sqlite=0; postgres=0; \
	$(MAKE) --no-print-directory test-sqlite || sqlite=$$?; \
	$(MAKE) --no-print-directory test-postgres || postgres=$$?; \
	echo "== SQLite: $$([ $$sqlite = 0 ] && echo passed || echo FAILED)," \
	     "PostgreSQL: $$([ $$postgres = 0 ] && echo passed || echo FAILED)"; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

test-sqlite: init
	@echo "== Test suite on SQLite"
	DEBUG=0 $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: init pg-deps
	@echo "== Test suite on PostgreSQL"
	DEBUG=0 $(PG_RUN) $(PY) -m pytest $(PYTEST_ARGS)

# The suite on PostgreSQL with every connection through PgBouncer in transaction mode.
test-pgbouncer: init pg-deps
	@echo "== Test suite on PostgreSQL through PgBouncer"
	DEBUG=0 $(PG_RUN) --pgbouncer $(PY) -m pytest $(PYTEST_ARGS)

lint: init
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: init
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
