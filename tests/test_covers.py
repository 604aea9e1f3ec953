"""Covers and swaps from a comment, through PyGithub and pagerduty against the sandbox: asked, accepted, the
override created, the role moved by the next handoff run; and every refusal writes nothing to PagerDuty."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oncall_lib.config import Config, CoversConfig
from oncall_lib.covers import expiry
from oncall_lib.handoff import rotate
from oncall_lib.report import Report
from oncall_lib.services import Services
from oncall_lib.support_issues import commands as issue_commands
from tests.conftest import Sandbox

REPO = "department-of-veterans-affairs/va.gov-team"
# Tuesday 10:00 New York of Grace Hopper's week; Alan Turing has the next one, Katherine Johnson the one after.
TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ISSUE = 4100


@pytest.fixture
def covers(untracked: Config) -> Config:
    return untracked.model_copy(update={"covers": CoversConfig()})


def _issue(sandbox: Sandbox) -> dict[str, Any]:
    repo = next(r for r in sandbox.world["github"]["repos"] if r["full_name"] == REPO)
    found = next((i for i in repo["issues"] if i["number"] == ISSUE), None)
    if found is None:
        found = {"number": ISSUE, "title": "Oncall support: Grace Hopper, Nov 23 – Nov 30", "state": "open",
                 "user": "oncall-bot", "assignees": ["grace-hopper"], "labels": ["oncall-handover"], "comments": [],
                 "body": "The week's handover", "created_at": "2026-11-23T14:00:00Z"}
        repo["issues"].append(found)
    return found


def say(sandbox: Sandbox, author: str, body: str) -> int:
    issue = _issue(sandbox)
    comment_id = 91000 + len(issue["comments"])
    issue["comments"].append({"id": comment_id, "user": author, "body": body, "created_at": "2026-11-24T15:00:00Z"})
    return comment_id


def command(comment_id: int) -> Any:
    def job(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return issue_commands.run(services, config, at, number=ISSUE, comment_id=comment_id, dry_run=dry_run)
    return job


def handoff(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return rotate.run(services, config, at, dry_run=dry_run)


def overrides(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.world["pagerduty"]["schedules"][0]["overrides"]


def replies(sandbox: Sandbox) -> list[str]:
    return [c["body"] for c in _issue(sandbox)["comments"] if c["user"] == sandbox.world["github"]["bot_login"]]


def test_a_cover_is_asked_accepted_made_in_pagerduty_and_moves_the_role(sandbox: Sandbox, covers: Config) -> None:
    before = len(overrides(sandbox))
    ask = say(sandbox, "grace-hopper", "Out sick from tomorrow.\n/oncall cover @alan-turing 2026-11-25T09:00 "
                                       "2026-11-30 09:00")
    asked = sandbox.run(command(ask), covers, TUESDAY).report
    assert asked.exit_code == 0, asked.to_text()
    [request] = replies(sandbox)
    assert request.startswith("@alan-turing: @grace-hopper asks you to cover oncall support from Wed 25 Nov 09:00 EST "
                              "until Mon 30 Nov 09:00 EST")
    assert len(overrides(sandbox)) == before  # nothing in PagerDuty until Alan agrees
    assert sandbox.run(command(ask), covers, TUESDAY).report.total_calls("writes") == 0

    accept = say(sandbox, "alan-turing", "/oncall accept")
    accepted = sandbox.run(command(accept), covers, TUESDAY.replace(hour=16)).report
    assert accepted.exit_code == 0, accepted.to_text()
    assert [o.action.kind for o in accepted.outcomes] == ["pagerduty.create_overrides", "github.comment"]
    made = overrides(sandbox)[before:]
    assert [(o["user"], o["start"], o["end"]) for o in made] == [
        ("PALAN01", "2026-11-25T09:00:00-05:00", "2026-11-30T09:00:00-05:00")]
    done = replies(sandbox)[-1]
    assert ("Alan Turing (@alan-turing) is on oncall support from Wed 25 Nov 09:00 EST until Mon 30 Nov 09:00 "
            "EST") in done
    assert "the next handoff run gives them the role" in done
    again = sandbox.run(command(accept), covers, TUESDAY.replace(hour=17)).report
    assert again.total_calls("writes") == 0 and len(overrides(sandbox)) == before + 1

    # The next tick applies the override rule the handoff already has: the role moves to Alan.
    tick = sandbox.run(handoff, covers, datetime(2026, 11, 25, 15, 7, tzinfo=UTC)).report
    assert tick.facts["on_support"] == "Alan Turing" and tick.facts["since"] == "2026-11-25T09:00:00-05:00"
    assert "alan-turing" in sandbox.issue(REPO, 1954)["assignees"]


def test_a_short_cover_leaves_the_turn_and_says_so(sandbox: Sandbox, covers: Config) -> None:
    ask = say(sandbox, "grace-hopper", "/oncall cover @katherine-johnson 2026-11-25 10:00 2026-11-25 15:00")
    sandbox.run(command(ask), covers, TUESDAY)
    accept = say(sandbox, "katherine-johnson", "/oncall accept")
    sandbox.run(command(accept), covers, TUESDAY)
    assert "the turn stays where it is" in replies(sandbox)[-1]
    tick = sandbox.run(handoff, covers, datetime(2026, 11, 25, 16, 7, tzinfo=UTC)).report
    assert tick.facts["on_support"] == "Grace Hopper"


def test_a_swap_trades_the_next_turns_with_two_overrides(sandbox: Sandbox, covers: Config) -> None:
    ask = say(sandbox, "alan-turing", "/oncall swap @katherine-johnson")
    sandbox.run(command(ask), covers, TUESDAY)
    assert "you take theirs (from Mon 30 Nov 09:00 EST until Mon 07 Dec 09:00 EST) and they take yours (from Mon 07 " \
           "Dec 09:00 EST until Mon 14 Dec 09:00 EST)" in replies(sandbox)[0]
    # Only the person asked can accept.
    stranger = say(sandbox, "grace-hopper", "/oncall accept")
    refused = sandbox.run(command(stranger), covers, TUESDAY).report
    assert "there is no open cover or swap request for @grace-hopper" in replies(sandbox)[-1]
    assert all(o.action.kind != "pagerduty.create_overrides" for o in refused.outcomes)
    accept = say(sandbox, "katherine-johnson", "/oncall accept")
    sandbox.run(command(accept), covers, TUESDAY)
    made = [(o["user"], o["start"][:10], o["end"][:10]) for o in overrides(sandbox)[1:]]
    assert made == [("PKATH01", "2026-11-30", "2026-12-07"), ("PALAN01", "2026-12-07", "2026-12-14")]
    tick = sandbox.run(handoff, covers, datetime(2026, 12, 1, 15, 7, tzinfo=UTC)).report
    assert tick.facts["on_support"] == "Katherine Johnson"


@pytest.mark.parametrize(("body", "why"), [
    ("/oncall cover @vfs-contractor 2026-11-25T09:00 2026-11-26T09:00", "@vfs-contractor is not in the rotation's"),
    ("/oncall cover @alan-turing 2026-11-23T09:00 2026-11-24T09:00", "the cover starts in the past"),
    ("/oncall cover @alan-turing 2026-11-27T09:00 2026-12-02T09:00", "the cover is longer than the turn: Grace "
                                                                     "Hopper's turn ends Mon 30 Nov 09:00 EST"),
    ("/oncall cover @alan-turing 2026-11-26 2026-11-26", "overlaps Dorothy Vaughan's override"),
    ("/oncall cover @alan-turing tomorrow", "say when, as FROM and TO"),
    ("/oncall cover @x@org/team now 2026-11-25", "`x@\u200borg/team` is not a GitHub login"),  # notifies nobody
    ("/oncall cover @grace-hopper now 2026-11-25T09:00", "@grace-hopper already holds the support turn then"),
])
def test_each_refusal_is_one_line_and_writes_nothing_to_pagerduty(sandbox: Sandbox, covers: Config, body: str,
                                                                  why: str) -> None:
    overrides(sandbox).append({"id": "POVRDOT", "start": "2026-11-26T12:00:00-05:00",
                               "end": "2026-11-26T18:00:00-05:00", "user": "PDOT001"})
    count = len(overrides(sandbox))
    report = sandbox.run(command(say(sandbox, "grace-hopper", body)), covers, TUESDAY).report
    [reply] = replies(sandbox)
    assert why in reply, reply
    assert len(overrides(sandbox)) == count
    assert report.api_calls["pagerduty"]["writes"] == 0


def test_a_read_only_pagerduty_key_is_refused_in_one_line(sandbox: Sandbox, covers: Config) -> None:
    sandbox.world["pagerduty"]["read_only_token"] = True
    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing now 2026-11-25T12:00")), covers,
                TUESDAY)
    report = sandbox.run(command(say(sandbox, "alan-turing", "/oncall accept")), covers, TUESDAY).report
    assert len(overrides(sandbox)) == 1
    assert report.exit_code == 1
    assert replies(sandbox)[-1].startswith("PagerDuty refused the override, so nothing changed: PagerDuty POST "
                                           "/schedules/PSUPPRT/overrides: HTTP 403")
    assert "read-only" in replies(sandbox)[-1]


def test_without_a_covers_table_the_commands_say_so(sandbox: Sandbox, untracked: Config) -> None:
    report = sandbox.run(command(say(sandbox, "grace-hopper", "/oncall swap @alan-turing")),
                         untracked.model_copy(update={"covers": None}), TUESDAY).report
    assert "no [covers] table" in replies(sandbox)[0]
    assert "pagerduty" not in report.api_calls


def test_the_doctor_checks_that_the_key_may_create_overrides(sandbox: Sandbox, covers: Config) -> None:
    from oncall_lib.setup import doctor

    def doctoring(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
        return doctor.run(services, config, at, dry_run=dry_run)

    fine = sandbox.run(doctoring, covers, TUESDAY).report
    [check] = [c for c in fine.extra["checks"] if c["check"] == "pagerduty overrides"]
    assert check["ok"] and len(overrides(sandbox)) == 1  # the probe created nothing
    sandbox.world["pagerduty"]["read_only_token"] = True
    broken = sandbox.run(doctoring, covers, TUESDAY).report
    [check] = [c for c in broken.extra["checks"] if c["check"] == "pagerduty overrides"]
    assert not check["ok"] and "PAGERDUTY_API_TOKEN is read-only" in check["detail"]


def test_an_acceptance_whose_reply_was_lost_only_replies_the_next_time(sandbox: Sandbox, covers: Config) -> None:
    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing 2026-11-25T10:00 "
                                                     "2026-11-25T15:00")), covers, TUESDAY)
    accept = say(sandbox, "alan-turing", "/oncall accept")
    sandbox.run(command(accept), covers, TUESDAY)
    assert len(overrides(sandbox)) == 2
    comments = _issue(sandbox)["comments"]
    comments.remove(next(c for c in comments if c["body"].startswith("Done in PagerDuty")))  # the reply was lost
    # Run again after the cover began: the override is found in the schedule, and only the reply is written.
    again = sandbox.run(command(accept), covers, datetime(2026, 11, 25, 16, 0, tzinfo=UTC)).report
    assert [o.action.kind for o in again.outcomes] == ["github.comment"]
    assert len(overrides(sandbox)) == 2 and replies(sandbox)[-1].startswith("Done in PagerDuty")


def test_a_declined_cover_changes_nothing(sandbox: Sandbox, covers: Config) -> None:
    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing now 2026-11-25T12:00")), covers,
                TUESDAY)
    decline = say(sandbox, "alan-turing", "/oncall decline")
    sandbox.run(command(decline), covers, TUESDAY)
    assert replies(sandbox)[-1].startswith("@alan-turing declined; PagerDuty is unchanged.")
    late = say(sandbox, "alan-turing", "/oncall accept")
    sandbox.run(command(late), covers, TUESDAY)
    assert "there is no open cover or swap request for @alan-turing" in replies(sandbox)[-1]
    assert len(overrides(sandbox)) == 1


def test_under_faults_an_acceptance_converges_to_one_override_and_one_reply(sandbox: Sandbox, covers: Config) -> None:
    from oncall_lib.sandbox import Faults

    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing 2026-11-25T10:00 "
                                                     "2026-11-25T15:00")), covers, TUESDAY)
    faults = Faults(rate=0.5, kinds=("5xx", "drop"), services=("pagerduty",), seed=3)
    injected = 0
    for _ in range(12):
        run = sandbox.run(command(say(sandbox, "alan-turing", "/oncall accept")), covers, TUESDAY, faults=faults)
        injected += run.faults_injected
        if any(b.startswith("Done in PagerDuty") for b in replies(sandbox)):
            break
        # A lost answer is said as such (the override may exist), never as "nothing changed".
        assert "may or may not have been made" in replies(sandbox)[-1] or run.report.exit_code == 1
    assert injected > 0
    assert [(o["user"], o["start"]) for o in overrides(sandbox)[1:]] == [("PALAN01", "2026-11-25T10:00:00-05:00")]
    assert sum(b.startswith("Done in PagerDuty") for b in replies(sandbox)) == 1


def expiring(services: Services, config: Config, at: datetime, dry_run: bool) -> Report:
    return expiry.run(services, config, at, dry_run=dry_run)


def test_a_cover_nobody_accepts_expires_when_it_starts_once_and_a_late_accept_is_refused(
        sandbox: Sandbox, covers: Config) -> None:
    ask = say(sandbox, "grace-hopper", "/oncall cover @alan-turing 2026-11-25T09:00 2026-11-25T17:00")
    sandbox.run(command(ask), covers, TUESDAY)
    assert covers.covers and covers.covers.asked_label in _issue(sandbox)["labels"]
    # Before it starts, the hourly tick only looks.
    waiting = sandbox.run(expiring, covers, datetime(2026, 11, 25, 13, 7, tzinfo=UTC)).report
    assert waiting.exit_code == 0 and waiting.outcomes == [] and waiting.total_calls("writes") == 0
    # Wednesday 09:07 New York, the first tick after it began: marked expired, and Grace told.
    expired = sandbox.run(expiring, covers, datetime(2026, 11, 25, 14, 7, tzinfo=UTC)).report
    assert expired.exit_code == 0, expired.to_text()
    assert [o.action.kind for o in expired.outcomes] == ["github.comment", "github.remove_label"]
    told = replies(sandbox)[-1]
    assert told.startswith("@grace-hopper: nobody accepted the cover asked in comment "
                           f"{ask} (from Wed 25 Nov 09:00 EST until Wed 25 Nov 17:00 EST) before it expired "
                           "Wed 25 Nov 09:00 EST")
    assert covers.covers.asked_label not in _issue(sandbox)["labels"]
    # Once: the next ticks write nothing and ask nobody again.
    for hour in (15, 16):
        again = sandbox.run(expiring, covers, datetime(2026, 11, 25, hour, 7, tzinfo=UTC)).report
        assert again.total_calls("writes") == 0 and again.api_calls["github"]["reads"] == 1
    assert sandbox.run(command(ask), covers, datetime(2026, 11, 25, 16, 7, tzinfo=UTC)).report.outcomes == []
    # Alan's accept comes too late: refused with the reason, nothing in PagerDuty.
    before = len(overrides(sandbox))
    late = say(sandbox, "alan-turing", "/oncall accept")
    _issue(sandbox)["comments"][-1]["created_at"] = "2026-11-25T15:30:00Z"
    refused = sandbox.run(command(late), covers, datetime(2026, 11, 25, 15, 30, tzinfo=UTC)).report
    assert "expired Wed 25 Nov 09:00 EST, unaccepted, so PagerDuty is unchanged" in replies(sandbox)[-1]
    assert len(overrides(sandbox)) == before and refused.api_calls["pagerduty"]["writes"] == 0
    assert sum("nobody accepted" in r for r in replies(sandbox)) == 1


def test_a_late_accept_is_refused_even_before_the_tick_marks_it(sandbox: Sandbox, covers: Config) -> None:
    sandbox.run(command(say(sandbox, "alan-turing", "/oncall swap @katherine-johnson")), covers, TUESDAY)
    late = say(sandbox, "katherine-johnson", "/oncall accept")
    _issue(sandbox)["comments"][-1]["created_at"] = "2026-11-30T14:30:00Z"  # Alan's next turn began at 14:00 UTC
    sandbox.run(command(late), covers, datetime(2026, 11, 30, 14, 30, tzinfo=UTC))
    said = replies(sandbox)[-1]
    assert "the swap asked in comment" in said and "expired Mon 30 Nov 09:00 EST" in said, said
    assert len(overrides(sandbox)) == 1


def test_with_expire_after_hours_a_request_expires_that_long_after_it_was_asked(sandbox: Sandbox,
                                                                                covers: Config) -> None:
    assert covers.covers
    soon = covers.model_copy(update={"covers": covers.covers.model_copy(update={"expire_after_hours": 24})})
    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing 2026-11-27 2026-11-27")), soon,
                TUESDAY)
    assert sandbox.run(expiring, soon, TUESDAY.replace(day=25, hour=14)).report.outcomes == []
    expired = sandbox.run(expiring, soon, TUESDAY.replace(day=25, hour=16)).report
    assert [o.action.kind for o in expired.outcomes] == ["github.comment", "github.remove_label"]
    assert "before it expired Wed 25 Nov" in replies(sandbox)[-1]


def test_an_answered_request_only_loses_its_label_and_a_cover_from_now_stays_open(sandbox: Sandbox,
                                                                                  covers: Config) -> None:
    sandbox.run(command(say(sandbox, "grace-hopper", "/oncall cover @alan-turing now 2026-11-24T15:00")), covers,
                TUESDAY)
    # Begun when asked: it stays open while it lasts, so an hour later Alan can still take the rest of it.
    assert sandbox.run(expiring, covers, TUESDAY.replace(hour=16)).report.outcomes == []
    accept = say(sandbox, "alan-turing", "/oncall accept")
    _issue(sandbox)["comments"][-1]["created_at"] = "2026-11-24T16:10:00Z"
    accepted = sandbox.run(command(accept), covers, TUESDAY.replace(hour=16, minute=10)).report
    assert "pagerduty.create_overrides" in [o.action.kind for o in accepted.outcomes], accepted.to_text()
    cleaned = sandbox.run(expiring, covers, TUESDAY.replace(hour=17)).report
    assert [o.action.kind for o in cleaned.outcomes] == ["github.remove_label"]
    assert not any("nobody accepted" in r for r in replies(sandbox))
