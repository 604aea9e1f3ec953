"""The docs against the code: every configuration key, secret, permission, workflow, path and link they name is
real, and everything the code has that a reader needs is named; so is every pointer in the starter config init.py
writes, the sandbox world's `about` and the demo. Plain file reads (and one init.py run in the sandbox): fast."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tomllib
import types
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from oncall_lib.config import Config, parse_config
from oncall_lib.duties import CREDENTIALS, DUTIES, enabled
from oncall_lib.duty import SYSTEM_NAMES, System
from oncall_lib.generated import github_permissions
from oncall_lib.handoff import DUTY as HANDOFF
from oncall_lib.sandbox.world import EXAMPLE_WORLD
from oncall_lib.secrets import SECRETS
from oncall_lib.setup.starter import DUTIES as STARTER_DUTIES
from tests import runner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
CONFIGURATION = DOCS / "configuration.md"
# The credentials page has one section per system, under these names (the GitHub App and keyless Google
# sections other work adds go in the same sections).
CREDENTIAL_SECTIONS: dict[System, str] = {"github": "GitHub", "slack": "Slack", "pagerduty": "PagerDuty",
                                           "google": "Google Sheets", "zenhub": "ZenHub", "aws": "AWS"}


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def section(markdown: str, heading: str) -> str:
    """The text under a heading (of any level), up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\n", markdown, re.M)
    assert match, f"no heading {heading!r}"
    rest = markdown[match.end():]
    end = re.search(rf"^#{{1,{len(match[1])}}} ", rest, re.M)
    return rest[:end.start()] if end else rest


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (a `\\|` inside a cell is a literal bar)."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def rows(markdown: str) -> list[list[str]]:
    """Every table body row in the text (header and separator rows left out)."""
    found, previous = [], ""
    for line in markdown.splitlines():
        # The header is the first row of a table: a body row follows another row.
        if line.startswith("|") and previous.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            found.append(cells(line))
        previous = line if line.startswith("|") else ""
    return [r for r in found if not all(re.match(r"^:?-+:?$", c) for c in r)]


# -- the configuration page against the config models --------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """The type inside Optional[...] and Annotated[...]."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def model_tables() -> dict[str, dict[str, FieldInfo | None]]:
    """Every TOML table the models accept ("[a.b]" or "[[a.b]]"; "" for the top level), with its keys.

    A key of a table whose keys are free (AWS usernames in [iam.owners]) is not listed; a table whose keys are a
    fixed set ([tracking.sections]: the task kinds) lists them, with no FieldInfo.
    """
    tables: dict[str, dict[str, FieldInfo | None]] = {}

    def walk(model: type[BaseModel], path: str, heading: str) -> None:
        keys = tables.setdefault(heading, {})
        for key, field in model.model_fields.items():
            inner = _unwrap(field.annotation)
            dotted = f"{path}.{key}" if path else key
            if _is_model(inner):
                walk(inner, dotted, f"[{dotted}]")
            elif typing.get_origin(inner) is list and _is_model(_unwrap(typing.get_args(inner)[0])):
                walk(_unwrap(typing.get_args(inner)[0]), dotted, f"[[{dotted}]]")
            elif typing.get_origin(inner) is dict:
                key_type = _unwrap(typing.get_args(inner)[0])
                fixed = typing.get_args(key_type) if typing.get_origin(key_type) is typing.Literal else ()
                tables[f"[{dotted}]"] = dict.fromkeys(fixed)
            else:
                keys[key] = field

    walk(Config, "", "")
    return tables


def page_tables() -> dict[str, dict[str, list[str]]]:
    """The configuration page's tables: each `[table]` heading (or "Top-level keys") and its rows by key."""
    tables: dict[str, dict[str, list[str]]] = {}
    current: str | None = None
    for line in text(CONFIGURATION).splitlines():
        heading = re.match(r"^#{2,} (.*)$", line)
        if heading:
            table = re.fullmatch(r"`(\[\[?[a-z_.]+\]\]?)`", heading[1])
            current = table[1] if table else "" if heading[1] == "Top-level keys" else None
            if current is not None:
                assert current not in tables, f"{current} twice in {name(CONFIGURATION)}"
                tables[current] = {}
            continue
        if current is not None and line.startswith("| `"):
            row = cells(line)
            key = re.fullmatch(r"`([a-z_]+)`", row[0])
            assert key, f"{name(CONFIGURATION)}: a key row must name one key: {line}"
            assert key[1] not in tables[current], f"{name(CONFIGURATION)}: {current} {key[1]} twice"
            tables[current][key[1]] = row
    return tables


