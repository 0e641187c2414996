"""``EmulatorProcess`` lives in the emulator's own package (aiven_emulator.process); this name stays for tests/molecule."""

from aiven_emulator.process import EmulatorProcess

__all__ = ["EmulatorProcess"]
