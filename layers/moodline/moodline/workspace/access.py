"""Who sees what: a coach sees their own clients and any client whose alert paged them or the team;
an ``admins`` group member sees everyone. Anything else answers 404, so ids cannot be probed."""

from __future__ import annotations

from collections.abc import Iterable

from moodline.workspace.ports import AlertView, ClientView, Identity

TEAM = "team"  # the page target that reaches every coach (moodline.pager.TEAM)


def may_see_alert(who: Identity, alert: AlertView) -> bool:
    return who.admin or alert.coach_id == who.coach_id or who.coach_id in alert.paged_to or TEAM in alert.paged_to


def may_see_client(who: Identity, client: ClientView, alerts: Iterable[AlertView]) -> bool:
    """``alerts``: the client's alerts (any status) over the window the workspace looks back on."""
    if who.admin or client.coach_id == who.coach_id:
        return True
    return any(may_see_alert(who, alert) for alert in alerts)
