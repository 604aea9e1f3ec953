"""AWS IAM through boto3: the credential report.

GenerateCredentialReport is called until AWS says the report is COMPLETE
(within a bound), then GetCredentialReport. Both only read the account, so
they count as reads. boto3's standard retry mode handles throttling.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from oncall_lib.errors import InputError, ServiceError
from oncall_lib.services.calls import ApiCalls

PERMISSIONS = "iam:GenerateCredentialReport and iam:GetCredentialReport"
# GetCredentialReport's answers that mean "generate (again) and wait": being built, never built, too old.
NOT_READY = ("ReportInProgress", "ReportNotPresent", "ReportExpired")


NO_CREDENTIALS = ("no AWS credentials to read the IAM credential report: in GitHub Actions, set the repository "
                  "variable IAM_AUDIT_ROLE_ARN (the role the workflow assumes through GitHub's OIDC provider); "
                  "locally, pass --credential-report FILE (an exported report) or set AWS credentials (AWS_PROFILE, "
                  "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")


class _NotReady(Exception):
    pass


class IamService:
    def __init__(self, calls: ApiCalls, *, region: str, endpoint_url: str | None = None,
                 credentials: dict[str, str] | None = None, poll_seconds: float = 2.0, max_wait: float = 60.0) -> None:
        session = boto3.session.Session(region_name=region, **(credentials or {}))
        self._client = session.client("iam", endpoint_url=endpoint_url,
                                      config=BotoConfig(retries={"mode": "standard", "max_attempts": 5}))

        def count(request: Any = None, **_: Any) -> None:
            # botocore's standard retry mode says which attempt this is: amz-sdk-request: attempt=N; max=M.
            raw = (request.headers.get("amz-sdk-request") if request is not None else None) or ""
            header = raw.decode() if isinstance(raw, bytes) else str(raw)
            attempt = next((part.split("=", 1)[1] for part in header.replace(" ", "").split(";")
                            if part.startswith("attempt=")), "1")
            calls.record("iam", write=False, retry=attempt != "1")

        self._client.meta.events.register("before-send.iam", count)
        self._poll, self._max_wait = poll_seconds, max_wait

    def _call(self, operation: str) -> dict[str, Any]:
        try:
            return dict(getattr(self._client, operation)())
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "?")
            if code in NOT_READY and operation == "get_credential_report":
                raise _NotReady(code) from None
            hint = f" (the role needs {PERMISSIONS})" if code in ("AccessDenied", "AccessDeniedException") else ""
            raise ServiceError(f"IAM {operation}: {code}: {error.get('Message', '')}{hint}") from None
        except NoCredentialsError:
            # Like a missing secret: the run needs setting up, not retrying (exit 2, naming what to set).
            raise InputError(NO_CREDENTIALS) from None
        except BotoCoreError as exc:
            raise ServiceError(f"IAM {operation}: {exc}") from None

    def can_generate_report(self) -> None:
        """Raises ServiceError (naming the permission) when the role may not generate the credential report."""
        self._call("generate_credential_report")

    def credential_report(self) -> str:
        """Generate until AWS says COMPLETE, then fetch; a fetch that finds the report still being built (another
        caller started it) or gone goes back to waiting, within the same bound."""
        deadline = time.monotonic() + self._max_wait
        while True:
            if self._call("generate_credential_report").get("State") == "COMPLETE":
                try:
                    content = self._call("get_credential_report").get("Content", b"")
                    return content.decode("utf-8") if isinstance(content, bytes) else str(content)
                except _NotReady:
                    pass
            if time.monotonic() > deadline:
                raise ServiceError(f"IAM credential report still not ready after {self._max_wait:.0f} s; try again")
            time.sleep(self._poll)
