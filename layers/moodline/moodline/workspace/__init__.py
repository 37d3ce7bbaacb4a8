"""The coach's web workspace: sign in, read what a client said, reach them, review what triage was unsure of.

Modules, outermost first::

    functions/coach_web/app.py   API Gateway event ─► web.Request; web.Response ─► proxy result
    app.py        Workspace: the router (routes ─► views), sessions, CSRF, security headers
    auth.py       Cognito sign-in (USER_PASSWORD_AUTH) and ID-token verification against the JWKS
    session.py    the session cookie, CSRF tokens, safe return-to paths
    present.py    plain words for rules, local times, the mood chart (inline SVG), GSM-7 segments
    access.py     who may see which client and alert
    ports.py      WorkspaceData / WorkspaceActions: the narrow port onto Moodline's data and use cases
    adapters.py   the two ports over moodline.ports (repositories, SmsSender) and the alert use cases
    wiring.py     Cognito settings; the workspace built on the composition root (Services)
"""
