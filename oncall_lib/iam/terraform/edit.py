"""Removing IAM users from Terraform text: what goes, planned from one parse, then cut out of the bytes.

Users are found by their AWS username (the `name` of an `aws_iam_user`, or of a
module per user), not by resource label. Removed with each user:
- the `aws_iam_user` block (or the module);
- every block that references it (`user =` in group memberships, policy
  attachments, user policies, access keys, login profiles; `username =` in SSH
  keys; outputs; a policy whose heredoc interpolates the user), and then
  whatever referenced those, and so on;
- the user's item in lists of blocks that stay, by reference or by literal name
  (`users = [...]`, a module's `group_users = ["Aidan", ...]`); a literal name in
  a list whose meaning is unclear is reported instead;
- in a heredoc policy shared with other users, the line holding just the
  user's element (`"${aws_iam_user.bob.arn}",`); anything else is refused;
- the user's entry in a map or list that drives `for_each` (and any other
  locals/variable map keyed by, or list holding, the username);
- comment lines directly above a removed block, and a banner one blank line
  above it that names the user.

A `count`-indexed list of users is refused: removing a middle element shifts
every later index, and Terraform would recreate those users. The result is
parsed again (tree-sitter) and must have no syntax error, or nothing is returned.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from oncall_lib.iam.terraform import cuts as cut
from oncall_lib.iam.terraform.syntax import (
    Block,
    Node,
    Reference,
    TerraformEditError,
    _expression_child,
    blocks,
    collection,
    collection_of,
    element_value,
    entries,
    identifier,
    key_path,
    literal,
    name_template,
    parse,
    parse_tree,
    references,
    text_of,
    traversal,
)

USER_NAME_ATTRIBUTES = ("name", "user_name", "username", "iam_user_name")
# The key that names the user in an object of a list of users: `{ username = "Bob.Smith", groups = [...] }`.
OBJECT_USER_KEYS = ("username", "user_name", "iam_user_name", "user", "name", "login")
REFERENCE_ATTRIBUTES = ("user", "users", "username", "user_name")
OTHER_PRINCIPAL_ATTRIBUTES = ("roles", "groups")
USER_ADDRESSES = ("aws_iam_user.", "data.aws_iam_user.", "module.")
# Policies that exist to be used by something else: one that only removed blocks used goes with them.
POLICY_BLOCKS = {("data", "aws_iam_policy_document"), ("resource", "aws_iam_policy")}
# IAM resources that outlive any one user (a role, a group, another user): never removed whole because they
# mention one.
LASTING_IAM = ("aws_iam_user", "aws_iam_role", "aws_iam_group", "aws_iam_instance_profile",
               "aws_iam_openid_connect_provider", "aws_iam_saml_provider", "aws_iam_service_linked_role",
               "aws_iam_server_certificate", "aws_iam_account_alias", "aws_iam_account_password_policy")
# Where a credential of a removed user is kept (its access key's secret in a parameter or a CI secret).
CREDENTIAL_STORES = ("aws_ssm_parameter", "aws_secretsmanager_secret_version", "local_file", "local_sensitive_file")
# Blocks that manage nothing: removing one changes no infrastructure.
DESCRIPTIVE_BLOCKS = ("data", "output", "import", "moved", "removed", "check")
# Where a policy names who it applies to (HCL blocks and keys, and JSON keys in heredocs).
PRINCIPAL_KEYS = ("principal", "principals", "notprincipal", "not_principals")
# Functions that pass a collection through (toset(["a", "b"])): what they hold is looked into.
COLLECTION_CALLS = ("toset", "tolist", "tomap", "concat", "merge", "distinct", "sort", "flatten", "setunion",
                    "compact", "coalescelist")
MODULE_META = ("source", "version", "providers", "count", "for_each", "depends_on")
_IMPORT_COMMENT = re.compile(
    rb"^[ \t]*(?:#|//)[ \t]*terraform import[ \t]+(?P<address>'[^'\n]*'|\"(?:[^\"\\\n]|\\.)*\"|\S+)", re.M)


class Index:
    """Which blocks mention an address or a quoted name, found by searching the bytes (C speed) instead of
    walking every block's tree: a 5,000-user file has 25,000 blocks, and an edit looks into a few hundred."""

    def __init__(self, data: bytes, found: list[Block]) -> None:
        self.data, self.found = data, found
        self.starts = [b.start for b in found]
        self._cache: dict[str, set[int]] = {}

    def _blocks_at(self, positions: Iterable[int]) -> set[int]:
        out = set()
        for pos in positions:
            index = bisect.bisect_right(self.starts, pos) - 1
            if index >= 0 and pos < self.found[index].end:
                out.add(index)
        return out

    def naming(self, address: str) -> set[int]:
        """Blocks where `address` (aws_iam_user.bob, module.x["k"], data.t.n, local.l) may be referred to."""
        base = address.split("[", 1)[0]  # "data.t.n" is written whole: the word before it is not a name
        if base not in self._cache:
            self._cache[base] = self._blocks_at(self._occurrences(base.encode()))
        return self._cache[base]

    def _occurrences(self, word: bytes) -> Iterable[int]:
        """Where `word` stands as a whole name (not inside aws_iam_user.bob2 or x.aws_iam_user.bob): bytes.find,
        which is memchr-fast, and a look at the byte on each side."""
        data, pos = self.data, self.data.find(word)
        while pos != -1:
            before = data[pos - 1:pos]
            after = data[pos + len(word):pos + len(word) + 1]
            inside = before.isalnum() or before in (b"_", b".", b"-") or after.isalnum() or after in (b"_", b"-")
            if not inside:
                yield pos
            pos = data.find(word, pos + 1)

    def quoting(self, names: Iterable[str]) -> set[int]:
        """Blocks holding one of `names` as a quoted string, in any case."""
        names = list(names)
        if all(n.isascii() for n in names):  # IAM names are ASCII: a bytes search, case-folded by re
            alternatives = b"|".join(re.escape(n.encode()) for n in names)
            found = (m.start() for m in re.finditer(rb'"(?:' + alternatives + rb')"', self.data, re.I))
            return self._blocks_at(found)
        text = self.data.decode("utf-8")  # Unicode case folding needs text; offsets go back to bytes
        pattern = re.compile('"(?:' + "|".join(re.escape(n) for n in names) + ')"', re.I)
        return self._blocks_at(len(text[:m.start()].encode("utf-8")) for m in pattern.finditer(text))

    def within(self, spans: Iterable[tuple[int, int]]) -> set[int]:
        """Blocks lying wholly inside one of the spans."""
        out = set()
        for start, end in spans:
            i = bisect.bisect_left(self.starts, start)
            while i < len(self.found) and self.found[i].end <= end:
                out.add(i)
                i += 1
        return out

    def matching(self, pattern: bytes) -> set[int]:
        return self._blocks_at(m.start() for m in re.finditer(pattern, self.data))


