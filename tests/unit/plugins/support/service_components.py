# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's components as Aiven lists them, for the route and usage tests of the lookup and the info module
(a module of its own: module tests may import no controller code, the lookup's tests do)."""

from __future__ import annotations

# The pool's own URI names pg.example.com:12692, the public route, which is not the first pgbouncer component.
COMPONENTS = [
    {"component": "pg", "host": "pg.example.com", "port": 12691, "route": "dynamic", "usage": "primary"},
    {"component": "pgbouncer", "host": "dyn.example.com", "port": 12692, "route": "dynamic", "usage": "primary"},
    {"component": "pgbouncer", "host": "pg.example.com", "port": 12692, "route": "public", "usage": "primary"},
    {"component": "pgbouncer", "host": "replica-dyn.example.com", "port": 12693, "route": "dynamic", "usage": "replica"},
]
