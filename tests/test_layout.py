"""The house's layout: one package per duty, a small core, services and the sandbox; arrows only point down.

A reader finds any duty's logic and its jobs in one package; other duties reach it only through the modules
its declaration lists as interfaces, never through its jobs.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from oncall_lib.duties import DUTIES

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "oncall_lib"
# The core every layer may use: configuration, plan/apply/report, errors, secrets, untrusted text, time, forms,
# the draft-PR write path, what a duty is, which repository an issue event came from, the rotation (who is on
# support now and next: every duty asks it, so it is no duty's), the recorder every duty hands its task rows to,
# the registry that names the duties and gathers their contributions (declared in `contributions`), and which
# records the product itself wrote (authorship).
CORE = {"authorship", "business_time", "config", "contributions", "draft_pr", "duty", "environment", "errors",
        "events", "issue_forms", "owned_section", "plan", "preview", "recorder", "registry", "report", "report_issue",
        "rotation", "secrets", "slack_links", "timeutil", "untrusted"}
# Above the duties: what lists or runs all of them (the intake runs several duties' event work for the tick).
TOP = {"cli", "duties", "generated", "github_permissions", "tick", "intake", "setup"}


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under `if TYPE_CHECKING:`: names for annotations, no dependency at run time."""
    return {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
            and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for inner in ast.walk(node)}


def imports(path: Path) -> list[str]:
    """Every oncall_lib module `path` imports at run time (a `from package import module` counts as the module)."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    annotations_only = _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in annotations_only:
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("oncall_lib.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("oncall_lib"):
            for alias in node.names:
                module = f"{node.module}.{alias.name}"
                found.append(module if (LIB / Path(*module.split(".")[1:])).with_suffix(".py").exists()
                             or (LIB / Path(*module.split(".")[1:])).is_dir() else node.module)
    return found


def top_of(path: Path) -> str:
    return path.relative_to(LIB).parts[0].removesuffix(".py")


def test_every_module_belongs_to_a_duty_the_core_services_the_sandbox_or_the_top() -> None:
    known = {d.key for d in DUTIES} | CORE | TOP | {"services", "sandbox", "__init__"}
    strays = sorted(str(p.relative_to(ROOT)) for p in LIB.rglob("*.py") if top_of(p) not in known)
    assert strays == []


def test_every_duty_has_its_package_and_its_jobs_live_there() -> None:
    for duty in DUTIES:
        assert (LIB / duty.key / "__init__.py").exists(), duty.key
        for entry in (duty.runs.tick_entry, duty.checks):
            if entry and not entry.startswith("oncall_lib.setup."):
                assert entry.startswith(f"oncall_lib.{duty.key}."), (duty.key, entry)
        for name in duty.interfaces:
            assert (LIB / duty.key / f"{name}.py").exists() or (LIB / duty.key / name).is_dir(), (duty.key, name)


def test_no_duty_imports_another_duty_except_through_its_interfaces() -> None:
    allowed = {d.key: {f"oncall_lib.{d.key}", *(f"oncall_lib.{d.key}.{i}" for i in d.interfaces)} for d in DUTIES}
    wrong = []
    for path in LIB.rglob("*.py"):
        mine = top_of(path)
        for module in imports(path):
            parts = module.split(".")
            other = parts[1]
            if other not in allowed or other == mine:
                continue
            if mine in allowed and not any(module == a or module.startswith(a + ".") for a in allowed[other]
                                           if a != f"oncall_lib.{other}") and module != f"oncall_lib.{other}":
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_arrows_point_down_core_and_services_import_no_duty() -> None:
    duties = {d.key for d in DUTIES}
    wrong = []
    for path in LIB.rglob("*.py"):
        layer = top_of(path)
        if layer not in CORE | {"services"}:
            continue
        for module in imports(path):
            if module.split(".")[1] in duties | TOP:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_fakes_do_not_import_the_server_that_imports_them() -> None:
    for path in (LIB / "sandbox").glob("*_fake.py"):
        assert "oncall_lib.sandbox.server" not in imports(path), path.name


def duty_graph() -> dict[str, set[str]]:
    """Each duty package -> the other duty packages it imports at run time."""
    duties = {d.key for d in DUTIES}
    graph: dict[str, set[str]] = {key: set() for key in duties}
    for path in LIB.rglob("*.py"):
        mine = top_of(path)
        if mine in duties:
            graph[mine] |= {m.split(".")[1] for m in imports(path)} & duties - {mine}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (its packages in order, the first repeated at the end), or []."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for other in sorted(graph[node]):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state and (found := visit(other)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_duty_packages_import_graph_has_no_cycle() -> None:
    """Duties stand side by side: where one uses another (through its interfaces), the other never uses it back,
    however far round."""
    assert cycle(duty_graph()) == []
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]  # the check can fail


def test_the_handoff_and_the_report_import_no_other_duty() -> None:
    """They gather what the duties that are on contribute through the registry (Duty.contributes)."""
    duties = {d.key for d in DUTIES}
    gatherers = [*(LIB / "handoff").rglob("*.py"), LIB / "tracking" / "report.py", LIB / "tracking" / "figures.py",
                 LIB / "recorder.py", LIB / "registry.py", LIB / "contributions.py"]
    wrong = [f"{path.relative_to(ROOT)} imports {module}" for path in gatherers for module in imports(path)
             if module.split(".")[1] in duties - {top_of(path)}]
    assert wrong == []


def test_the_registry_names_every_duty_package_and_every_contribution_resolves() -> None:
    from oncall_lib import registry
    from oncall_lib.duty import resolve

    packages = {p.parent.name for p in LIB.glob("*/__init__.py") if "DUTY = Duty(" in p.read_text(encoding="utf-8")}
    assert set(registry.PACKAGES) == packages
    for duty in DUTIES:
        for point in ("handoff", "report", "report_requests", "watch", "rows"):
            entry = getattr(duty.contributes, point)
            if entry:
                assert entry.startswith(f"oncall_lib.{duty.key}."), (duty.key, entry)
                assert resolve(entry) is not None, (duty.key, entry)


def failing_part(config: object, ctx: object) -> object:
    raise RuntimeError("the disk is on fire")


def first_part(config: object, ctx: object) -> str:
    return f"first: {ctx}"


def last_part(config: object, ctx: object) -> str:
    return f"last: {ctx}"


def test_a_contribution_that_fails_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """One warning naming the duty; the other duties' parts still arrive, in the registry's order; a duty that
    is off is not asked."""
    from oncall_lib import registry
    from oncall_lib.config import load_config
    from oncall_lib.duty import Contributes

    config = load_config(ROOT / "oncall.toml")
    handoff, requests, iam = (next(d for d in DUTIES if d.key == k) for k in ("handoff", "requests", "iam"))
    off = dataclasses.replace(iam, table="no_such_table")
    duties = (dataclasses.replace(handoff, contributes=Contributes(handoff="tests.test_layout:first_part")),
              dataclasses.replace(requests, contributes=Contributes(handoff="tests.test_layout:failing_part")),
              dataclasses.replace(off, contributes=Contributes(handoff="tests.test_layout:failing_part")),
              dataclasses.replace(iam, contributes=Contributes(handoff="tests.test_layout:last_part")))
    monkeypatch.setattr(registry, "duties", lambda: duties)
    warnings: list[str] = []
    parts = registry.gather(config, "handoff", warnings, "the handoff", "ctx")
    assert parts == ["first: ctx", "last: ctx"]
    assert warnings == ["the handoff leaves out watching the request channels: RuntimeError: the disk is on fire"]
