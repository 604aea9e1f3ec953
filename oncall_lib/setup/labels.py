"""Labels as code: `.github/labels.yml` in every configured repository.

Creates missing labels and brings colour and description in line; never
deletes a label, and never touches one the file does not list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from oncall_lib.config import Config
from oncall_lib.errors import InputError, ServiceError
from oncall_lib.plan import Action, Executor, apply
from oncall_lib.report import Report
from oncall_lib.services import Services

JOB = "sync-labels"
LABELS_FILE = Path(".github/labels.yml")


@dataclass(frozen=True)
class Label:
    name: str
    color: str
    description: str


def load_labels(path: Path = LABELS_FILE) -> list[Label]:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: a list of labels (name, color, description) is expected")
    labels = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise InputError(f"{path}: label {index} has no name")
        color = str(item.get("color", "ededed")).lstrip("#").lower()
        if not re.fullmatch(r"[0-9a-f]{6}", color):
            raise InputError(f"{path}: label {item['name']!r}: color {item.get('color')!r} is not six hex digits")
        labels.append(Label(str(item["name"]), color, str(item.get("description", "") or "")[:100]))
    names = [label.name.casefold() for label in labels]
    if len(set(names)) != len(names):
        raise InputError(f"{path}: a label is listed twice")
    return labels


def label_repos(config: Config) -> list[str]:
    if config.label_repos:
        return list(config.label_repos)
    repos = [config.support_issues.repo if config.support_issues else None, config.iam.repo if config.iam else None,
             config.postmortems.documents_repo if config.postmortems else None]
    return list(dict.fromkeys(r for r in repos if r))


def plan(wanted: list[Label], existing: dict[str, dict[str, tuple[str, str]]]) -> list[Action]:
    actions = []
    for repo, labels in existing.items():
        by_name = {name.casefold(): (name, value) for name, value in labels.items()}
        for label in wanted:
            found = by_name.get(label.name.casefold())
            params = {"repo": repo, "name": label.name, "color": label.color, "description": label.description}
            if found is None:
                actions.append(Action("github.create_label", repo, f"create {label.name!r}", params))
            elif found[1] != (label.color, label.description):
                actions.append(Action("github.edit_label", repo, f"update {label.name!r}", {**params,
                                                                                           "name": found[0]}))
    return actions


def executors(services: Services) -> dict[str, Executor]:
    def create(action: Action) -> None:
        p = action.params
        services.github.create_label(p["repo"], p["name"], p["color"], p["description"])

    def edit(action: Action) -> None:
        p = action.params
        services.github.edit_label(p["repo"], p["name"], p["color"], p["description"])

    return {"github.create_label": create, "github.edit_label": edit}


def run(services: Services, config: Config, at: datetime, *, dry_run: bool, path: Path = LABELS_FILE) -> Report:
    wanted = load_labels(path)
    report = Report(JOB, dry_run=dry_run, at=at)
    repos = label_repos(config)
    report.facts = {"labels": len(wanted), "repositories": ", ".join(repos)}
    try:
        existing = {repo: services.github.labels(repo) for repo in repos}
    except ServiceError as exc:
        return report.stopped(exc, services.calls.snapshot())
    report.outcomes = apply(plan(wanted, existing), executors(services), dry_run=dry_run)
    report.api_calls = services.calls.snapshot()
    return report