def _default_of(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


def _documented_default(cell: str) -> tuple[str, Any]:
    if cell == "*required*":
        return "required", None
    if cell == "none":
        return "value", None
    if cell == "see below":
        return "below", None
    literal = re.fullmatch(r"`(.*)`", cell)
    assert literal, f"a default is *required*, none, see below, or a TOML value in backticks: {cell!r}"
    return "value", tomllib.loads(f"value = {literal[1]}")["value"]


def test_the_configuration_page_names_every_table_and_key_of_the_models_and_no_other() -> None:
    models, page = model_tables(), page_tables()
    assert set(page) == set(models), (f"tables missing from {name(CONFIGURATION)}: {sorted(set(models) - set(page))}"
                                      f"; tables the models do not have: {sorted(set(page) - set(models))}")
    for table, keys in models.items():
        documented = set(page[table])
        assert documented == set(keys), (f"{table or 'top level'}: missing {sorted(set(keys) - documented)}, "
                                         f"not in the models {sorted(documented - set(keys))}")


def test_the_configuration_page_gives_each_key_its_real_default() -> None:
    models, page, whole = model_tables(), page_tables(), text(CONFIGURATION)
    for table, keys in models.items():
        for key, field in keys.items():
            row = page[table][key]
            how, value = _documented_default(row[1])
            where = f"{table or 'top level'} {key}"
            if field is None:  # a fixed key of a dict table ([tracking.sections]): its default is the dict's entry
                assert (how, value) == ("value", _dict_default(table).get(key)), where  # none: not in it
                continue
            if field.is_required():
                assert how == "required", f"{where} is required: its default cell must say *required*"
                continue
            default = _default_of(field)
            if how == "below":
                # A long list, written out after the table: every item of it must be on the page.
                assert isinstance(default, list) and len(default) > 3, f"{where}: write the default in the cell"
                assert all(str(item) in whole for item in default), f"{where}: an item of the default is missing"
            else:
                assert how == "value", f"{where} has a default: {default!r}"
                assert value == default, f"{where}: the page says {value!r}, the model {default!r}"


def _dict_default(table: str) -> dict[str, Any]:
    """The default of a dict-valued key, found from its dotted table name."""
    parts = table.strip("[]").split(".")
    model: type[BaseModel] = Config
    for part in parts[:-1]:
        model = _unwrap(model.model_fields[part].annotation)
    return dict(_default_of(model.model_fields[parts[-1]]))


def _known_tables() -> set[str]:
    return {t.strip("[]") for t in model_tables() if t}


# Bracketed words in code spans that are not tables: the title prefix that makes an issue a support request.
NOT_TABLES = {"support"}
FILE_SUFFIXES = {"py", "yml", "yaml", "md", "json", "toml", "tf", "txt", "csv"}


def test_every_table_and_dotted_key_the_docs_cite_exists() -> None:
    """`[table]`, `[table] key`, `[[table]]` and `table.key` in any page name what the models have (the sandbox
    page's dotted names are world-file fields, not settings)."""
    models = model_tables()
    tables = _known_tables()
    keys_of = {t.strip("[]"): set(k) for t, k in models.items()}
    problems = []
    for page in PAGES:
        for span in re.findall(r"`([^`\n]+)`", text(page)):
            cited = re.match(r"^\[\[?([a-z_.]+)\]\]?(?: ([a-z_]+)\b)?", span)
            if cited and cited[1] not in NOT_TABLES:
                if cited[1] not in tables:
                    problems.append(f"{name(page)}: `{span}` (no table {cited[1]})")
                elif cited[2] and cited[2] not in keys_of[cited[1]] and f"{cited[1]}.{cited[2]}" not in tables:
                    problems.append(f"{name(page)}: `{span}` ([{cited[1]}] has no key {cited[2]})")
            if cited:
                continue
            dotted = re.fullmatch(r"([a-z_]+)\.([a-z_]+)", span)
            if dotted and dotted[2] in FILE_SUFFIXES:
                continue  # a file (`access.py`, `iam.tf`), not a setting
            if (dotted and dotted[1] in tables and page.name != "sandbox.md"
                    and dotted[2] not in keys_of[dotted[1]] and f"{dotted[1]}.{dotted[2]}" not in tables):
                problems.append(f"{name(page)}: `{span}` ([{dotted[1]}] has no key {dotted[2]})")
    assert problems == []


def test_the_readme_starts_a_team_with_a_config_that_turns_on_the_handoff_alone(tmp_path: Path) -> None:
    adoption = section(text(README), "Adoption path")
    block = re.search(r"```toml\n(.*?)\n\s*```", adoption, re.S)
    assert block, "the adoption path shows the handoff's configuration"
    indent = min(len(line) - len(line.lstrip()) for line in block[1].splitlines() if line.strip())
    toml = "\n".join(line[indent:] for line in block[1].splitlines())
    config = parse_config(toml, tmp_path / "oncall.toml")
    assert enabled(config) == [HANDOFF]
    # A newcomer's first check_config is clean: no warning of a handoff step the example leaves out.
    from oncall_lib.setup.coverage import steps_left_out
    assert [left.line for left in steps_left_out(config)] == []


# -- duties ----------------------------------------------------------------------------------------------------


def _table_model(table: str) -> type[BaseModel]:
    return _unwrap(Config.model_fields[table].annotation)


# Tables a duty's page describes besides the one that turns it on.
ALSO_DESCRIBES = {"handoff": ("rotation",), "access": ("access",), "tracking": ("review",)}


@pytest.mark.parametrize("duty", DUTIES, ids=lambda d: d.key)
def test_each_duty_has_its_page_naming_its_scripts_workflows_and_settings(duty: Any) -> None:
    page = ROOT / duty.docs
    assert page.exists(), f"{duty.key} declares docs = {duty.docs!r}"
    words = text(page)
    assert words.startswith(f"# {duty.title}\n"), f"{duty.docs} starts with its title, as declared"
    for script in duty.scripts:
        assert f"scripts/{script}" in words, f"{duty.docs} does not name scripts/{script}"
    for workflow in (*duty.runs.schedules, *duty.runs.events, *duty.runs.buttons):
        assert workflow in words, f"{duty.docs} does not name {workflow}"
    if duty.runs.tick:
        assert "tick.yml" in words, f"{duty.docs} does not say the tick runs it"
    for table in filter(None, (duty.table, *ALSO_DESCRIBES.get(duty.key, ()))):
        for key in _table_model(table).model_fields:
            assert f"`{key}`" in words or f"[{table}.{key}]" in words, f"{duty.docs} does not name {table}.{key}"


def test_the_readme_lists_every_duty_with_its_page_and_the_systems_it_needs() -> None:
    duties = section(text(README), "Duties")
    by_page = {}
    for row in rows(duties):
        link = re.match(r"\[([^\]]+)\]\(([^)]+)\)", row[0])
        assert link, f"README's duties table: a row without its page: {row}"
        by_page[link[2]] = row
    assert set(by_page) == {d.docs for d in DUTIES}
    for each in DUTIES:
        row = by_page[each.docs]
        assert row[0].startswith(f"[{each.title}]")
        systems = {n.system for n in each.needs}
        named = {system for system, title in SYSTEM_NAMES.items() if title in row[-1]}
        assert named == systems, f"README says {each.title} needs {row[-1]!r}; it declares {sorted(systems)}"
        assert (f"`[{each.table}]`" in row[2]) if each.table else row[2] == "always"


def test_the_readme_adoption_path_has_a_row_for_every_duty_after_the_handoff() -> None:
    adoption = section(text(README), "Then duty by duty")
    linked = {re.match(r"\[[^\]]+\]\(([^)]+)\)", row[0])[1] for row in rows(adoption)}  # type: ignore[index]
    assert linked == {d.docs for d in DUTIES if d is not HANDOFF}


# -- credentials -----------------------------------------------------------------------------------------------


def test_the_credentials_page_names_each_secret_as_the_scripts_read_it_in_its_system_section() -> None:
    page = text(DOCS / "credentials.md")
    named: set[str] = set()
    for system, title in CREDENTIAL_SECTIONS.items():
        variables = {row[0].split()[0].strip("`") for row in rows(section(page, title))}
        for option in CREDENTIALS[system].options:
            assert set(option) <= variables, f"{system}: {option} not in the ## {title} section"
        named |= variables
    assert set(SECRETS) <= named
    assert "GITHUB_TOKEN" not in named  # the workflow's own token is not the product's


def test_the_credentials_page_lists_exactly_the_github_permissions_the_duties_need() -> None:
    github = section(text(DOCS / "credentials.md"), "GitHub")
    listed = {row[0].strip("`"): row[1] for row in rows(github) if row[1] in ("read", "write")}
    assert listed == github_permissions()


# -- workflows -------------------------------------------------------------------------------------------------


def test_the_workflows_table_matches_every_workflow_file() -> None:
    table = {row[0].strip("`"): row for row in rows(section(text(DOCS / "workflows.md"), "The workflows"))}
    files = {p.name: p for p in runner.WORKFLOWS.glob("*.yml")}
    assert set(table) == set(files)
    for file_name, path in files.items():
        workflow = runner.load(path)
        triggers_cell, inputs_cell, permissions_cell = table[file_name][1:]
        crons = set(re.findall(r"`([0-9*,/ -]+)`", triggers_cell))
        assert crons == set(runner.schedules(workflow)), f"{file_name}: the page's cron lines"
        inputs = set((runner.triggers(workflow).get("workflow_dispatch") or {}).get("inputs") or {})
        assert set(re.findall(r"`([a-z_]+)`", inputs_cell)) == inputs, f"{file_name}: the page's inputs"
        granted = {f"{k}: {v}" for job in workflow["jobs"].values() for k, v in (job.get("permissions") or {}).items()}
        assert set(re.findall(r"`([a-z-]+: (?:read|write))`", permissions_cell)) == granted, f"{file_name}: permissions"


def test_the_cost_table_counts_the_runs_the_cron_lines_start() -> None:
    cost = section(text(DOCS / "workflows.md"), "What the schedule costs")
    week = datetime(2026, 11, 2, tzinfo=UTC)
    lines = {p.name: runner.schedules(runner.load(p)) for p in runner.WORKFLOWS.glob("*.yml")}
    runs = {n: 0 for n, c in lines.items() if c}
    for minute in range(7 * 24 * 60):
        when = week + timedelta(minutes=minute)
        for workflow, crons in lines.items():
            if crons and any(runner.cron_matches(line, when) for line in crons):
                runs[workflow] += 1
    documented: dict[str, int] = {}
    total = None
    for row in rows(cost):
        number = int(re.sub(r"\D", "", row[1].split(",")[0]))
        names = re.findall(r"`([\w-]+\.yml)`", row[0])
        if names:
            documented.update(dict.fromkeys(names, number))
        else:
            total = number
    assert documented == runs
    assert total == sum(runs.values())


# -- paths, scripts and links ----------------------------------------------------------------------------------

@functools.cache
def file_names() -> frozenset[str]:
    """The names of the repository's files (not the environment's, the caches' or git's)."""
    names = set()
    for _folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".venv", ".git", ".cache", ".oncall-sandbox", "__pycache__")]
        names.update(files)
    return frozenset(names)


