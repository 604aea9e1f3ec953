"""Errors that end up as one line for a person, never a traceback."""

from __future__ import annotations


class OncallError(Exception):
    """Base: `str(error)` is the one line a person sees."""

    exit_code = 1


class InputError(OncallError):
    """Bad input from the person running the job (a flag, a file, a world): exit 2, nothing written."""

    exit_code = 2


class MissingSecret(InputError):
    def __init__(self, variable: str, purpose: str) -> None:
        super().__init__(f"environment variable {variable} is not set ({purpose}); see docs/credentials.md")


class ServiceError(OncallError):
    """An external API refused or failed a call. The message names the service and the call."""


class Gone(ServiceError):
    """What a run was started for no longer exists: an issue deleted (GitHub answers 410 Gone) or a comment deleted
    (404 while its issue reads fine) before the run read it. Nothing is left to do; the run ends green."""
