# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Which of a service's PgBouncer addresses the connection details name (the lookup and the info module).
    DOCUMENTATION = r"""
options:
  route:
    description:
      - Which of the service's PgBouncer addresses to return, by the route of its C(pgbouncer) component -
        V(dynamic), V(public), V(private) or V(privatelink).
      - Left out together with O(usage), C(host) and C(port) are the pool's own, those of its C(connection_uri) -
        the address applications use today. Given alone, O(usage) is V(primary).
      - A service that lists no such address fails, naming the service and the addresses it has.
    type: str
    choices: [dynamic, public, private, privatelink]
  usage:
    description:
      - Which of the service's PgBouncer addresses to return, by the usage of its C(pgbouncer) component -
        V(primary) or V(replica) (a standby's pools, on a plan with standby nodes; Aiven names their hosts
        C(replica-...)).
      - Given alone, O(route) is V(dynamic).
    type: str
    choices: [primary, replica]
"""
