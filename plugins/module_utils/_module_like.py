# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module's work needs of its AnsibleModule: the one interface of a module run and of a run in the controller's process."""

from __future__ import annotations

from typing import Any, NoReturn, Protocol


class ModuleLike(Protocol):
    """The part of AnsibleModule a module's ``run`` uses; the action plugin's stand-in (``_in_process``) has the same."""

    params: dict[str, Any]
    check_mode: bool
    _diff: bool
    no_log_values: set[str]

    def warn(self, warning: str) -> None:
        """Add a warning to the result."""

    def fail_json(self, msg: str, **kwargs: Any) -> NoReturn:
        """End the run failed, with ``msg`` and ``kwargs`` in the result."""
