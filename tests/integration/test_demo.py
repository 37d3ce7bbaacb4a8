"""``make demo`` reads like a story: in time order, each line in the client's own time and zone, whole
messages wrapped, the question asked, coaches by name, pages whole; one line per phase; files in out/."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moodline_local.demo import Timeline, run_demo
from moodline_local.workspace import CHROMIUM, screenshot
from tests.conftest import ROOT

CRISIS = "honestly i can't do this anymore. i've been saving my pills and tonight is the night"


def test_the_timeline_is_in_time_order_whatever_order_it_was_told_in():
    # Given lines told out of order (a Los Angeles evening before a London morning of the same UTC day)
    timeline = Timeline(width=80)
    timeline.line(datetime(2026, 12, 1, 3, 40, tzinfo=UTC), "America/Los_Angeles", "Chloe", "← “7”")
    timeline.line(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), "Europe/London", "Dev", "→ check-in")

    # When it is rendered
    lines = timeline.render()

    # Then the earlier moment comes first, each in the client's own time with its zone, on a clock
    # (New York) that only goes forward, under the day's heading
    assert lines[0].startswith("— Monday 30 November —")
    assert re.match(r"\s+05:00  Mon 10:00 GMT\s+Dev\s+→ check-in", lines[1])
    assert re.match(r"\s+22:40  Mon 19:40 PST\s+Chloe\s+← “7”", lines[2])


def test_a_long_message_is_wrapped_whole_and_a_page_keeps_its_bar_and_links():
    # Given the crisis answer and a page with a long link
    timeline = Timeline(width=72)
    answer = ("If you are in danger or thinking about suicide, call or text 988 now (Suicide & Crisis Lifeline), "
              "or text HOME to 741741. In an emergency call 911. Your coach has been alerted and will reach out.")
    link = "http://127.0.0.1:8787/alerts/al_1/ack?coach=c1&exp=1796396100&sig=4Y0amhvMiI-SanzHp2YZtuOk"
    timeline.line(datetime(2026, 12, 3, 14, 55, tzinfo=UTC), "America/Chicago", "Ben", f"← “{CRISIS}”",
                  [f"↳ answered: “{answer}”"])
    timeline.line(datetime(2026, 12, 3, 14, 55, tzinfo=UTC), "America/Chicago", "PAGE",
                  "→ Jordan Lee (c2): Moodline CRISIS alert: Ben",
                  ["│ CRISIS: Ben needs a human. Why: crisis.plan.means.core.en, hopelessness.core.en.",
                   f"│ or open {link}"])

    # When it is rendered
    lines = timeline.render()
    text = "\n".join(lines)

    # Then nothing is cut: the reply and the answer read whole once the wrapping is undone
    flat = " ".join(" ".join(line.split()) for line in lines)
    assert f"← “{CRISIS}”" in flat and f"↳ answered: “{answer}”" in flat
    assert all(len(line) <= 72 or link in line for line in lines)
    # And the link is whole on one line, and every line of the page carries the bar
    assert any(link in line for line in lines)
    body = lines[next(i for i, line in enumerate(lines) if "│ " in line):]
    assert len(body) >= 3 and all("│ " in line for line in body)
    assert "Jordan Lee (c2)" in text


@pytest.mark.slow
def test_make_demo_tells_the_week_and_says_where_everything_is(tmp_path):
    # Given a machine with no browser
    out = io.StringIO()

    # When the demo runs
    report = run_demo(ROOT, tmp_path, out, chromium="/nonexistent/chromium")
    printed = out.getvalue()
    lines = printed.splitlines()

    # Then it prints one line per phase, and the screenshots phase says in one line it skipped them
    phases = [line for line in lines if re.match(r"\[\d/6\] ", line)]
    assert [p[:5] for p in phases] == [f"[{n}/6]" for n in range(1, 7)]
    assert phases[5] == "[6/6] screenshots skipped: no browser at /nonexistent/chromium (apt-get install chromium)"
    # And the story: the question asked, the crisis reply and the crisis text whole, pages whole with
    # the coach's name and the acknowledge code, the coach's ACK and resolution
    story = " ".join(" ".join(line.split()) for line in lines)  # the wrapping undone
    assert "→ check-in: “Hi Ben, how's your mood today, 1-10?" in printed
    assert f"← “{CRISIS}”" in story
    assert ("Call or text 988 (Suicide & Crisis Lifeline), or text HOME to 741741. "
            "In an emergency call 911. Your coach has been alerted.") in story
    assert "PAGE → Jordan Lee (c2): Moodline CRISIS alert: Ben" in story
    assert re.search(r"text ACK \d{8}", printed)
    assert re.search(r"Jordan\s+→ texts “ACK \d{8}”", printed)
    assert "ESCALATE no acknowledgement in time: the page goes on to Casey Morgan (c1)" in story
    # And each line's leading (New York) clock never goes backwards within a day
    clock = [line[2:7] for line in lines if re.match(r"  \d\d:\d\d  \w{3} \d\d:\d\d ", line)]
    days = [i for i, line in enumerate(lines) if line.startswith("— ")]
    assert len(days) == 8 and clock
    for day_lines in _split_by_day(lines):
        stamps = [line[2:7] for line in day_lines if re.match(r"  \d\d:\d\d  ", line)]
        assert stamps == sorted(stamps)
    # And it ends by saying where the e-mails, pages and screenshots are
    where = printed[printed.index("Where to look"):]
    assert "weekly e-mails" in where and "screenshots" in where and "workspace pages" in where
    assert report["emails"] == 2 and all((tmp_path / f"weekly-{c}.html").exists() for c in ("casey", "jordan"))
    assert report["probes_after_stop"] == 0
    # And the workspace's alert page, review inbox and roster are written as Casey (Ben's coach) sees them,
    # by the real workspace function: Ben's crisis reply on the alert page, escaped, and in the inbox
    assert phases[4].startswith("[5/6] workspace pages as Casey Morgan sees them: ")
    assert {p.rsplit("/", 1)[1] for p in report["workspace_pages"]} == {"alert.html", "inbox.html", "roster.html"}
    alert_page = (tmp_path / "workspace" / "alert.html").read_text()
    assert "Ben" in alert_page and "saving my pills" in alert_page
    assert "saving my pills" in (tmp_path / "workspace" / "inbox.html").read_text()
    roster = (tmp_path / "workspace" / "roster.html").read_text()
    assert all(name in roster for name in ("Ana", "Ben", "Eli")) and "Chloe" not in roster
    assert 'href="static/app.css"' in alert_page and (tmp_path / "workspace" / "static" / "app.css").exists()
    assert report["screenshots"] == []
    # And no phone number is printed
    assert not re.search(r"\+\d{10,}", printed)


def _split_by_day(lines: list[str]) -> list[list[str]]:
    days: list[list[str]] = []
    for line in lines:
        if line.startswith("— "):
            days.append([])
        elif days:
            days[-1].append(line)
    return days


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no browser at {CHROMIUM}: make demo skips screenshots too")
def test_a_page_is_screenshot_400_px_wide_with_headless_chromium(tmp_path):
    # Given a saved page
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><title>t</title><h1>Ben</h1>", encoding="utf-8")
    # When it is screenshot, then a 400 px wide PNG is written
    screenshot(page, tmp_path / "page.png", height=600)
    png = (tmp_path / "page.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 400
