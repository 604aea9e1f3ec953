"""Keyless Google from GitHub Actions: the runner's OIDC token, Google's STS and IAM Credentials, as fakes.

The chain google-auth follows with the external-account file that
google-github-actions/auth writes:

1. the runner's token service (ACTIONS_ID_TOKEN_REQUEST_URL, bearer
   ACTIONS_ID_TOKEN_REQUEST_TOKEN) answers {"value": <a JWT>} for the asked
   audience, signed by GitHub's issuer, naming the repository;
2. STS (POST https://sts.googleapis.com/v1/token, RFC 8693 token exchange)
   checks that JWT against the workload identity provider (its audience and
   the repository it admits) and answers a federated access token;
3. IAM Credentials (POST .../serviceAccounts/EMAIL:generateAccessToken), with
   that token, answers the service account's access token, which the Sheets
   fake accepts (a sheet is shared with the service account's email; a
   federated token alone is refused, as Drive sharing cannot name it).

World: "google": {"workload_identity": {"provider": "projects/N/locations/global/workloadIdentityPools/P/providers/Q",
"repository": "owner/name" (the provider's attribute condition admits this one), "service_account":
"name@project.iam.gserviceaccount.com"}, "runner_repository": "owner/name" (whose workflow the runner's tokens
name; default department-of-veterans-affairs/oncall-support)}. Optional: without it STS refuses every exchange.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from oncall_lib.sandbox.http import FakeRequest, FakeResponse, Host, Routes, bearer_token

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_LIFETIME = timedelta(hours=1)
# The runner's token service as the sandbox's Actions would set it: ACTIONS_ID_TOKEN_REQUEST_URL (this origin, then
# /idtoken?api-version=2.0) and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
SANDBOX_ACTIONS_ORIGIN = "https://pipelines.actions.githubusercontent.com/sandbox"
SANDBOX_ACTIONS_ID_TOKEN_URL = SANDBOX_ACTIONS_ORIGIN + "/idtoken?api-version=2.0"
SANDBOX_REQUEST_TOKEN = "sandbox-actions-id-token-request-token"


@cache
def issuer_key() -> tuple[str, str]:
    """(private, public) PEM of the sandbox's stand-in for GitHub's OIDC signing key, made once per process."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def _identity(server: Host) -> dict[str, Any]:
    return ((server.world.get("google") or {}).get("workload_identity")) or {}


def google_tokens(server: Host) -> dict[str, dict[str, Any]]:
    """Access tokens STS and IAM Credentials handed out in this run: token -> {principal, expires}."""
    return server.google_tokens


def _google_error(status: int, message: str, reason: str) -> FakeResponse:
    return FakeResponse(status, {"error": {"code": status, "message": message, "status": reason}})


class _Fake:
    def __init__(self, server: Host) -> None:
        self.server = server
        self.routes = Routes()

    def is_write(self, request: FakeRequest) -> bool:
        return False  # minting a token changes nothing anyone sees

    def rate_limited(self, retry_after: int) -> FakeResponse:
        return _google_error(429, "Quota exceeded", "RESOURCE_EXHAUSTED")

    def server_error(self) -> FakeResponse:
        return _google_error(503, "The service is currently unavailable.", "UNAVAILABLE")

    def handle(self, request: FakeRequest) -> FakeResponse:
        found = self.routes.find(request.method, request.path)
        if not found:
            return _google_error(404, "Not found", "NOT_FOUND")
        handler, params = found
        return handler(request, **params)


class ActionsOidcFake(_Fake):
    """The runner's OIDC token service: GET ...?audience=A with the request token -> {"value": JWT}."""

    def __init__(self, server: Host) -> None:
        super().__init__(server)
        self.routes.add("GET", r"/idtoken", self.id_token)

    def id_token(self, request: FakeRequest) -> FakeResponse:
        import jwt

        if bearer_token(request) != SANDBOX_REQUEST_TOKEN:
            return FakeResponse(401, {"message": "Unauthorized"})
        now = int(self.server.now().timestamp())
        # The repository whose workflow asks: the sandbox's runner runs the product's (a world may say a fork's).
        repository = str((self.server.world.get("google") or {}).get("runner_repository",
                                                                     "department-of-veterans-affairs/oncall-support"))
        claims = {"iss": GITHUB_ISSUER, "aud": request.arg("audience") or f"https://github.com/{repository.split('/')[0]}",
                  "sub": f"repo:{repository}:ref:refs/heads/main", "repository": repository,
                  "repository_owner": repository.split("/")[0], "ref": "refs/heads/main", "iat": now, "nbf": now - 5,
                  "exp": now + 300}
        return FakeResponse(200, {"count": 1, "value": jwt.encode(claims, issuer_key()[0], algorithm="RS256")})


