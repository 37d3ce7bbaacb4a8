"""SnapStart: work registered here runs before Lambda snapshots the initialised function.

Lambda's Python managed runtimes (3.12+) ship ``snapshot_restore_py``; when a version is published
with SnapStart, init runs, then the before-snapshot hooks, then the snapshot. Whatever a hook loads
(compiled triage rules, the semantic model) is in every container restored from it, so no request
waits for it, while the import itself stays cheap. Elsewhere (tests, the local stack, a function
without SnapStart) the hook is not registered and the same work happens lazily on first use.
"""

from __future__ import annotations

from collections.abc import Callable


def before_snapshot(prime: Callable[[], object]) -> bool:
    """Run ``prime`` before SnapStart's snapshot; False when not on a SnapStart-capable Lambda runtime."""
    try:
        from snapshot_restore_py import register_before_snapshot  # type: ignore[import-not-found]  # noqa: PLC0415 - only on Lambda
    except ModuleNotFoundError:
        return False
    register_before_snapshot(prime)
    return True
