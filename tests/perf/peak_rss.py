"""python -m tests.perf.peak_rss FILE COMMAND...: run COMMAND, then write to FILE the peak resident memory, in kB,
of the largest process of its tree (itself or any descendant its parent waited for) and the CPU seconds (user and
system) of the whole tree, and exit with its code.

CPU seconds barely move with the load of a shared machine, where wall seconds do: they show the work done.

getrusage(RUSAGE_CHILDREN) of this wrapper covers exactly the command's tree; of the benchmark itself it would also
count the emulator and every earlier scenario.
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main(argv: list) -> int:
    path, command = argv[0], argv[1:]
    code = subprocess.run(command, check=False).returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(path, "w", encoding="utf-8") as handle:
        # Linux reports ru_maxrss in kB.
        handle.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.3f}\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