class StsFake(_Fake):
    """POST /v1/token: an RFC 8693 exchange of GitHub's OIDC token for a federated access token."""

    def __init__(self, server: Host) -> None:
        super().__init__(server)
        self.routes.add("POST", r"/v1/token", self.token)

    @staticmethod
    def _refused(error: str, description: str) -> FakeResponse:
        # STS answers token-endpoint errors in OAuth's shape (RFC 6749 section 5.2).
        return FakeResponse(400, {"error": error, "error_description": description})

    def token(self, request: FakeRequest) -> FakeResponse:
        import jwt

        form = request.form() if "json" not in request.headers.get("content-type", "") else {
            _snake(k): str(v) for k, v in request.json().items()}
        identity = _identity(self.server)
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
            return self._refused("unsupported_grant_type", "Unsupported grant type.")
        if form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt":
            return self._refused("invalid_request", "Invalid subject token type.")
        provider = str(identity.get("provider", ""))
        if not provider or form.get("audience") != f"//iam.googleapis.com/{provider}":
            return self._refused("invalid_target", "The target service indicated by the \"audience\" parameters is "
                                                   "invalid. This might either be because the pool or provider is "
                                                   "disabled or deleted or because it doesn't exist.")
        try:
            claims = jwt.decode(form.get("subject_token", ""), issuer_key()[1], algorithms=["RS256"],
                                audience=f"https://iam.googleapis.com/{provider}", issuer=GITHUB_ISSUER,
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.PyJWTError as exc:
            return self._refused("invalid_grant", f"The audience or signature of the ID token is invalid: {exc}")
        if claims.get("exp", 0) <= self.server.now().timestamp():
            return self._refused("invalid_grant", "ID Token issued at ... is stale to sign-in.")
        if str(claims.get("repository", "")).lower() != str(identity.get("repository", "")).lower():
            return self._refused("unauthorized_client", "The given credential is rejected by the attribute "
                                                        "condition.")
        token = "ya29.sandbox-federated-" + secrets.token_urlsafe(24)
        google_tokens(self.server)[token] = {"principal": f"principal://iam.googleapis.com/{provider}/subject/"
                                                          f"{claims.get('sub')}",
                                             "expires": self.server.now() + TOKEN_LIFETIME}
        return FakeResponse(200, {"access_token": token, "issued_token_type": form.get(
            "requested_token_type", "urn:ietf:params:oauth:token-type:access_token"), "token_type": "Bearer",
                                  "expires_in": int(TOKEN_LIFETIME.total_seconds())})


class IamCredentialsFake(_Fake):
    """POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken, with a federated token allowed to act as
    the service account (roles/iam.workloadIdentityUser for the repository)."""

    def __init__(self, server: Host) -> None:
        super().__init__(server)
        self.routes.add("POST", r"/v1/projects/(?P<project>[^/]+)/serviceAccounts/(?P<account>[^/:]+)"
                                r":generateAccessToken", self.generate_access_token)

    def generate_access_token(self, request: FakeRequest, project: str, account: str) -> FakeResponse:
        caller = google_tokens(self.server).get(bearer_token(request) or "")
        if caller is None or caller["expires"] <= self.server.now():
            return _google_error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        if account != _identity(self.server).get("service_account"):
            return _google_error(403, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it "
                                      "may not exist).", "PERMISSION_DENIED")
        lifetime = timedelta(seconds=min(float(str(request.json().get("lifetime") or "3600s").rstrip("s")), 3600))
        token = "ya29.sandbox-service-account-" + secrets.token_urlsafe(24)
        google_tokens(self.server)[token] = {"principal": f"serviceAccount:{account}",
                                             "expires": self.server.now() + lifetime}
        # expireTime on the machine's clock, which google-auth compares it with; the Sheets fake measures the
        # token's hour on the sandbox's clock (a test's clock can stand anywhere).
        expires = datetime.now(UTC) + lifetime
        return FakeResponse(200, {"accessToken": token, "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})


def sheets_refuses(server: Host, token: str, sheet: dict[str, Any]) -> FakeResponse | None:
    """The Sheets fake's check of a token STS or IAM Credentials handed out (None: allowed). Other tokens are the
    service-account-key path's, which the sandbox does not sign."""
    minted = google_tokens(server).get(token)
    if minted is None:
        return None
    if minted["expires"] <= server.now():
        return _google_error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
    principal = str(minted["principal"])
    shared = sheet.get("shared_with")
    if not principal.startswith("serviceAccount:") or (shared is not None and principal.split(":", 1)[1] not in shared):
        return _google_error(403, "The caller does not have permission", "PERMISSION_DENIED")
    return None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def actions_credentials_file(provider: str, service_account: str | None, *,
                             request_url: str = SANDBOX_ACTIONS_ID_TOKEN_URL,
                             request_token: str = SANDBOX_REQUEST_TOKEN) -> dict[str, Any]:
    """The external-account file google-github-actions/auth writes (createCredentialsFile), field for field."""
    data: dict[str, Any] = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{provider}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {
            "url": f"{request_url}&audience=https%3A%2F%2Fiam.googleapis.com%2F{provider.replace('/', '%2F')}",
            "headers": {"Authorization": f"Bearer {request_token}"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        },
    }
    if service_account:
        data["service_account_impersonation_url"] = ("https://iamcredentials.googleapis.com/v1/projects/-/"
                                                     f"serviceAccounts/{service_account}:generateAccessToken")
    return data
