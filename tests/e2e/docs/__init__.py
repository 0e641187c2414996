"""The collection's docs: antsibull-docs HTML through Sphinx with -W, its docs linter, and ansible-doc (make docs)."""
