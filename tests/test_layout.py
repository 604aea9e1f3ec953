"""The house's layout: one package per duty, a small core, services and the sandbox; arrows only point down.

A reader finds any duty's logic and its jobs in one package; other duties reach it only through the modules
its declaration lists as interfaces, never through its jobs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from oncall_lib.duties import DUTIES

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "oncall_lib"
# The core every layer may use: configuration, plan/apply/report, errors, secrets, untrusted text, time, forms,
# the draft-PR write path, what a duty is, and which repository an issue event came from.
CORE = {"authorship", "business_time", "config", "draft_pr", "duty", "environment", "errors", "events", "issue_forms",
        "owned_section", "plan", "preview", "report", "secrets", "slack_links", "timeutil", "untrusted"}
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