@dataclass
class EditResult:
    text: str
    removed: list[str]
    warnings: list[str]


def _holds_users(attribute: str) -> bool:
    """A list attribute whose name says it holds people (users, members, group_users, admins...)."""
    name = attribute.casefold()
    return name in REFERENCE_ATTRIBUTES or any(word in name for word in ("user", "member", "admin", "people"))


class _Edit:
    """One removal: the cuts planned so far, what is gone, and what to tell the person."""

    def __init__(self, data: bytes, path: str, usernames: Sequence[str]) -> None:
        self.data, self.path = data, path
        self.wanted = {name.casefold(): name for name in usernames}
        self.cuts: dict[cut.Span, str] = {}
        self.warnings: list[str] = []
        self.found: set[str] = set()
        self.gone: set[str] = set()  # addresses removed: their references go too
        self.names: set[str] = set(usernames)  # what a banner naming a removed user may say
        self.blocks: dict[cut.Span, Block] = {}  # each block removed whole, by its cut

    def wants(self, value: str | None) -> bool:
        return bool(value) and str(value).casefold() in self.wanted

    def remove_block(self, block: Block) -> None:
        span = cut.lines_cut(self.data, block.start, block.end, self.names)
        self.cuts[span] = f"{block.describe()} (line {block.line})"
        self.blocks[span] = block
        if block.address:
            self.gone.add(block.address)

    def remove_item(self, span: cut.Span, what: str) -> None:
        self.cuts.setdefault(cut.item_cut(self.data, span), what)

    def warn(self, text: str) -> None:
        if text not in self.warnings:  # the cascade may pass over a block again
            self.warnings.append(text)

    def refuse(self, pos: int, text: str) -> TerraformEditError:
        return TerraformEditError(f"{self.path}:{cut.line_of(self.data, pos)}: {text} (nothing changed)")


@dataclass
class _Collection:
    """A value that may hold users by name: a local, a variable's default, a module input, or a top-level
    attribute (terraform.tfvars, Terragrunt's `inputs`)."""

    where: str  # how a removed entry is named: local.users, var.users, module.iam.user_map, inputs
    value: Node
    loose: bool  # a literal name in its own list is a user (locals, variables, tfvars); a module's lists are
    # judged by their attribute's name with the block


def _collections(found: list[Block], top_level: list[Node], data: bytes) -> dict[tuple[str, str], _Collection]:
    """The values usernames may be drawn from, by (scope, name): ("local", "users"), ("var", "users"),
    ("module.iam", "user_map"), ("", "inputs")."""
    out: dict[tuple[str, str], _Collection] = {}
    for block in found:
        if not data.startswith((b"locals", b"variable", b"module"), block.start):
            continue  # most blocks: no need to read the kind from the tree
        if block.kind == "locals":
            for name, value in block.attributes.items():
                out[("local", name)] = _Collection(f"local.{name}", value, True)
        elif block.kind == "variable" and block.labels and "default" in block.attributes:
            out[("var", block.labels[0])] = _Collection(f"var.{block.labels[0]}", block.attributes["default"], True)
        elif block.kind == "module" and block.labels:
            for name, value in block.attributes.items():
                if name not in MODULE_META:
                    out[(f"module.{block.labels[0]}", name)] = _Collection(f"module.{block.labels[0]}.{name}", value,
                                                                           False)
    for attribute in top_level:
        if len(attribute.named_children) >= 2:
            name = text_of(attribute.named_children[0])
            out[("", name)] = _Collection(name, attribute.named_children[-1], True)
    return out


def _object_user(node: Node) -> str | None:
    """The username an object of a list of users names: `{ username = "Bob.Smith", ... }`."""
    named = {key.casefold(): element_value(element) for key, _span, element in entries(node) if key}
    for key in OBJECT_USER_KEYS:
        value = literal(named.get(key))
        if value is not None:
            return value
    return None


def _unwrap(node: Node) -> Node:
    while node.type in ("expression", "collection_value", "literal_value") and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _rename(prefix: str, suffix: str, outer: Callable[[str], str]) -> Callable[[str], str]:
    return lambda item: outer(f"{prefix}{item}{suffix}")


