"""The one line a person reads for an error, whatever interface shows it.

The command line prints it after ``error:`` and the page shows it in a box: one
mapping, so a refusal reads the same in both and a remedy is never lost on the way.
"""

from __future__ import annotations

import shlex

from agent.core.errors import ConfigError, DisputeAgentError


def with_next_step(error: DisputeAgentError) -> str:
    """A changed page's line ends with the command that makes its evidence sendable:
    a changed site is fixed from what the user saw."""
    from agent.core.errors import PageChanged

    if not isinstance(error, PageChanged):
        return str(error)
    # a hint for maintainers (logged, in the evidence's maintainer.txt) means the agent must be updated
    update = "; the agent needs an update to read this page: report it" if error.hint else ""
    if error.evidence is not None:
        return (f"{error}{update}; to share it anonymised: "
                f"dispute-agent capture --from-evidence {shlex.quote(str(error.evidence))}")
    return f"{error}{update}; to share what the agent sees, anonymised: dispute-agent capture" if update else str(error)


def error_line(error: BaseException) -> tuple[str, int] | None:
    """``(line, exit code)`` for an error a person can act on; None for one the agent did not foresee."""
    from agent.core.site_text import plain

    if isinstance(error, ConfigError):
        return plain(str(error)), error.exit_code
    if isinstance(error, DisputeAgentError):
        return plain(with_next_step(error)), error.exit_code
    if isinstance(error, OSError):  # a file of the state or the disk itself (agent.core.state_errors)
        from agent.core.state_errors import as_storage_error

        mapped = as_storage_error(error)
        if mapped is not None:
            return plain(str(mapped)), mapped.exit_code
    return None
