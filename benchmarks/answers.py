#!/usr/bin/env python3
"""The answers benchmark: precision and recall of the matcher (oncall_lib/answers/matching.py) against the
one it replaced (rapidfuzz's token-set ratio on the meaningful words, at its default of 88), on an answers file
of our own (benchmarks/answers_set.toml) and requests written for it: paraphrases of the examples (another word
order, an abbreviation, a casual greeting around the question, a neighbouring tool the answer also names) that
should get the answer, and near misses (the same words asking another question, or another subject) that
should get nothing.

The requests come in four sets. The method and its threshold were chosen on the first ("tuning"); the
second ("held out") was written with it, but its failures were looked at too (they showed words glued and
split wrongly, which were fixed). The third ("fresh") was written once the method was frozen; it showed two
wrong answers and the matcher was changed again. The fourth ("final") was written after that and run once:
its figures are the honest ones.

    python3 dev.py run benchmarks/answers.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oncall_lib.answers.matching import Answer, Matcher, load_answers, meaningful  # noqa: E402

# (request, the answer it should get, or None; the kind of request, for the breakdown)
Case = tuple[str, str | None, str]

TUNING: list[Case] = [
    # Paraphrases: another word order, an abbreviation, a greeting around it, a neighbouring tool.
    ("aws console access?", "aws-console", "order"),
    ("console access for AWS please", "aws-console", "order"),
    ("hey team :wave: how can I get into the aws console? thanks!", "aws-console", "greeting"),
    ("good morning folks, hope your weekend was good. quick q: how do i get aws cli access", "aws-console",
     "neighbour"),
    ("my RI is not coming up", "review-instance", "abbreviation"),
    ("review instance rebuild - how?", "review-instance", "order"),
    ("hi all, my review instance has been stuck for 40 minutes", "review-instance", "greeting"),
    ("Can someone invite me to Sentry?", "sentry-access", "neighbour"),
    ("sentry acct for my team pls", "sentry-access", "abbreviation"),
    ("where can I find the grafana dashboards for my app", "dashboards", "order"),
    ("how do I add a Datadog monitor?", "dashboards", "neighbour"),
    ("socks proxy setup?", "socks-proxy", "order"),
    ("hello! I can't get to internal tools over socks", "socks-proxy", "greeting"),
    ("when's the next prod deploy?", "deploy-schedule", "abbreviation"),
    ("what time does vets-website deploy to production", "deploy-schedule", "neighbour"),
    ("can someone add me to the github org", "github-team", "abbreviation"),
    ("GitHub team membership for me?", "github-team", "order"),
    ("how do I add an env var for vets-api", "parameter-store", "abbreviation"),
    ("where do secrets go, parameter store?", "parameter-store", "order"),
    ("my jenkins build failed, how do I rerun it", "rerun-ci", "order"),
    ("hey, a GitHub Actions job failed, how do I re-run it?", "rerun-ci", "neighbour"),
    ("can somebody review my devops PR", "devops-review", "order"),
    ("who reviews PRs to the devops repo?", "devops-review", "abbreviation"),
    # Near misses: the same words asking another question, or a subject no answer covers.
    ("The AWS console is down for me", None, "same words"),
    ("what is the AWS console URL for staging?", None, "same words"),
    ("How do I get access to Grafana?", None, "other subject"),
    ("How do I delete a review instance?", None, "same words"),
    ("Sentry is showing a spike of errors in vets-api", None, "same words"),
    ("Is there a deploy freeze this week?", None, "same words"),
    ("the SOCKS proxy config has a typo in my key", None, "same words"),
    ("who owns the Grafana dashboards repository?", None, "same words"),
    ("deploy failed on vets-api", None, "other subject"),
    ("How do I get access to PagerDuty?", None, "other subject"),
    ("Can someone approve my access request for Slack?", None, "other subject"),
    ("vets-api returns 500 on the claims endpoint", None, "other subject"),
    ("Is staging down?", None, "other subject"),
]

HELD_OUT: list[Case] = [
    ("need AWS console access for a new teammate", "aws-console", "neighbour"),
    ("Morning! cannot login to the aws console since yesterday", "aws-console", "greeting"),
    ("AWS CLI credentials, how do I get them?", "aws-console", "neighbour"),
    ("my review instance won't come up", "review-instance", "order"),
    ("RI stuck, can someone help?", "review-instance", "abbreviation"),
    ("how to get a Sentry account", "sentry-access", "order"),
    ("hi! can I be invited to our team in sentry?", "sentry-access", "greeting"),
    ("grafana dashboard for vets-api, where is it?", "dashboards", "order"),
    ("can't reach internal tools via the SOCKS tunnel", "socks-proxy", "neighbour"),
    ("hey folks, how do I set up socks?", "socks-proxy", "greeting"),
    ("when does the daily deploy go out to prod?", "deploy-schedule", "abbreviation"),
    ("please add me to our github team :pray:", "github-team", "greeting"),
    ("where do environment variables for vets-api go?", "parameter-store", "order"),
    ("restart a failed CI job?", "rerun-ci", "order"),
    ("could someone take a look at my PR in the devops repository", "devops-review", "order"),
    ("The AWS console is slow today", None, "same words"),
    ("Who approved the AWS console change last night?", None, "same words"),
    ("Why is my review instance using the old database?", None, "same words"),
    ("How do I remove someone from Sentry?", None, "same words"),
    ("Grafana is down", None, "same words"),
    ("the daily deploy broke the claims form", None, "same words"),
    ("How do I archive a GitHub repository?", None, "same words"),
    ("Parameter Store returns AccessDenied in the pipeline", None, "same words"),
    ("How do I get access to Jira?", None, "other subject"),
    ("Is the VA network having issues?", None, "other subject"),
    ("can someone help me with a Terraform plan", None, "other subject"),
]

# Written after the method and its threshold were frozen, and run once: the figure to trust.
FRESH: list[Case] = [
    ("yo, is there a way to get AWS console access for me?", "aws-console", "greeting"),
    ("aws login not working for me", "aws-console", "abbreviation"),
    ("review instance for my PR is broken", "review-instance", "order"),
    ("how do i kick a stuck review instance", "review-instance", "order"),
    ("Sentry invite please", "sentry-access", "order"),
    ("who can give me access to sentry", "sentry-access", "order"),
    ("link to the grafana dashboards?", "dashboards", "order"),
    ("socks proxy not working since this morning", "socks-proxy", "greeting"),
    ("what's the prod deploy schedule", "deploy-schedule", "abbreviation"),
    ("add me to the GitHub org please", "github-team", "abbreviation"),
    ("where should I store an API key for vets-api", "parameter-store", "neighbour"),
    ("rerun failed jenkins job", "rerun-ci", "order"),
    ("PR review needed in devops", "devops-review", "order"),
    ("AWS console shows the wrong account", None, "same words"),
    ("how do I create a new review instance type?", None, "same words"),
    ("Sentry alerts are too noisy, can we mute them?", None, "same words"),
    ("can you add a Grafana datasource for Postgres?", None, "same words"),
    ("who maintains the socks proxy?", None, "same words"),
    ("Can we move the daily deploy to 10am?", None, "same words"),
    ("GitHub is down", None, "same words"),
    ("rotate the Parameter Store secrets for vets-api", None, "same words"),
    ("Jenkins is out of disk space", None, "same words"),
    ("Who is on support this week?", None, "other subject"),
]

# Written after the matcher was changed on what "fresh" showed (a word no answer uses now stops an answer; a
# request must say something of an example), then frozen again and run once.
FINAL: list[Case] = [
    ("hello, what's the process for getting into the AWS console?", "aws-console", "greeting"),
    ("AWS console login help", "aws-console", "order"),
    ("review instance keeps failing to come up", "review-instance", "order"),
    ("can't get my review instance to come up", "review-instance", "order"),
    ("Sentry account?", "sentry-access", "order"),
    ("can I get added to sentry", "sentry-access", "order"),
    ("grafana dashboards location", "dashboards", "order"),
    ("where do I find our Grafana dashboard", "dashboards", "order"),
    ("SOCKS setup instructions?", "socks-proxy", "order"),
    ("how to configure the socks proxy", "socks-proxy", "order"),
    ("when do deploys go to production?", "deploy-schedule", "order"),
    ("next deploy time?", "deploy-schedule", "order"),
    ("need to be added to the github org", "github-team", "abbreviation"),
    ("where do I add a secret for vets-api", "parameter-store", "neighbour"),
    ("restart my failed jenkins build pls", "rerun-ci", "order"),
    ("can someone re-run my CI job", "rerun-ci", "order"),
    ("need a review on my devops pull request", "devops-review", "order"),
    ("the aws console logs me out every hour", None, "same words"),
    ("review instance costs are too high", None, "same words"),
    ("Sentry project settings for vets-api", None, "same words"),
    ("who built the grafana dashboards?", None, "same words"),
    ("socks proxy vs VPN, which is better?", None, "same words"),
    ("deploy to production failed", None, "same words"),
    ("github actions minutes are running out", None, "same words"),
    ("how do I read a secret from Parameter Store in Python?", None, "same words"),
    ("can someone review my terraform plan", None, "same words"),
    ("how do I get access to the VA network?", None, "other subject"),
]


def token_set_matcher(answers: Sequence[Answer], min_score: float = 88) -> Callable[[str], str | None]:
    """The matcher this replaced: rapidfuzz's token-set ratio of the meaningful words against each example."""
    examples = [(meaningful(e), a.key) for a in answers for e in a.examples]

    def best(text: str) -> str | None:
        words = meaningful(text)
        if not words:
            return None
        found = process.extractOne(words, [e for e, _ in examples], scorer=fuzz.token_set_ratio)
        return examples[found[2]][1] if found and found[1] >= min_score else None
    return best


