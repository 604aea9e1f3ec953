"""GitHub's objects in full, as its REST API spells them: every field its description requires.

The fake keeps only what a world models (a login, a title, labels by name);
these functions complete each object with the fields GitHub always sends,
derived the way GitHub derives them (`url` from the API origin, hypermedia
templates such as `{/number}`, nulls for what the world does not hold), so
a client that reads `events_url` or `milestone` sees what it would see in
production. tests/test_contracts.py checks them against GitHub's OpenAPI
description.
"""

from __future__ import annotations

from typing import Any

WEB = "https://github.sandbox"
EPOCH = "2026-01-05T14:00:00Z"

# The hypermedia fields of a repository, as GitHub writes them (suffixes of the repository's API URL).
REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
    "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}
USER_URLS = {
    "events_url": "/events{/privacy}", "followers_url": "/followers", "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}", "organizations_url": "/orgs", "received_events_url": "/received_events",
    "repos_url": "/repos", "starred_url": "/starred{/owner}{/repo}", "subscriptions_url": "/subscriptions",
}


def user(api: str, login: str, uid: int, *, kind: str = "User") -> dict[str, Any]:
    """A simple-user: what GitHub embeds wherever a person is named."""
    url = f"{api}/users/{login}"
    return {"login": login, "id": uid, "node_id": f"U_{uid}", "avatar_url": f"{WEB}/avatars/{uid}", "gravatar_id": "",
            "url": url, "html_url": f"{WEB}/{login}", "type": kind, "site_admin": False,
            **{name: url + suffix for name, suffix in USER_URLS.items()}}


def public_user(api: str, login: str, uid: int, *, name: str | None, kind: str = "User") -> dict[str, Any]:
    """GET /users/{username}: the simple-user plus the profile."""
    return {**user(api, login, uid, kind=kind), "name": name, "company": None, "blog": "", "location": None,
            "email": None, "hireable": None, "bio": None, "public_repos": 0, "public_gists": 0, "followers": 0,
            "following": 0, "created_at": EPOCH, "updated_at": EPOCH, "user_view_type": "public"}


def minimal_repository(api: str, full_name: str, rid: int, owner: dict[str, Any], *, private: bool = False,
                       description: str | None = None) -> dict[str, Any]:
    url = f"{api}/repos/{full_name}"
    return {"id": rid, "node_id": f"R_{rid}", "name": full_name.split("/")[1], "full_name": full_name,
            "owner": owner, "private": private, "html_url": f"{WEB}/{full_name}", "description": description,
            "fork": False, "url": url, **{name: url + suffix for name, suffix in REPO_URLS.items()}}


def full_repository(api: str, full_name: str, rid: int, owner: dict[str, Any], *, private: bool,
                    default_branch: str, permissions: dict[str, bool], open_issues: int) -> dict[str, Any]:
    return {
        **minimal_repository(api, full_name, rid, owner, private=private),
        "clone_url": f"{WEB}/{full_name}.git", "git_url": f"git://github.sandbox/{full_name}.git",
        "ssh_url": f"git@github.sandbox:{full_name}.git", "svn_url": f"{WEB}/{full_name}", "mirror_url": None,
        "homepage": None, "language": None, "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0,
        "watchers_count": 0, "size": 0, "default_branch": default_branch, "open_issues": open_issues,
        "open_issues_count": open_issues, "is_template": False, "topics": [], "has_issues": True,
        "has_projects": True, "has_wiki": True, "has_pages": False, "has_downloads": True, "has_discussions": False,
        "archived": False, "disabled": False, "visibility": "private" if private else "public", "license": None,
        "pushed_at": EPOCH, "created_at": EPOCH, "updated_at": EPOCH, "permissions": permissions,
        "network_count": 0, "subscribers_count": 0,
    }


def label(api: str, full_name: str, name: str, lid: int, *, color: str, description: str | None) -> dict[str, Any]:
    return {"id": lid, "node_id": f"LA_{lid}", "url": f"{api}/repos/{full_name}/labels/{name}", "name": name,
            "description": description, "color": color, "default": False}


