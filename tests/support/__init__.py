"""What the suites outside tests/unit share: the emulator process, the collection on a path, Ansible runs, the secret scan.

tools/ imports from here; nothing here imports tools/.
"""