def measure(name: str, cases: list[Case], answer_of: Callable[[str], str | None]) -> tuple[float, float]:
    right = wrong = missed = 0
    for text, expected, _ in cases:
        got = answer_of(text)
        if got is not None and got == expected:
            right += 1
        elif got is not None:
            wrong += 1  # a wrong answer, or an answer to a near miss
        elif expected is not None:
            missed += 1
    precision = right / (right + wrong) if right + wrong else 1.0
    recall = right / sum(1 for _, e, _ in cases if e is not None)
    print(f"  {name:<32} precision {precision:6.1%}  recall {recall:6.1%}  "
          f"({right} right, {wrong} wrong, {missed} missed)")
    return precision, recall


def main() -> None:
    answers = load_answers(ROOT / "benchmarks" / "answers_set.toml")
    matcher = Matcher(answers)
    old = token_set_matcher(answers)

    def new(text: str) -> str | None:
        found = matcher.match(text, Matcher.DEFAULT_MIN_SCORE)
        return found.answer.key if found else None

    every = TUNING + HELD_OUT + FRESH + FINAL
    for title, cases in (("tuning", TUNING), ("held out", HELD_OUT), ("fresh", FRESH), ("final", FINAL),
                         ("all", every)):
        positives = sum(1 for _, e, _ in cases if e is not None)
        print(f"{title}: {len(cases)} requests ({positives} should be answered, {len(cases) - positives} near misses)")
        measure("before: token-set ratio >= 88", cases, old)
        measure(f"after: {Matcher.METHOD} >= {Matcher.DEFAULT_MIN_SCORE:g}", cases, new)
    if "--verbose" in sys.argv:
        for text, expected, kind in every:
            best = matcher.best(text)
            print(f"{kind:>14} want {expected or '-':<16} best {best.answer.key if best else '-':<16} "
                  f"{best.score if best else 0:5.1f}  {best.why if best else ''}  | {text}")
    started = time.perf_counter()
    for _ in range(20):
        for text, _, _ in every:
            matcher.best(text)
    per = (time.perf_counter() - started) / (20 * len(every))
    print(f"time: {per * 1e3:.2f} ms per request against {len(answers)} answers")


if __name__ == "__main__":
    main()