class _Scan:
    """Entries keyed by, or items naming, a removed user in collections, at any depth: map entries, literal
    names, objects of a list of users, and one item of a list a for expression builds names from. Each is
    cut; what it was keyed by is returned, so a for_each over the collection loses that instance too."""

    def __init__(self, edit: _Edit, collections: dict[tuple[str, str], _Collection]) -> None:
        self.edit, self.collections = edit, collections
        self._done: dict[tuple[int, int, Callable[[str], str]], list[str]] = {}

    def collection(self, source: tuple[str, str], rename: Callable[[str], str] = str) -> list[str]:
        found = self.collections.get(source)
        if found is None:
            return []
        memo = (found.value.start_byte, found.value.end_byte, rename)
        if memo not in self._done:
            self._done[memo] = []  # a local that refers to itself ends here
            self._done[memo] = self.scan(found.value, found.where, loose=found.loose, rename=rename)
        return self._done[memo]

    def scan(self, node: Node | None, where: str, *, loose: bool, rename: Callable[[str], str] = str,
             keys: tuple[str, ...] = (), depth: int = 0) -> list[str]:
        edit, hits = self.edit, list[str]()
        if node is None or depth > 8:
            return hits
        node = _unwrap(node)
        if node.type == "expression":
            path = traversal(node)
            if path and path[0] in ("local", "var") and len(path) == 2:  # for_each = local.users
                return self.collection((path[0], path[1]), rename)
            return hits
        if node.type == "function_call":
            name = text_of(node.named_children[0]) if node.named_children else ""
            arguments = next((c for c in node.named_children if c.type == "function_arguments"), None)
            if name in COLLECTION_CALLS and arguments is not None:
                for argument in (c for c in arguments.named_children if c.type == "expression"):
                    hits += self.scan(argument, where, loose=loose, rename=rename, keys=keys, depth=depth)
            return hits
        if node.type == "for_expr" and node.named_children:
            return self._for(node.named_children[0], where, rename, keys, depth)
        if node.type == "tuple":
            for item in (c for c in node.named_children if c.type == "expression"):
                value = literal(item)
                if value is not None:
                    users_here = (loose and depth == 0) or bool(keys and _holds_users(keys[-1])) or rename is not str
                    if users_here and edit.wants(rename(value)):
                        edit.found.add(rename(value).casefold())
                        edit.remove_item((item.start_byte, item.end_byte), f'{where}["{value}"]')
                        hits += [value, rename(value)]
                    continue
                inner = collection(item)
                named = _object_user(inner) if inner is not None and inner.type == "object" else None
                if named is not None and edit.wants(rename(named)):
                    edit.found.add(rename(named).casefold())
                    edit.remove_item((item.start_byte, item.end_byte), f'{where}["{named}"]')
                    hits += [named, rename(named)]
                    continue
                hits += self.scan(item, where, loose=loose, rename=rename, keys=keys, depth=depth + 1)
        elif node.type == "object":
            for key, span, element in entries(node):
                if key and edit.wants(rename(key)):
                    edit.found.add(rename(key).casefold())
                    edit.remove_item(span, f'{where}["{key}"]')
                    hits += [key, rename(key)]
                elif key:
                    hits += self.scan(element_value(element), f"{where}.{key}", loose=loose, rename=rename,
                                      keys=(*keys, key), depth=depth + 1)
        return hits

    def _for(self, node: Node, where: str, rename: Callable[[str], str], keys: tuple[str, ...],
             depth: int) -> list[str]:
        """`[for name in ["audit", "media"] : "app-${name}"]`: the item whose name is removed goes."""
        intro = next((c for c in node.named_children if c.type == "for_intro"), None)
        if intro is None:
            return []
        variables = [text_of(c) for c in intro.named_children if c.type == "identifier"]
        source = next((c for c in intro.named_children if c.type == "expression"), None)
        results = [c for c in node.named_children if c.type == "expression"]
        made = results[0] if results else None  # the value of a list, the key of a map
        template = name_template(made)
        if template is not None and variables and template[1] == [variables[-1]]:
            rename = _rename(template[0], template[2], rename)
        elif made is None or not variables or (traversal(made) or [identifier(made) or ""])[0] not in variables:
            return []  # it builds something else from the items, not their names
        return self.scan(source, where, loose=True, rename=rename, keys=keys, depth=depth)


def _name_rule(block: Block) -> tuple[str, str] | None:
    """The text around `each.key` (or `each.value`) in a for_each user's name: ("app-", "") for
    `name = "app-${each.key}"`, ("", "") for `name = each.key`."""
    for attribute in USER_NAME_ATTRIBUTES:
        value = block.attributes.get(attribute)
        if value is None:
            continue
        path = traversal(_expression_child(value)) if value.type == "expression" else None
        if path in (["each", "key"], ["each", "value"]):
            return "", ""
        template = name_template(value)
        if template is not None and template[1] in (["each", "key"], ["each", "value"]):
            return template[0], template[2]
    return None


