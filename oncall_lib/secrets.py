"""The secrets the product reads, their expected shapes, and the one scrubber for everything it prints.

A secret is read only from the environment, checked for its shape when read
(a pasted token with a line break inside would otherwise reach an HTTP header,
and the SDK's error message would repeat it), and remembered so that
`scrub` can blank it out of every error, report, summary and log line.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from dataclasses import dataclass

from oncall_lib.errors import InputError, MissingSecret


@dataclass(frozen=True)
class Secret:
    name: str
    purpose: str
    # What a well-formed value looks like, and the words to say so (never the value itself).
    pattern: re.Pattern[str] | None = None
    shape: str = ""


_TOKEN = re.compile(r"[A-Za-z0-9_\-+=./:]+")
# A PEM private key as GitHub hands it out (PKCS#1, "BEGIN RSA PRIVATE KEY") or converted to PKCS#8.
_PEM_KEY = re.compile(r"-----BEGIN (RSA )?PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END (RSA )?PRIVATE KEY-----")

# The GitHub App's two variables: set both (the recommended credentials) or neither (then ONCALL_GITHUB_TOKEN).
GITHUB_APP_VARIABLES = ("ONCALL_GITHUB_APP_ID", "ONCALL_GITHUB_APP_PRIVATE_KEY")

SECRETS: dict[str, Secret] = {s.name: s for s in (
    Secret("ONCALL_GITHUB_APP_ID", "the GitHub App's id, with ONCALL_GITHUB_APP_PRIVATE_KEY: the recommended GitHub "
                                   "credentials (or a fine-grained token as ONCALL_GITHUB_TOKEN)",
           re.compile(r"[0-9]+"), "the App's numeric id (the App's settings > General > App ID)"),
    Secret("ONCALL_GITHUB_APP_PRIVATE_KEY", "the GitHub App's private key (the .pem file the App's settings "
                                            "generate), with ONCALL_GITHUB_APP_ID"),
    Secret("ONCALL_GITHUB_TOKEN", "GitHub token for issues, assignees and pull requests: a fine-grained token, or "
                                  "set the GitHub App's ONCALL_GITHUB_APP_ID and ONCALL_GITHUB_APP_PRIVATE_KEY instead",
           re.compile(r"[A-Za-z0-9_]+"), "letters, digits and underscores (ghs_..., github_pat_..., ghp_...)"),
    Secret("SLACK_BOT_TOKEN", "Slack bot token (xoxb-...) of the oncall app",
           re.compile(r"xoxb-[A-Za-z0-9\-]+"), "xoxb- followed by letters, digits and dashes"),
    Secret("PAGERDUTY_API_TOKEN", "PagerDuty REST API key with read access to schedules and users",
           _TOKEN, "one word with no spaces or line breaks"),
    Secret("GOOGLE_SERVICE_ACCOUNT_JSON",
           "Google service account key (JSON) with edit access to the tracking sheet; or, keyless, "
           "GOOGLE_APPLICATION_CREDENTIALS from google-github-actions/auth (Workload Identity Federation)"),
    Secret("ZENHUB_API_TOKEN", "ZenHub GraphQL API key (only when [epics] link_with = \"zenhub\")",
           _TOKEN, "one word with no spaces or line breaks"),
)}

_known: set[str] = set()
_lock = threading.Lock()


def remember(value: str) -> None:
    """Add a value to what `scrub` removes (each line of it too, and the key inside a JSON key file)."""
    parts = {value, *value.splitlines()}
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            key = str(data.get("private_key") or "")
            parts |= {key, str(data.get("private_key_id") or ""), *key.splitlines()}
    with _lock:
        # Short fragments (a brace, "-----BEGIN") would blank out ordinary words.
        _known.update(p.strip() for p in parts if len(p.strip()) >= 8 and "PRIVATE KEY" not in p)


def mask_in_actions_log(value: str) -> None:
    """Ask the Actions runner to mask a credential the product made itself (an installation token): the runner
    masks only the secrets it handed the step. `::add-mask::` on stderr, which the runner reads for workflow
    commands (stdout stays clean for --json)."""
    remember(value)
    for line in value.splitlines() or [value]:
        if line.strip():
            sys.stderr.write(f"::add-mask::{line.strip()}\n")
    sys.stderr.flush()


def scrub(text: str) -> str:
    """`text` with every secret value read so far replaced by ***."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, "***")
    return text


