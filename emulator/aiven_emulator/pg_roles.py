"""The SQL that makes a service's databases and users real in its PostgreSQL cluster (the PgBouncer backend).

Every statement runs as the cluster's bootstrap superuser over its unix socket; names are
quoted as identifiers and passwords as literals, never pasted into the text.
"""

from __future__ import annotations

from typing import List

import psycopg
from psycopg import sql

from .pg_processes import PostgresCluster


async def _run(cluster: PostgresCluster, database: str, *statements: sql.Composable) -> None:
    async with await psycopg.AsyncConnection.connect(**cluster.conninfo(database), autocommit=True) as conn:
        for statement in statements:
            await conn.execute(statement)


def _grant_database(database: str, user: str) -> sql.Composable:
    return sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(user))


async def grant_schema(cluster: PostgresCluster, database: str, users: List[str]) -> None:
    """PostgreSQL 15 no longer lets everyone create in schema public: let these users."""
    grantees = sql.SQL(", ").join(sql.Identifier(user) for user in users)
    await _run(cluster, database, sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(grantees))


async def create_database(cluster: PostgresCluster, name: str, owner: str, users: List[str]) -> None:
    """A database owned by ``owner`` that every one of ``users`` may use."""
    create = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))
    await _run(cluster, "postgres", create, *(_grant_database(name, user) for user in users))
    await grant_schema(cluster, name, users)


async def drop_database(cluster: PostgresCluster, name: str) -> None:
    """Closing the sessions still on it (PgBouncer's server connections among them)."""
    await _run(cluster, "postgres", sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _replication(allowed: bool) -> sql.Composable:
    return sql.SQL("REPLICATION" if allowed else "NOREPLICATION")


async def create_role(cluster: PostgresCluster, name: str, password: str, replication: bool, databases: List[str]) -> None:
    """A role that logs in with ``password``, granted every one of ``databases`` and its schema public."""
    create = sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(sql.Identifier(name), _replication(replication), sql.Literal(password))
    await _run(cluster, "postgres", create, *(_grant_database(db, name) for db in databases))
    for db in databases:
        await grant_schema(cluster, db, [name])


async def alter_role(cluster: PostgresCluster, name: str, password: str, replication: bool) -> None:
    alter = sql.SQL("ALTER ROLE {} {} PASSWORD {}").format(sql.Identifier(name), _replication(replication), sql.Literal(password))
    await _run(cluster, "postgres", alter)


async def drop_role(cluster: PostgresCluster, name: str, heir: str, databases: List[str]) -> None:
    """DROP ROLE after handing what it owns to ``heir`` in every database (its grants go with DROP OWNED)."""
    for db in databases:
        await _run(cluster, db,
                   sql.SQL("REASSIGN OWNED BY {} TO {}").format(sql.Identifier(name), sql.Identifier(heir)),
                   sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
    await _run(cluster, "postgres", sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
