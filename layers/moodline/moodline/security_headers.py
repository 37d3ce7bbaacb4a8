"""The security headers of every HTML page Moodline serves: the coach workspace and the one-tap alert pages.

One policy for both, so a page added to either cannot drift weaker: scripts, styles and images only as files
from our own origin (no inline script, style attribute or handler), forms post only to us, no framing
(clickjacking an Acknowledge button), no MIME sniffing, HTTPS only.
"""

from __future__ import annotations

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