def _find_users(edit: _Edit, found: list[Block], collections: dict[tuple[str, str], _Collection],
                index: Index) -> None:
    """The users' own blocks, for_each entries and collection entries (looking only into blocks that quote a
    username or use count or for_each)."""
    scan = _Scan(edit, collections)
    candidates = index.quoting(edit.wanted.values()) | index.matching(rb"(?<![\w-])(?:count|for_each)\s*=")
    for block in (found[i] for i in sorted(candidates)):
        # A user is defined by its resource, or looked up by a data source (managed elsewhere, referred to here).
        is_user = block.kind in ("resource", "data") and block.labels[:1] == ["aws_iam_user"]
        if not (is_user or block.kind == "module"):
            continue
        names = [literal(v) for a, v in block.attributes.items() if a in USER_NAME_ATTRIBUTES]
        hit = next((n for n in names if edit.wants(n)), None)
        if hit:
            edit.found.add(hit.casefold())
            edit.names.update(block.labels[1:] if is_user else block.labels)
            edit.remove_block(block)
            continue
        if "count" in block.attributes:
            counted = collection_of(block.attributes["count"]) or (
                collection_of(block.attributes["name"]) if "name" in block.attributes else None)
            hits = scan.collection((counted[0], counted[1])) if counted else []
            if hits:
                what = ("looks up users" if block.kind == "data" else "creates users")
                redo = ("whatever is built on those lookups by index" if block.kind == "data" else "them")
                raise edit.refuse(block.start,
                    f"{block.describe()} {what} with count over {'.'.join(counted or [])}; removing "
                    f"{', '.join(dict.fromkeys(h for h in hits if edit.wants(h)))} would shift every later user's "
                    f"index and Terraform would destroy and recreate {redo}. Move the users to for_each (or "
                    "terraform state mv) first, then remove them")
        if "for_each" in block.attributes:
            rule = _name_rule(block) if is_user else None
            where = f"the for_each of {block.address}"
            source = collection_of(block.attributes["for_each"])
            if source and traversal(_expression_child(block.attributes["for_each"])) == source:
                where = ".".join(source)
            rename = _rename(rule[0], rule[1], str) if rule and rule != ("", "") else str
            for key in scan.scan(block.attributes["for_each"], where, loose=True, rename=rename):
                edit.gone.add(f'{block.address}["{key}"]')
    # Other collections keyed by, or holding, a removed username (a user -> groups map, an admins list, a
    # module's user map, Terragrunt inputs).
    for named in collections:
        scan.collection(named)


def _import_comments(edit: _Edit) -> None:
    """`# terraform import aws_iam_user.bob Bob.Smith` lines naming what is removed: the resource no longer
    exists, so the command would import into nothing."""
    if b"terraform import" not in edit.data:
        return
    for match in _IMPORT_COMMENT.finditer(edit.data):
        address = match["address"].decode("utf-8", errors="replace")
        if address[:1] in ("'", '"'):
            address = address[1:-1].replace('\\"', '"')
        gone = address in edit.gone or address.split("[", 1)[0] in edit.gone or any(
            address.startswith(g + ".") for g in edit.gone if g.startswith("module."))
        if gone:
            start = match.start()
            edit.cuts.setdefault((start, cut.line_end(edit.data, start)), f"the import comment for {address}")


def _principal(edit: _Edit, ref: Reference, top: Node) -> bool:
    """Whether a reference names who a policy applies to: a `principals` block, a `Principal` key (in
    jsonencode or in a heredoc's JSON), or any map key of that name."""
    assert ref.node is not None
    keys = [name for kind, name, _node in key_path(ref.node, top) if kind in ("attribute", "block", "key")]
    if ref.template is not None and ref.template.type == "heredoc_template":
        keys += cut.json_keys(edit.data, ref.template.start_byte, ref.start)
    return any(key.casefold() in PRINCIPAL_KEYS for key in keys)


def _display(path: list[tuple[str, str, Node]]) -> str:
    """`roles["Partner"].principals`, `statement.principals.identifiers`: a list as a person finds it."""
    out = ""
    for kind, name, node in path:
        quoted = kind == "key" and text_of(node.child_by_field_name("key") or node).lstrip().startswith('"')
        if kind in ("attribute", "block") or (kind == "key" and not quoted):
            out += f".{name}" if out else name
        elif kind == "key":
            out += f'["{name}"]'
    return out


def _in_statement(path: list[tuple[str, str, Node]]) -> bool:
    return any(kind == "call" or name.casefold() == "statement" for kind, name, _node in path)


def _is_object(node: Node | None) -> bool:
    found = collection(node)
    return found is not None and found.type == "object"


def _names_principals(key: str) -> bool:
    """A key whose list says whom something serves: principals, users, members, roles, groups."""
    return key.casefold() in PRINCIPAL_KEYS or key.casefold() in OTHER_PRINCIPAL_ATTRIBUTES or _holds_users(key)


def _entry_served_only(edit: _Edit, path: list[tuple[str, str, Node]]) -> Node | None:
    """The map entry (or object in a list) that an emptied list of principals served, such as
    `"Partner" = { principals = [aws_iam_user.partner.arn], ... }` in a module's map of roles: one of a
    collection of objects, not inside a policy, and naming nobody else. None when there is none."""
    if len(path) < 3 or _in_statement(path) or any(kind == "block" for kind, _name, _node in path):
        return None
    if not _names_principals(path[-1][1]):
        return None  # an entry's readers or resources list left empty: the entry still has its own purpose
    kind, _name, entry = path[-2]
    value = element_value(entry) if kind == "key" else entry if kind == "item" else None
    body = collection(value) if value is not None else None
    if body is None or body.type != "object":
        return None
    siblings = [e for e in (entry.parent.named_children if entry.parent is not None else [])
                if e.type in ("object_elem", "expression")]
    if not all(_is_object(element_value(e) if e.type == "object_elem" else e) for e in siblings):
        return None  # not one of a collection of things (an object's own settings)
    own = path[-1][2]
    for key, _span, element in entries(body):
        if element == own or not key:
            continue
        if _names_principals(key):
            rest = [span for _k, span, _n in entries(element_value(element))]
            if rest and not all(cut.item_cut(edit.data, s) in edit.cuts for s in rest):
                return None  # it serves someone else too
    return entry


