"""Importing dumps: reading files (decode), cutting them into posts (parse), storing (store)."""