def issue(api: str, full_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An issue from the fields a fake fills (number, title, user, labels...); the rest as GitHub sends them."""
    base = f"{api}/repos/{full_name}"
    number = fields["number"]
    return {"milestone": None, "active_lock_reason": None, "author_association": "MEMBER",
            "performed_via_github_app": None, "draft": False,
            "labels_url": f"{base}/issues/{number}/labels{{/name}}", "events_url": f"{base}/issues/{number}/events",
            "timeline_url": f"{base}/issues/{number}/timeline", **fields}


def pull_request(api: str, full_name: str, fields: dict[str, Any], *, head: dict[str, Any],
                 base: dict[str, Any]) -> dict[str, Any]:
    """A pull request: `fields` from the fake, `head` and `base` as {ref, sha, repo, user}."""
    url = f"{api}/repos/{full_name}"
    number = fields["number"]
    links = {"self": f"{url}/pulls/{number}", "html": f"{WEB}/{full_name}/pull/{number}",
             "issue": f"{url}/issues/{number}", "comments": f"{url}/issues/{number}/comments",
             "review_comments": f"{url}/pulls/{number}/comments", "review_comment": f"{url}/pulls/comments{{/number}}",
             "commits": f"{url}/pulls/{number}/commits", "statuses": f"{url}/statuses/{head['sha']}"}
    merged = bool(fields.get("merged"))
    return {
        "url": links["self"], "issue_url": links["issue"], "diff_url": f"{links['html']}.diff",
        "patch_url": f"{links['html']}.patch", "commits_url": links["commits"],
        "review_comments_url": links["review_comments"], "review_comment_url": links["review_comment"],
        "comments_url": links["comments"], "statuses_url": links["statuses"], "locked": False,
        "active_lock_reason": None, "milestone": None, "closed_at": None, "merged_at": None, "merge_commit_sha": None,
        "assignee": (fields.get("assignees") or [None])[0], "requested_teams": [], "author_association": "MEMBER",
        "auto_merge": None, "mergeable": None, "rebaseable": None, "mergeable_state": "unknown",
        "merged_by": None, "review_comments": 0, "maintainer_can_modify": False, "commits": 1, "additions": 0,
        "deletions": 0, "changed_files": 0,
        "_links": {name: {"href": href} for name, href in links.items()},
        **fields, "merged": merged,
        "head": {"label": f"{head['user']['login']}:{head['ref']}", **head},
        "base": {"label": f"{base['user']['login']}:{base['ref']}", **base},
    }


def issue_comment(api: str, full_name: str, number: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {"author_association": "MEMBER", "performed_via_github_app": None,
            "issue_url": f"{api}/repos/{full_name}/issues/{number}", **fields}


def content(api: str, full_name: str, path: str, *, ref: str, sha: str, size: int) -> dict[str, Any]:
    """A file's entry in the contents API (a directory listing holds these without content)."""
    url = f"{api}/repos/{full_name}/contents/{path}?ref={ref}"
    git = f"{api}/repos/{full_name}/git/blobs/{sha}"
    html = f"{WEB}/{full_name}/blob/{ref}/{path}"
    return {"type": "file", "size": size, "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha, "url": url,
            "git_url": git, "html_url": html, "download_url": f"https://raw.github.sandbox/{full_name}/{ref}/{path}",
            "_links": {"self": url, "git": git, "html": html}}


def git_user(name: str, date: str | None) -> dict[str, Any]:
    return {"name": name, "email": f"{name or 'someone'}@users.noreply.github.sandbox", "date": date or EPOCH}


def commit(api: str, full_name: str, sha: str, *, message: str, author: dict[str, Any] | None,
           author_name: str, date: str | None) -> dict[str, Any]:
    url = f"{api}/repos/{full_name}/commits/{sha}"
    return {"sha": sha, "node_id": f"C_{sha}", "url": url, "html_url": f"{WEB}/{full_name}/commit/{sha}",
            "comments_url": f"{url}/comments", "author": author, "committer": author, "parents": [],
            "commit": {"message": message, "url": f"{api}/repos/{full_name}/git/commits/{sha}", "comment_count": 0,
                       "author": git_user(author_name, date), "committer": git_user(author_name, date),
                       "tree": {"sha": sha, "url": f"{api}/repos/{full_name}/git/trees/{sha}"}}}


def diff_entry(api: str, full_name: str, filename: str, head: str) -> dict[str, Any]:
    return {"sha": head, "filename": filename, "status": "modified", "additions": 0, "deletions": 0, "changes": 0,
            "blob_url": f"{WEB}/{full_name}/blob/{head}/{filename}",
            "raw_url": f"{WEB}/{full_name}/raw/{head}/{filename}",
            "contents_url": f"{api}/repos/{full_name}/contents/{filename}?ref={head}"}


def workflow(api: str, full_name: str, file: str, wid: int, name: str, state: str = "active") -> dict[str, Any]:
    return {"id": wid, "node_id": f"W_{wid}", "name": name, "path": f".github/workflows/{file}", "state": state,
            "created_at": EPOCH, "updated_at": EPOCH, "url": f"{api}/repos/{full_name}/actions/workflows/{wid}",
            "html_url": f"{WEB}/{full_name}/blob/main/.github/workflows/{file}",
            "badge_url": f"{WEB}/{full_name}/workflows/{name}/badge.svg"}


def workflow_run(api: str, full_name: str, fields: dict[str, Any], *, repository: dict[str, Any],
                 workflow_path: str, title: str) -> dict[str, Any]:
    url = f"{api}/repos/{full_name}/actions/runs/{fields['id']}"
    return {
        "display_title": title, "path": workflow_path, "run_attempt": 1, "check_suite_url": f"{url}/check-suite",
        "cancel_url": f"{url}/cancel", "rerun_url": f"{url}/rerun", "artifacts_url": f"{url}/artifacts",
        "workflow_url": f"{api}/repos/{full_name}/actions/workflows/{fields['workflow_id']}", "pull_requests": [],
        "head_commit": {"id": fields["head_sha"], "tree_id": fields["head_sha"], "message": title,
                        "timestamp": fields["created_at"], "author": None, "committer": None},
        "repository": repository, "head_repository": repository, **fields,
    }


def job(api: str, full_name: str, fields: dict[str, Any], *, run_id: int, workflow_name: str,
        head_branch: str) -> dict[str, Any]:
    return {"node_id": f"CR_{fields['id']}", "run_url": f"{api}/repos/{full_name}/actions/runs/{run_id}",
            "check_run_url": f"{api}/repos/{full_name}/check-runs/{fields['id']}", "workflow_name": workflow_name,
            "head_branch": head_branch, "labels": ["ubuntu-latest"], "runner_id": 1, "runner_name": "GitHub Actions 1",
            "runner_group_id": 1, "runner_group_name": "GitHub Actions", "created_at": fields["started_at"],
            "run_attempt": 1, **fields}


def installation(api: str, fields: dict[str, Any], *, account: dict[str, Any], app_id: int, app_slug: str,
                 permissions: dict[str, str]) -> dict[str, Any]:
    """A GitHub App's installation on an account (GET /repos/{o}/{r}/installation and the other lookups)."""
    iid = fields["id"]
    return {"id": iid, "account": account, "app_id": app_id, "app_slug": app_slug, "client_id": f"Iv1.sandbox{app_id}",
            "target_id": account["id"], "target_type": fields.get("target_type", "Organization"),
            "repository_selection": fields["repository_selection"], "single_file_name": None,
            "access_tokens_url": f"{api}/app/installations/{iid}/access_tokens",
            "repositories_url": f"{api}/installation/repositories",
            "html_url": f"{WEB}/organizations/{account['login']}/settings/installations/{iid}",
            "events": [], "permissions": permissions, "created_at": EPOCH, "updated_at": EPOCH,
            "suspended_by": None, "suspended_at": None}
