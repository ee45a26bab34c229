"""Full-text search, one interface over a backend per database engine.

- service.py: search(raw) → SearchResults (parse, ask the backend, rank, snippets);
- query.py: the query parser; analysis.py: words, folding and stems, for documents and queries;
- index.py: index_articles(), reindex_all(); backends/: SQLite FTS5 and PostgreSQL;
- snippets.py: highlighted extracts; heads.py: the start of long articles, which search reads.

This package's own module imports nothing: analysis.py and query.py need no Django, so the
import's worker process (archive/importer/worker.py) uses them without setting Django up.
"""