def _emptied(edit: _Edit, owner: str, line: int, top: Node, container: Node, refs: list[Reference]) -> bool:
    """A list the removal empties: the map entry it alone served goes (True); a list of principals, or any list of
    a policy statement, is refused (AWS rejects `identifiers = []`, and a statement without principals or
    resources); else False, and the caller cuts the items."""
    path = key_path(container, top)
    if path and path[-1][0] == "item":
        path = path[:-1]
    listed = ", ".join(sorted({r.address for r in refs}))
    entry = _entry_served_only(edit, path)
    if entry is not None:
        where = _display(path[:-1])
        edit.remove_item((entry.start_byte, entry.end_byte), f"{where} in {owner} (line {line})")
        edit.warn(f"{owner} (line {line}): {where} served only {listed} (its `{path[-1][1]}` list) and was "
                  "removed whole: check that nothing else needed it")
        return True
    if any(_principal(edit, r, top) for r in refs):
        raise edit.refuse(container.start_byte,
                          f"{owner}: {listed} is the only principal in {_display(path)}; AWS rejects a policy with "
                          "no principal (identifiers = []), and removing the statement or the policy would change "
                          "who may do what: edit it by hand")
    if _in_statement(path):
        raise edit.refuse(container.start_byte,
                          f"{owner}: {listed} is all that {_display(path)} holds in a policy statement, which AWS "
                          "rejects when empty: edit it by hand")
    return False


def _container(ref: Reference) -> Node | None:
    """The list node a reference is an item of."""
    node = ref.node
    while node is not None and not (node.type == "tuple" and ref.container == (node.start_byte, node.end_byte)):
        node = node.parent
    return node


def _cut_locals(edit: _Edit, block: Block, refs: list[Reference]) -> bool:
    """In a locals block, a list loses the items naming what is gone; any other value naming it loses the whole
    local, which is then gone too. True when a local went (its own references must follow)."""
    went = False
    for name, (start, end) in block.attribute_spans.items():
        if f"local.{name}" in edit.gone:
            continue
        hits = [r for r in refs if r.address in edit.gone and start <= r.start < end]
        direct = [r for r in hits if r.item is None]
        for r in direct:
            if _principal(edit, r, block.node):
                raise edit.refuse(r.start, f"local.{name}: {r.address} is the only principal of a policy; AWS "
                                  "rejects a policy with no principal: edit it by hand")
        if direct:
            edit.cuts[cut.lines_cut(edit.data, start, end)] = f"local.{name} (line {cut.line_of(edit.data, start)})"
            edit.gone.add(f"local.{name}")
            went = True
            continue
        by_list: dict[cut.Span, list[Reference]] = {}
        for r in hits:
            assert r.container is not None
            by_list.setdefault(r.container, []).append(r)
        for listed in by_list.values():
            container = _container(listed[0])
            items = {r.item for r in listed}
            if container is not None and len(items) >= listed[0].siblings and _emptied(
                    edit, f"local.{name}", cut.line_of(edit.data, start), block.node, container, listed):
                continue
            for r in listed:
                assert r.item is not None
                edit.remove_item(r.item, f"an item of local.{name}")
    return went


def _shared_template(edit: _Edit, gone: list[Reference], refs: list[Reference]) -> list[Reference]:
    """The references to removed users (`gone`, among the block's `refs`) that sit in a template which also
    names users who stay."""
    shared = []
    for ref in gone:
        if ref.template is None:
            continue
        inside = (ref.template.start_byte, ref.template.end_byte)
        others = [r for r in refs if inside[0] <= r.start < inside[1] and r.address.startswith(USER_ADDRESSES)
                  and r.address not in edit.gone and not any(r.address.startswith(g + "[") for g in edit.gone)]
        if others:
            shared.append(ref)
    return shared


