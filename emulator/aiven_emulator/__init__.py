"""A local emulator of the Aiven API routes dbpools.aiven uses, with real PgBouncer and PostgreSQL behind it (see ../README.md)."""
