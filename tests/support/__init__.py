"""What the suites outside tests/unit share: the fixtures (fixtures.py), the collection on a path, Ansible runs, the secret scan.

tools/ imports from here; nothing here imports tools/. The emulator is a package of its own (aiven_emulator).
"""
