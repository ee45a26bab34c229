"""The code's shape: dependencies flow one way (models ← services ← importer, views, API, admin).

- The model modules import only other models and small helpers, at any level (inside functions
  too): loading them alone, as Django's app registry does, loads no service, search, importer,
  exporter, view or cache module.
- No module imports inside a function, except where a comment next to the import says why.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "annotations")
MODEL_MODULES = ("archive/models.py", "annotations/models.py")
# What a model module may import from the project: other models and helpers with no state.
MODEL_MAY_IMPORT = {
    "archive.models",
    "annotations.models",
    "archive.text",
    "archive.links",
    "archive.processes",
}
UPPER_LAYERS = (
    "archive.search",
    "archive.importer",
    "archive.exporter",
    "archive.views",
    "archive.api",
    "archive.feeds",
    "archive.pagecache",
    "archive.cards",
    "archive.hashtags",
    "archive.changes",
    "archive.articles",
    "archive.admin",
    "archive.read_routing",
    "archive.replica_health",
    "archive.uploads",
    "archive.import_tasks",
    "archive.import_views",
    "annotations.notes",
    "annotations.reanchoring",
    "annotations.views",
    "annotations.api",
    "annotations.admin",
)


def imports_of(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) for each absolute import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.lineno, child.module, in_function))
            elif isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names)
            visit(child, nested)

    visit(tree, False)
    return found


def source_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        files += [p for p in (PROJECT / package).rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_model_modules_import_only_models_and_helpers(module):
    imports = imports_of(PROJECT / module)
    project = [(line, name) for line, name, _ in imports if name.split(".")[0] in PACKAGES]
    assert project, "the test reads the imports"
    wrong = [(line, name) for line, name in project if name not in MODEL_MAY_IMPORT]
    assert wrong == [], f"{module} imports from a layer above the models: {wrong}"


def test_loading_the_models_alone_loads_no_layer_above_them():
    """Django's app registry, set up with our two apps and what they need, in a fresh process."""
    script = """
import json, sys
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "taggit",
                    "archive", "annotations"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
import archive.models, annotations.models
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("archive", "annotations")))))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "archive.models" in loaded and "annotations.models" in loaded
    above = [m for m in loaded if m.startswith(UPPER_LAYERS)]
    assert above == [], f"loading the models loaded {above}"


def test_the_import_worker_needs_no_django():
    """The worker process prepares posts with no Django set up (it starts faster and smaller):
    what it imports must not reach models, the ORM or settings."""
    script = (
        "import json, sys; import archive.importer.worker; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('django', 'archive')))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "archive.importer.prepare" in loaded
    assert [m for m in loaded if m.startswith("django")] == [], loaded


def test_no_import_inside_a_function_without_a_reason():
    unexplained = []
    for path in source_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, name, in_function in imports_of(path):
            if not in_function:
                continue
            here, above = lines[line - 1], lines[line - 2].strip() if line > 1 else ""
            if "#" not in here and not above.startswith("#"):
                unexplained.append(f"{path.relative_to(PROJECT)}:{line}: {name}")
    assert unexplained == [], "imports inside functions with no reason given:\n" + "\n".join(
        unexplained
    )