def checked(name: str, raw: str) -> str:
    """The secret's value with surrounding whitespace removed, or an InputError naming it (never its value)."""
    secret = SECRETS[name]
    value = raw.strip()
    if not value:
        raise MissingSecret(name, secret.purpose)
    remember(raw)
    if name == "GOOGLE_SERVICE_ACCOUNT_JSON":
        _check_key_file(value)
    elif name == "ONCALL_GITHUB_APP_PRIVATE_KEY":
        value = _pem_key(value)
    elif secret.pattern is not None and not secret.pattern.fullmatch(value):
        inside = " (it has a space or line break inside)" if any(c.isspace() for c in value) else ""
        raise InputError(f"environment variable {name} is not a well-formed {secret.purpose.split(' (')[0]}"
                         f"{inside}: expected {secret.shape}; paste it again")
    return value


def _check_key_file(value: str) -> None:
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError("environment variable GOOGLE_SERVICE_ACCOUNT_JSON is not JSON "
                         f"(line {exc.lineno}): paste the whole key file") from None
    missing = [k for k in ("type", "client_email", "private_key") if not isinstance(data, dict) or not data.get(k)]
    if missing or data.get("type") != "service_account":
        what = f"lacks {', '.join(missing)}" if missing else "is not of type service_account"
        raise InputError(f"environment variable GOOGLE_SERVICE_ACCOUNT_JSON {what}: use a service account's "
                         "JSON key file")


def _pem_key(value: str) -> str:
    """The App's key with real line breaks: a key pasted through a .env file often has them as a literal \\n."""
    if "\\n" in value and "\n" not in value:
        value = value.replace("\\n", "\n")
    value = value.replace("\r\n", "\n").strip()
    remember(value)
    if not _PEM_KEY.fullmatch(value):
        raise InputError("environment variable ONCALL_GITHUB_APP_PRIVATE_KEY is not a PEM private key: paste the "
                         "whole .pem file the App's settings generated, from -----BEGIN to -----END")
    return value


# Keyless Google: the file google-github-actions/auth writes and points GOOGLE_APPLICATION_CREDENTIALS at.
GOOGLE_CREDENTIALS_FILE = "GOOGLE_APPLICATION_CREDENTIALS"
_EXTERNAL_ACCOUNT_KEYS = ("audience", "subject_token_type", "token_url", "credential_source")
# Where an external-account file may send its tokens: Google's own endpoints only (google-auth does not check,
# and a file that sent the runner's OIDC token elsewhere would hand over the repository's identity).
_GOOGLE_TOKEN_ENDPOINTS = {"token_url": "https://sts.googleapis.com/",
                           "service_account_impersonation_url": "https://iamcredentials.googleapis.com/"}


def google_credentials_file(path: str) -> dict[str, object]:
    """The credentials file's content, checked for its shape; InputError naming the file and the key otherwise.

    An external account (Workload Identity Federation) or a service account key; the values that are secrets
    (the runner's token-request header, a private key) are remembered for `scrub`."""
    where = f"{GOOGLE_CREDENTIALS_FILE}={path}"
    try:
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 - read whole, closed at once
    except OSError as exc:
        raise InputError(f"{where}: cannot read the credentials file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON (line {exc.lineno}): the file google-github-actions/auth writes "
                         "is expected") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: not a credentials file (a JSON object is expected)")
    kind = data.get("type")
    if kind == "service_account":
        remember(json.dumps(data))  # its private key
        _check_key_file(json.dumps(data))
        return data
    if kind != "external_account":
        raise InputError(f"{where}: type {kind!r}: an external_account file (Workload Identity Federation) or a "
                         "service_account key is expected")
    missing = [k for k in _EXTERNAL_ACCOUNT_KEYS if not data.get(k)]
    if missing:
        raise InputError(f"{where}: lacks {', '.join(missing)}: write it with google-github-actions/auth")
    for key, prefix in _GOOGLE_TOKEN_ENDPOINTS.items():
        if key in data and not str(data[key]).startswith(prefix):
            raise InputError(f"{where}: {key} {str(data[key])[:80]!r} is not Google's ({prefix}...)")
    source = data["credential_source"]
    if isinstance(source, dict):
        for value in (source.get("headers") or {}).values():
            remember(str(value))
            remember(str(value).split(" ", 1)[-1])
    return data
