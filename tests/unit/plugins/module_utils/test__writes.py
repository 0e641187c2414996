# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write scheduler (module_utils/_writes.py): one concurrency bound, each service's deletes after its creates and updates."""

from __future__ import annotations

import threading

from ansible_collections.dbpools.aiven.plugins.module_utils._writes import ServiceWrites, apply_in_order


def test_the_scheduler_keeps_the_bound_and_orders_each_service():
    lock = threading.Lock()
    log, in_flight, peak = [], [0], [0]

    class Item:
        def __init__(self, name):
            self.name, self.succeeded, self.failed = name, False, False

    def write(item):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        threading.Event().wait(0.005)
        with lock:
            in_flight[0] -= 1
            log.append(item.name)
        item.succeeded = True

    services = [ServiceWrites([Item(f"s{s}-c{i}") for i in range(4)], [Item(f"s{s}-d{i}") for i in range(3)]) for s in range(5)]
    apply_in_order(services, 3, write)
    assert peak[0] <= 3 and len(log) == 35
    for s in range(5):
        last_first = max(log.index(f"s{s}-c{i}") for i in range(4))
        assert all(log.index(f"s{s}-d{i}") > last_first for i in range(3))
