"""A paged coach on a phone: sign in, read, acknowledge, text, resolve; the inbox; 400 px; keyboard only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.conftest import shot
from tests.e2e.harness import Seeded, invite_coach


def sign_in(page: Any, seeded: Seeded, coach_id: str) -> None:
    page.fill("#email", seeded.coaches[coach_id])
    page.fill("#password", seeded.password)
    page.click("button[type=submit]")


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def small_targets(page: Any) -> list[str]:
    """Touch targets under 44 px: buttons, button-like links, nav links, cards, form fields."""
    return list(page.evaluate("""() => Array.from(document.querySelectorAll(
        'button, a.button, a.card, .top a, input:not([type=hidden]):not([type=radio]), textarea, label.choice'))
        .filter(e => e.offsetParent !== null)
        .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
        .map(e => e.outerHTML.slice(0, 80))"""))


def test_a_paged_coach_signs_in_reads_acknowledges_texts_and_resolves_on_a_phone(page, seeded):
    # Given the link a page carries, opened on a 400 px phone without a session
    page.goto(seeded.url(f"/alerts/{seeded.alert_id}"))
    # Then sign-in comes first, and after it the coach is back on the alert
    assert "/coach/sign-in" in page.url
    shot(page, "01-sign-in")
    sign_in(page, seeded, "c1")
    page.wait_for_url(f"**/coach/alerts/{seeded.alert_id}")
    # And the reply is readable, as text (the <script> in it did not run)
    body = page.inner_text("main")
    assert "saying goodbye tonight" in body and "<script>alert(1)</script>" in body
    assert "Crisis: reach them now" in body and "PST" in body
    assert page.locator("svg.chart polyline").count() >= 1
    assert "Crisis resources, as the automatic answer to their reply" in body
    assert page.get_attribute("a[href^='tel:']", "href") == "tel:+15550100002"
    shot(page, "02-alert")

    # When they acknowledge
    page.click("button:has-text('Acknowledge')")
    assert "Acknowledged: escalation stopped." in page.inner_text("main")

    # And text the client: the segment counter follows the typing
    page.fill("#sms-body", "Hi Ben, it's Casey from the practice. Can I call you in 5 minutes?")
    assert "1 SMS segment (GSM-7)" in page.inner_text("#sms-count")
    page.fill("#sms-body", "Hola Ben 🙂 " * 8)
    assert "2 SMS segments (UCS-2)" in page.inner_text("#sms-count")
    page.fill("#sms-body", "Hi Ben, it's Casey from the practice. Can I call you in 5 minutes?")
    shot(page, "03-text")
    page.click("button:has-text('Send text')")
    assert "Text sent." in page.inner_text("main")
    assert any("Can I call you" in m.body for m in seeded.stack.twilio.messages_to("+15550100002"))

    # And resolve with an outcome and a note
    page.check("input[value=true_alarm]")
    page.fill("#note", "Spoke by phone; safety plan in place.")
    page.click("button:has-text('Resolve')")
    main = page.inner_text("main")
    assert "Resolved." in main and "True alarm" in main
    shot(page, "04-resolved")
    assert no_sideways_scroll(page) and page.problems == []


def test_inbox_items_are_marked_without_javascript(no_js_page, seeded):
    page = no_js_page
    page.goto(seeded.url("/inbox"))
    sign_in(page, seeded, "c2")
    page.wait_for_url("**/coach/inbox")
    count = page.inner_text(".count")
    waiting = int(count.split()[0])
    assert waiting >= 2
    shot(page, "05-inbox")
    page.locator("article.item").first.locator("button[value=seen_fine]").click()
    assert "Marked: Seen, fine." in page.inner_text("main")
    assert int(page.inner_text(".count").split()[0]) == waiting - 1
    page.locator("article.item").first.locator("button[value=follow_up]").click()
    assert int(page.inner_text(".count").split()[0]) == waiting - 2
    shot(page, "06-inbox-marked")


def test_every_page_fits_400_px_with_44_px_targets(page, seeded):
    page.goto(seeded.url("/sign-in"))
    sign_in(page, seeded, "ad")
    page.wait_for_url("**/coach/alerts")
    ben = seeded.clients["ben"].client_id
    for name, path in [("07-open-alerts", "/alerts"), ("08-clients", "/clients"),
                       ("08b-caseload-admin", "/clients?coach=c1"), ("09-thread", f"/clients/{ben}"),
                       ("10-inbox-admin", "/inbox"), ("11-alert-admin", f"/alerts/{seeded.alert_id}")]:
        page.goto(seeded.url(path))
        assert no_sideways_scroll(page), name
        assert small_targets(page) == [], name
        shot(page, name)
        if name == "08b-caseload-admin":  # an admin reads the practice one caseload at a time
            assert page.inner_text("h1") == "Casey's clients" and "Ben" in page.inner_text("main")
    assert page.problems == []


def test_keyboard_only_a_coach_reaches_a_client_and_texts_them(page, seeded):
    page.goto(seeded.url("/sign-in"))
    # Sign in with the keyboard only (the e-mail field has focus: wait for the page to give it, since
    # keys typed before autofocus lands are lost and the flow flaked on a loaded machine)
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'INPUT'")
    page.keyboard.type(seeded.coaches["c1"])
    page.keyboard.press("Tab")
    page.keyboard.type(seeded.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/coach/alerts")
    # The first Tab reaches the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    # Tab to "Clients" in the menu, then to Ben's card, with Enter
    assert tab_to(page, lambda text: text == "Clients")
    page.keyboard.press("Enter")
    page.wait_for_url("**/coach/clients")
    assert tab_to(page, lambda text: text.startswith("Ben"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/coach/clients/*")
    # Tab to the message box, type, Tab to Send, Enter
    assert tab_to(page, lambda text: False, selector="#sms-body")
    page.keyboard.type("Checking in - call me when you can.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send text"
    page.keyboard.press("Enter")
    page.wait_for_url("**done=texted")
    assert "Text sent." in page.inner_text("main")
    shot(page, "12-keyboard-texted")


def tab_to(page: Any, match: Any, *, selector: str = "", limit: int = 60) -> bool:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if selector and page.evaluate(f"document.activeElement.matches({selector!r})"):
            return True
        if not selector and match(page.evaluate("(document.activeElement.textContent || '').trim()")):
            return True
    return False


def test_an_invited_coach_chooses_a_password_at_first_sign_in(page, seeded):
    # Given a coach just added with `moodline coach add`: a temporary password from the invitation
    email = "riley@practice.example"
    temporary = invite_coach(seeded.stack, "c6", "Riley", email)
    page.goto(seeded.url("/clients"))
    # When Riley signs in with it
    page.fill("#email", email)
    page.fill("#password", temporary)
    page.click("button[type=submit]")
    # Then the page asks for a password of Riley's own, the field focused and the rules shown before typing
    page.wait_for_url("**/coach/sign-in/step")
    assert page.inner_text("h1") == "Choose your password"
    assert page.evaluate("document.activeElement.id") == "new-password"
    assert "at least 12 characters" in page.inner_text("#password-rules")
    assert page.get_attribute("#new-password", "autocomplete") == "new-password"
    # When the first try breaks the pool's policy, one line says why, announced as an alert
    page.fill("#new-password", "all-lowercase-no-digits")
    page.fill("#confirm-password", "all-lowercase-no-digits")
    page.click("button:has-text('Set password and sign in')")
    alert = page.get_by_role("alert")
    assert "That password does not meet the policy. Use at least 12 characters" in alert.inner_text()
    assert page.get_attribute("#new-password", "aria-invalid") == "true"
    shot(page, "13-new-password-refused")
    assert no_sideways_scroll(page) and small_targets(page) == []
    # And a good password signs Riley in, on the page the link pointed to
    page.fill("#new-password", "Riley-Chose-This-2026")
    page.fill("#confirm-password", "Riley-Chose-This-2026")
    page.click("button:has-text('Set password and sign in')")
    page.wait_for_url("**/coach/clients")
    assert "Sign out" in page.inner_text("header")
    shot(page, "14-first-sign-in-done")
    # Chromium reports the refused answer's 400 as a console error; nothing else (no CSP violation) may show
    assert [p for p in page.problems if "status of 400" not in p] == []


def test_the_one_tap_acknowledge_page_fits_a_phone_under_the_workspaces_policy(page, seeded):
    # Given the one-tap link a page carries, opened on a 400 px phone (no sign-in)
    link = seeded.ack_link("c1", now=datetime.now(UTC))
    response = page.goto(link)
    # Then the confirmation is styled by the workspace's stylesheet (same origin), with no inline style to refuse
    assert response is not None and response.status == 200
    assert response.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in (
        response.headers["content-security-policy"])
    assert page.inner_text("h1") == "Acknowledge this alert?"
    assert page.evaluate("getComputedStyle(document.querySelector('button')).minHeight") == "44px"
    assert no_sideways_scroll(page) and small_targets(page) == []
    shot(page, "15-one-tap-ack")
    # And a tampered link (the attack test's exp=%C2%B2) gets the not-valid page, just as readable
    response = page.goto(link.replace("exp=", "exp=%C2%B2&x="))
    assert response is not None and response.status == 403
    assert "this link is not valid" in page.inner_text("main")
    assert no_sideways_scroll(page) and small_targets(page) == []
    shot(page, "16-one-tap-not-valid")
    # Chromium reports the 403 as a console error; nothing else (no CSP violation) may show
    assert [p for p in page.problems if "status of 403" not in p] == []