def _plan_block(edit: _Edit, block: Block, all_refs: list[Reference]) -> bool:
    """Cut what one staying block holds of the removed users; True when the whole block went."""
    data = edit.data
    owner = f"{block.describe()} (line {block.line})"
    refs = [r for r in all_refs if r.address in edit.gone]
    # A heredoc policy shared with users who stay: lose the user's own line, or refuse.
    shared = _shared_template(edit, refs, all_refs)
    for ref in shared:
        assert ref.template is not None
        template = (ref.template.start_byte, ref.template.end_byte)
        lines = cut.template_line_cut(data, template, (ref.start, ref.end))
        if lines is None:
            raise edit.refuse(ref.start, f"{block.describe()} is a policy that also serves users who stay, and "
                              f"{ref.address} sits in a line of its heredoc with other text: remove it by hand")
        if cut.leaves_empty_array(data, template, lines):
            role = "principal" if _principal(edit, ref, block.node) else "entry"
            raise edit.refuse(ref.start, f"{block.describe()}: {ref.address} is the only {role} of its list in the "
                              "policy (other statements serve users who stay); AWS rejects an empty list there: "
                              "edit it by hand")
        for span in lines:
            edit.cuts.setdefault(span, f"{ref.address} from the policy of {owner}")
    refs = [r for r in refs if r not in shared]
    principals = {id(r) for r in refs if _principal(edit, r, block.node)}
    literal_whole = [a for a, v in block.attributes.items() if a in REFERENCE_ATTRIBUTES and edit.wants(literal(v))]
    whole = bool(literal_whole) or any(r.item is None and id(r) not in principals for r in refs)
    # Items to cut, per list: by reference, or by literal username.
    by_list: dict[cut.Span, tuple[str, int, set[cut.Span], list[Reference], Node | None]] = {}
    for r in refs:
        if r.item and r.container:
            entry = by_list.setdefault(r.container, (r.attribute, r.siblings, set(), [], None))
            entry[2].add(r.item)
            entry[3].append(r)
    for attribute, value in block.attributes.items():
        node = collection(value)
        elements = entries(node) if node is not None and node.type == "tuple" else []
        hits = {span for key, span, _ in elements if key and edit.wants(key)}
        if not hits or node is None:
            continue
        if _holds_users(attribute):
            span = (node.start_byte, node.end_byte)
            by_list.setdefault(span, (attribute, len(elements), set(), [], node))[2].update(hits)
        else:
            named = ", ".join(sorted(key for key, span, _ in elements if span in hits and key))
            edit.warn(f"{owner} lists {named} in `{attribute}`, which may not mean users: check by hand")
    # Other principals (aws_iam_policy_attachment's roles and groups) keep a block alive.
    serves_others = any(a in OTHER_PRINCIPAL_ATTRIBUTES for a in block.attributes)
    for attribute, count, items, _listed, _node in by_list.values():
        if len(items) >= count and attribute in REFERENCE_ATTRIBUTES and not serves_others:
            whole = True  # a membership left with nobody in it: the block has nothing left to do
    if whole:
        because = literal_whole + [r.attribute for r in refs if r.item is None and id(r) not in principals]
        because += [a for a, count, items, _l, _n in by_list.values() if len(items) >= count]
        if not _goes_with_user(block, because):
            used = ", ".join(sorted({r.address for r in refs} | {literal(block.attributes[a]) or a
                                                                  for a in literal_whole}))
            attributes = ", ".join(f"`{a}`" for a in dict.fromkeys(because))
            raise edit.refuse(block.start, f"{block.describe()} uses {used} ({attributes}); it is not a block that "
                              "exists for the user, and removing it would destroy what it manages: edit it by hand")
        edit.remove_block(block)
        return True
    for r in refs:
        if r.item is None and id(r) in principals:
            raise edit.refuse(r.start, f"{block.describe()}: {r.address} is the only principal of its policy; "
                              "AWS rejects a policy with no principal, and removing the policy would change who "
                              "may do what: edit it by hand")
    for attribute, count, items, listed, node in by_list.values():
        container = node if node is not None else _container(listed[0]) if listed else None
        if len(items) >= count and container is not None:
            if listed and _emptied(edit, block.describe(), block.line, block.node, container, listed):
                continue
            if attribute not in REFERENCE_ATTRIBUTES:
                # A policy's principals or resources left empty no longer mean the same.
                path = key_path(container, block.node)
                edit.warn(f"{owner} is left with an empty `{_display(path) or attribute}` list: check by hand")
        for item in items:
            edit.remove_item(item, f"an item of {owner}")
    return False


def _goes_with_user(block: Block, attributes: Iterable[str]) -> bool:
    """Whether a block that uses a removed user may go whole with them: one that describes (data, outputs,
    imports), a resource that exists for the user (their keys, profile, policies and attachments, memberships, a
    policy, where their credentials are kept), a module given the user as its `user`. Not a role, a group, a
    bucket or a module that merely takes the user as one of its inputs: those outlive the user."""
    if block.kind in DESCRIPTIVE_BLOCKS:
        return True
    if block.kind == "module":
        return all(a in REFERENCE_ATTRIBUTES or a in ("iam_user", "iam_user_name") for a in attributes)
    if block.kind != "resource" or not block.labels:
        return False
    kind = block.labels[0]
    if kind.startswith("aws_iam_"):
        return kind not in LASTING_IAM
    return kind.endswith(("_policy", "_secret")) or kind in CREDENTIAL_STORES


def _policy_block(block: Block) -> bool:
    return (block.kind, block.labels[0] if block.labels else "") in POLICY_BLOCKS


_POLICY_ADDRESS = re.compile(r"^(?:data\.aws_iam_policy_document|aws_iam_policy)\.[\w-]+$")


def _orphans(found: list[Block], index: Index, removed: set[int],
             refs_of: Callable[[int], list[Reference]]) -> list[int]:
    """Policy documents and policies that removed blocks used and nothing that stays uses: they served only what
    is removed (a per-user policy document, the policy attached only to the removed user)."""
    served = {r.address for i in removed for r in refs_of(i) if _POLICY_ADDRESS.match(r.address)}
    out = []
    for address in sorted(served):
        kind, name = (address.removeprefix("data.").split(".", 1) if address.startswith("data.")
                      else address.split(".", 1))
        keyword = rb"data" if address.startswith("data.") else rb"resource"
        pattern = keyword + rb'\s+"' + re.escape(kind.encode()) + rb'"\s+"' + re.escape(name.encode()) + rb'"'
        for i in sorted(index.matching(pattern) - removed):
            if not (_policy_block(found[i]) and found[i].address == address):
                continue
            users = index.naming(address) - {i}
            if users and users <= removed:
                out.append(i)
    return out


def _section_headings(edit: _Edit, found: list[Block], removed: set[int]) -> None:
    """A comment directly above a removed block that heads a section stays while the section keeps members: the
    next block stays, is of the same kind, and has no comment of its own. A comment that names the removed user
    or the block describes only it, and goes with it."""
    data = edit.data
    starts = [b.start for b in found]
    for span, block in sorted(edit.blocks.items()):
        above = cut.comment_above(data, block.start)
        if above is None or span[0] != above[0] or _names(data[above[0]:above[1]], block, edit):
            continue  # nothing above, a banner naming the user (theirs), or a comment about this block
        following = bisect.bisect_right(starts, block.start)
        while following < len(found) and following in removed:
            following += 1
        if following >= len(found) or not _same_kind(block, found[following]):
            continue  # the section ends with the block: its heading goes with its last member
        between = [line for line in cut.comment_lines(data, block.end, found[following].start)
                   if not any(s <= line[0] < e for s, e in edit.blocks)]
        if between:
            continue  # the next block has a comment of its own, or another section starts
        description = edit.cuts.pop(span)
        del edit.blocks[span]
        kept = cut.block_lines_cut(data, block.start, block.end)
        edit.cuts[kept] = description
        edit.blocks[kept] = block