_PATH = re.compile(r"(?<![\w/.-])((?:scripts|docs|benchmarks|\.github|oncall_lib|tests)/[\w./*-]*[\w/])")


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_path_and_script_a_page_cites_exists(page: Path) -> None:
    words = text(page)
    missing = []
    for path in set(_PATH.findall(words)):
        if "*" in path:
            if not list(ROOT.glob(path)):
                missing.append(path)
        elif not (ROOT / path).exists():
            missing.append(path)
    for script in set(re.findall(r"python3 dev\.py run ([a-z_][\w./-]*[\w])", words)):  # SCRIPT: a placeholder
        if not (ROOT / (script if "/" in script else f"scripts/{script}")).exists():
            missing.append(f"python3 dev.py run {script}")
    # A file named alone at the start of a code span (`rotate_assignees.py`, `tick.yml`) is one of ours.
    for file_name in set(re.findall(r"`([\w-]+\.(?:py|yml))\b", words)):
        if file_name not in file_names():
            missing.append(file_name)
    assert sorted(missing) == [], f"{name(page)} cites what does not exist"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower-cased, without punctuation, spaces as dashes."""
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    plain = plain.replace("`", "").replace("*", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    in_code = False
    for line in text(path).splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else re.match(r"^#{1,6} (.*)$", line)
        if heading:
            base = slug(heading[1])
            anchor, n = base, 0
            while anchor in found:
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return found


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_relative_link_resolves_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text(page)):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            broken.append(target)
    assert broken == [], f"{name(page)}: links that lead nowhere"


def test_the_readme_stays_a_front_page() -> None:
    lines = text(README).splitlines()
    assert len(lines) <= 200, "the README is a front page: move the detail into docs/"
    headings = [line[3:] for line in lines if line.startswith("## ")]
    assert headings == ["Quick start", "Duties", "Adoption path", "Documentation"]


# -- pointers in what people read outside the docs: the starter config, the sandbox world, the demo -------------

# "the README's 'From fork to first real run'", "the README's secrets table", "docs/configuration.md's X section"
_NAMED_PART = re.compile(r"(?:the )?(README|docs/[\w/-]+\.md)(?:'s|,)\s+(?:['‘“\"]([^'’”\"]+)['’”\"]|"
                         r"([\w -]+?)\s+(?:section|table)\b)")


def headings_of(path: Path) -> list[str]:
    return [re.sub(r"[`*]", "", line.lstrip("#").strip()).casefold() for line in text(path).splitlines()
            if re.match(r"^#{1,6} ", line)]


def stale_pointers(words: str) -> list[str]:
    """Each file a text names that does not exist, and each part of a page it names that the page does not have
    (a heading, or for a table the heading it sits under, containing the words)."""
    stale = [path for path in set(_PATH.findall(words)) if "*" not in path and not (ROOT / path).exists()]
    flat = " ".join(words.replace("#", " ").split())
    for page, quoted, plain in _NAMED_PART.findall(flat):
        part = quoted or plain
        path = README if page == "README" else ROOT / page
        wanted = part.strip().casefold()
        if not path.exists() or not any(wanted in heading or heading in wanted for heading in headings_of(path)):
            stale.append(f"{page}'s {part.strip()!r}")
    return sorted(stale)


def test_a_pointer_to_a_missing_part_is_caught() -> None:
    assert stale_pointers("every key is described in the README's Configuration section.") == [
        "README's 'Configuration'"]
    assert stale_pointers("the README's secrets table says how to get them") == ["README's 'secrets'"]
    assert stale_pointers("see docs/nowhere.md") == ["docs/nowhere.md"]
    assert stale_pointers("Format: README, 'The sandbox world'. Times are ISO 8601") == [
        "README's 'The sandbox world'"]
    assert stale_pointers("The README's 'From fork to first real run' walks through it.") == []


def test_the_starter_config_points_only_at_what_exists(tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    world.write_text(EXAMPLE_WORLD.read_text())
    done = subprocess.run([sys.executable, "scripts/init.py", "--sandbox", str(world), "--schedule", "PSUPPRT",
                           "--support-channel", "#vfs-platform-support", "--output", "-",
                           "--duties", ",".join(STARTER_DUTIES)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    comments = "\n".join(line.lstrip("# ") for line in done.stdout.splitlines() if line.startswith("#"))
    assert "docs/configuration.md" in comments and "check_config.py" in comments
    assert stale_pointers(comments) == []


def test_the_sandbox_world_and_the_demo_point_only_at_what_exists() -> None:
    about = json.loads(EXAMPLE_WORLD.read_text())["about"]
    assert "docs/sandbox.md" in about
    assert stale_pointers(about) == []
    demo = text(ROOT / "scripts" / "demo.py")
    said = " ".join(re.findall(r'print\((?:f?"([^"]*)")', demo))
    assert stale_pointers(said) == []


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_pointer_in_a_page_leads_somewhere(page: Path) -> None:
    assert stale_pointers(text(page)) == [], f"{name(page)} points at what does not exist"