# Words a section heading and a block's label can share without the heading being about that block.
_GENERIC_WORDS = {"iam", "user", "users", "aws", "the", "and", "for", "group", "groups", "policy", "policies",
                  "membership", "memberships", "access", "key", "keys", "this", "main", "default", "team"}


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-z]+", text.casefold()) if len(w) >= 3 and w not in _GENERIC_WORDS}


def _names(comment: bytes, block: Block, edit: _Edit) -> bool:
    """Whether a comment names a removed user or the block (its label, or a word of either)."""
    text = comment.decode("utf-8", errors="replace").casefold()
    labels = block.labels[1:] if block.kind in ("resource", "data") else block.labels
    names = [*edit.wanted.values(), *edit.names, *labels]
    # A short label ("ci") may sit inside any word: those count only as whole words.
    return any(n.casefold() in text for n in names if len(n) >= 4) or bool(_words(text) & set().union(
        *(_words(n) for n in names)))


def _user_block(block: Block) -> bool:
    return block.kind == "module" or (block.kind in ("resource", "data") and block.labels[:1] == ["aws_iam_user"])


def _same_kind(block: Block, other: Block) -> bool:
    if _user_block(block) and _user_block(other):
        return True
    return block.kind == other.kind and block.labels[:1] == other.labels[:1]


def _template_pattern(node: Node) -> re.Pattern[str] | None:
    """The names a quoted template can make (`"${var.env}-deployer"` -> `.*-deployer`), None for anything else."""
    node = _expression_child(node)
    if node.type == "template_expr" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type not in ("quoted_template", "string_lit"):
        return None
    parts = []
    for part in node.named_children:
        if part.type == "template_literal":
            parts.append(re.escape(text_of(part)))
        elif part.type in ("template_interpolation", "template_directive"):
            parts.append(".*")
    return re.compile("".join(parts), re.I | re.S)


def _computed_names(edit: _Edit, found: list[Block], collections: dict[tuple[str, str], _Collection],
                    missing: list[str]) -> list[str]:
    """User blocks whose name is computed from what this file does not say (a variable, a lookup), and which
    could be one of the users not found: described for the refusal."""
    out = []
    for block in found:
        if not edit.data.startswith((b"resource", b"data", b"module"), block.start) or not _user_block(block):
            continue
        allowed = USER_NAME_ATTRIBUTES if block.kind != "module" else USER_NAME_ATTRIBUTES[1:]
        value = next((block.attributes[a] for a in allowed if a in block.attributes), None)
        if value is None or literal(value) is not None:
            continue
        path = traversal(_expression_child(value)) if value.type == "expression" else None
        template = name_template(value)
        each = path in (["each", "key"], ["each", "value"]) or (template is not None and template[1][:1] == ["each"])
        if each and "for_each" in block.attributes:
            source = collection_of(block.attributes["for_each"])
            if source is None or tuple(source) in collections:
                continue  # its names were read from the file (and none is a missing user)
            inputs = [".".join(source)]
            how = f"takes its names from {inputs[0]} (for_each)"
        else:
            inputs = list(dict.fromkeys(r.address for r in references(value)
                                        if not r.address.startswith(("each.", "count.", "path.", "self."))))
            if not inputs:
                continue
            pattern = _template_pattern(value)
            if pattern is not None and not any(pattern.fullmatch(m) for m in missing):
                continue  # a name of another shape: not one of the missing users
            how = f"computes its name, {text_of(value).strip()}, from {', '.join(inputs)}"
        where = block.address or block.describe()
        out.append(f"{where} (line {block.line}) {how}")
    return out


def _arns_left(edit: _Edit, found: list[Block], index: Index, kept: list[cut.Span]) -> None:
    """A removed user still named by ARN text (`"arn:aws:iam::123456789012:user/ops/Bob.Smith"`) in a policy that
    stays: reported, since a principal or resource written out cannot be cut safely and means the same user."""
    if b":user/" not in edit.data:
        return
    names = b"|".join(re.escape(n.encode()) for n in edit.wanted.values() if n.isascii())
    if not names:
        return
    for match in re.finditer(rb'"arn:aws[\w-]*:iam::[0-9]*:user/(?:[^"/\n]*/)*(?:' + names + rb')"', edit.data, re.I):
        if any(s <= match.start() < e for s, e in kept):
            continue
        where = [found[i].describe() for i in index._blocks_at([match.start()])]
        arn = match.group().decode("utf-8", errors="replace")
        edit.warn(f"{where[0] if where else edit.path} (line {cut.line_of(edit.data, match.start())}) names the "
                  f"removed user by ARN, {arn}: edit it by hand")


def _points(data: bytes, positions: list[int]) -> dict[int, tuple[int, int]]:
    """(row, byte column) of each position, in one pass over the data."""
    out: dict[int, tuple[int, int]] = {}
    row, last = 0, 0
    for pos in sorted(set(positions)):
        row += data.count(b"\n", last, pos)
        last = pos
        out[pos] = (row, pos - (data.rfind(b"\n", 0, pos) + 1))
    return out


def _point(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    """(row, byte column) of a position, as tree-sitter counts them."""
    row = data.count(b"\n", 0, pos)
    return row, pos - (data.rfind(b"\n", 0, pos) + 1)


def _kept(spans: dict[cut.Span, str]) -> list[cut.Span]:
    """The cuts, sorted, with those inside larger ones dropped and overlaps merged."""
    kept: list[cut.Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and span[0] < kept[-1][1]:
            if span[1] > kept[-1][1]:
                kept[-1] = (kept[-1][0], span[1])
            continue
        kept.append(span)
    return kept


def remove_users(text: str, usernames: Sequence[str], *, path: str = "iam_users.tf") -> EditResult:
    if not usernames:
        raise TerraformEditError("no user to remove")
    data = text.encode("utf-8")
    edit = _Edit(data, path, usernames)
    tree = parse_tree(data, path)  # the one full parse
    top_level: list[Node] = []
    found = blocks(tree.root_node, top_level)
    index = Index(data, found)
    _find_users(edit, found, _collections(found, top_level, data), index)
    missing = [original for folded, original in edit.wanted.items() if folded not in edit.found]
    if missing:
        computed = _computed_names(edit, found, _collections(found, top_level, data), missing)
        if computed:
            raise TerraformEditError(
                f"{path}: no IAM user named {', '.join(missing)} written out in the file; {'; '.join(computed)}. "
                "A computed name is known only when Terraform runs (from a .tfvars file, -var, the workspace or "
                "another module), so this file cannot say which user it is, and an edit made on a guess could "
                "remove the wrong one: remove the user by hand (nothing changed)")
        raise TerraformEditError(f"{path}: no IAM user named {', '.join(missing)} (nothing changed)")

    # References: blocks that point at what is gone go too; lists that keep other items just lose one. Only the
    # blocks that mention something gone (or quote a username) are walked, each once.
    walked: dict[int, list[Reference]] = {}

    def refs_of(i: int) -> list[Reference]:
        if i not in walked:
            walked[i] = list(references(found[i].node))
        return walked[i]

    quoting = index.quoting(edit.wanted.values())
    removed = index.within(edit.cuts)
    # A policy the removal would leave without a principal or a resource is refused, unless it turns out to
    # serve only what is removed (decided once the cascade is done): then it goes whole.
    deferred: dict[int, TerraformEditError] = {}
    changed = True
    while changed:
        changed = False
        touched = set(quoting).union(*(index.naming(address) for address in edit.gone))
        for i in sorted(touched - removed):
            block = found[i]
            if block.kind in ("variable", "terraform", "provider"):
                continue
            if block.kind == "locals":
                changed |= _cut_locals(edit, block, refs_of(i))
                continue
            try:
                went = _plan_block(edit, block, refs_of(i))
            except TerraformEditError as refused:
                if not _policy_block(block):
                    raise
                deferred[i] = refused
                continue
            deferred.pop(i, None)
            if went:
                removed.add(i)
                changed = True
        if not changed:
            for i in _orphans(found, index, removed, refs_of):
                block = found[i]
                edit.remove_block(block)
                removed.add(i)
                deferred.pop(i, None)
                changed = True
                edit.warn(f"{block.describe()} (line {block.line}) served only what is removed and went with it: "
                          "check that no other file uses it")
    if deferred:
        raise deferred[min(deferred)]
    _section_headings(edit, found, removed)
    _import_comments(edit)
    kept = _kept(edit.cuts)
    _arns_left(edit, found, index, kept)
    for i in sorted(set().union(*(index.naming(address) for address in edit.gone)) - removed):
        block = found[i]
        for reference in refs_of(i):
            if reference.address in edit.gone and not any(s <= reference.start < e for s, e in kept):
                edit.warn(f"{block.describe()} (line {cut.line_of(data, reference.start)}) still refers to "
                          f"{reference.address}: edit it by hand")
    result = bytearray(data)
    points = _points(data, [p for span in kept for p in span])
    for start, end in reversed(kept):
        del result[start:end]
        tree.edit(start_byte=start, old_end_byte=end, new_end_byte=start, start_point=points[start],
                  old_end_point=points[end], new_end_point=points[start])
    if result.endswith(b"\n\n") and not data.endswith(b"\n\n"):  # blocks removed from the end of the file
        trimmed = len(result.rstrip(b"\n")) + 1
        tree.edit(start_byte=trimmed, old_end_byte=len(result), new_end_byte=trimmed,
                  start_point=_point(result, trimmed), old_end_point=_point(result, len(result)),
                  new_end_point=_point(result, trimmed))
        del result[trimmed:]
    # The edit must still be HCL: tree-sitter re-parses only around the cuts.
    parse_tree(bytes(result), f"{path} (after the edit; nothing was written)", old=tree)
    described = [edit.cuts[s] for s in sorted(edit.cuts) if any(k[0] <= s[0] and s[1] <= k[1] for k in kept)]
    return EditResult(bytes(result).decode("utf-8"), list(dict.fromkeys(described)), edit.warnings)


def owners(text: str, *, path: str = "iam_users.tf") -> dict[str, str]:
    """AWS username -> owner, from `tags = { owner = "..." }` (or Owner) on aws_iam_user blocks."""
    out: dict[str, str] = {}
    for block in blocks(parse(text.encode("utf-8"), path)):
        if block.kind != "resource" or block.labels[:1] != ["aws_iam_user"]:
            continue
        name = literal(block.attributes.get("name"))
        tags = block.attributes.get("tags")
        for key, _span, element in entries(tags) if tags is not None else []:
            value = literal(element_value(element))
            if name and key and key.lower() == "owner" and value:
                out[name] = value
    return out
