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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oncall_lib.terraform import cuts as cut
from oncall_lib.terraform.syntax import (
    Block,
    Node,
    Reference,
    TerraformEditError,
    blocks,
    collection,
    collection_of,
    element_value,
    entries,
    literal,
    literal_collection,
    parse,
    parse_tree,
    references,
)

USER_NAME_ATTRIBUTES = ("name", "user_name", "username", "iam_user_name")
REFERENCE_ATTRIBUTES = ("user", "users", "username", "user_name")
OTHER_PRINCIPAL_ATTRIBUTES = ("roles", "groups")
USER_ADDRESSES = ("aws_iam_user.", "module.")


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
        base = address.split("[", 1)[0]
        if base.startswith("data."):
            base = base.removeprefix("data.")  # "data.t.n" is written data.t.n: its t.n pair is enough to find it
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

    def wants(self, value: str | None) -> bool:
        return bool(value) and str(value).casefold() in self.wanted

    def remove_block(self, block: Block) -> None:
        span = cut.lines_cut(self.data, block.start, block.end, self.names)
        self.cuts[span] = f"{block.describe()} (line {block.line})"
        if block.address:
            self.gone.add(block.address)

    def warn(self, text: str) -> None:
        if text not in self.warnings:  # the cascade may pass over a block again
            self.warnings.append(text)


def _collections(found: list[Block], data: bytes) -> dict[tuple[str, str], Node]:
    """The locals and variable defaults a for_each or a list may draw usernames from."""
    out: dict[tuple[str, str], Node] = {}
    for block in found:
        if not data.startswith((b"locals", b"variable"), block.start):
            continue  # most blocks: no need to read the kind from the tree
        if block.kind == "locals":
            for name, value in block.attributes.items():
                out[("local", name)] = value
        elif block.kind == "variable" and block.labels and "default" in block.attributes:
            out[("var", block.labels[0])] = block.attributes["default"]
    return out


def _find_users(edit: _Edit, found: list[Block], collections: dict[tuple[str, str], Node], index: Index) -> None:
    """The users' own blocks, for_each entries and collection entries (looking only into blocks that quote a
    username or use count or for_each)."""
    candidates = index.quoting(edit.wanted.values()) | index.matching(rb"(?<![\w-])(?:count|for_each)\s*=")
    for block in (found[i] for i in sorted(candidates)):
        is_user = block.kind == "resource" and block.labels[:1] == ["aws_iam_user"]
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
            source = collection_of(block.attributes["count"]) or (
                collection_of(block.attributes["name"]) if "name" in block.attributes else None)
            values = [k for k, _, _ in entries(collections.get((source[0], source[1])))] if source else []
            hits = [v for v in values if edit.wants(v)]
            if hits:
                raise TerraformEditError(
                    f"{edit.path}:{block.line}: {block.describe()} creates users with count over "
                    f"{'.'.join(source or [])}; removing {', '.join(str(h) for h in hits)} would shift every later "
                    "user's index and Terraform would destroy and recreate them. Move the users to for_each (or "
                    "terraform state mv) first, then remove them.")
        if "for_each" in block.attributes:
            source = collection_of(block.attributes["for_each"])
            if source:
                value, where = collections.get((source[0], source[1])), ".".join(source)
            else:  # for_each = toset(["Ann.Lee", ...]) or a map written in place
                value, where = literal_collection(block.attributes["for_each"]), f"the for_each of {block.address}"
            for key, span, _node in entries(value) if value is not None else []:
                if key and edit.wants(key):
                    edit.found.add(key.casefold())
                    edit.cuts[cut.item_cut(edit.data, span)] = f'{where}["{key}"]'
                    edit.gone.add(f'{block.address}["{key}"]')
    # Other collections keyed by, or holding, a removed username (a user -> groups map, an admins list).
    for (scope, name), value in collections.items():
        for key, span, _node in entries(value):
            if key and edit.wants(key) and cut.item_cut(edit.data, span) not in edit.cuts:
                edit.found.add(key.casefold())
                edit.cuts[cut.item_cut(edit.data, span)] = f'{scope}.{name}["{key}"]'


def _cut_locals(edit: _Edit, block: Block, refs: list[Reference]) -> bool:
    """In a locals block, a list loses the items naming what is gone; any other value naming it loses the whole
    local, which is then gone too. True when a local went (its own references must follow)."""
    went = False
    for name, (start, end) in block.attribute_spans.items():
        if f"local.{name}" in edit.gone:
            continue
        hits = [r for r in refs if r.address in edit.gone and start <= r.start < end]
        if any(r.item is None for r in hits):
            edit.cuts[cut.lines_cut(edit.data, start, end)] = f"local.{name} (line {cut.line_of(edit.data, start)})"
            edit.gone.add(f"local.{name}")
            went = True
            continue
        for r in hits:
            assert r.item is not None
            edit.cuts.setdefault(cut.item_cut(edit.data, r.item), f"an item of local.{name}")
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
    refs = [r for r in all_refs if r.address in edit.gone]
    # A heredoc policy shared with users who stay: lose the user's own line, or refuse.
    shared = _shared_template(edit, refs, all_refs)
    for ref in shared:
        assert ref.template is not None
        template = (ref.template.start_byte, ref.template.end_byte)
        lines = cut.template_line_cut(data, template, (ref.start, ref.end))
        if lines is None:
            raise TerraformEditError(
                f"{edit.path}:{cut.line_of(data, ref.start)}: {block.describe()} is a policy that also serves users "
                f"who stay, and {ref.address} sits in a line of its heredoc with other text: remove it by hand "
                "(nothing changed)")
        for span in lines:
            edit.cuts.setdefault(span, f"{ref.address} from the policy of {block.describe()} (line {block.line})")
    refs = [r for r in refs if r not in shared]
    literal_whole = [a for a, v in block.attributes.items() if a in REFERENCE_ATTRIBUTES and edit.wants(literal(v))]
    whole = bool(literal_whole) or any(r.item is None for r in refs)
    # Items to cut, per list: by reference, or by literal username.
    by_list: dict[cut.Span, tuple[str, int, set[cut.Span]]] = {}
    for r in refs:
        if r.item and r.container:
            by_list.setdefault(r.container, (r.attribute, r.siblings, set()))[2].add(r.item)
    for attribute, value in block.attributes.items():
        node = collection(value)
        elements = entries(node) if node is not None and node.type == "tuple" else []
        hits = {span for key, span, _ in elements if key and edit.wants(key)}
        if not hits or node is None:
            continue
        if _holds_users(attribute):
            by_list.setdefault((node.start_byte, node.end_byte), (attribute, len(elements), set()))[2].update(hits)
        else:
            named = ", ".join(sorted(key for key, span, _ in elements if span in hits and key))
            edit.warn(f"{block.describe()} (line {block.line}) lists {named} in `{attribute}`, which may not mean "
                      "users: check by hand")
    # Other principals (aws_iam_policy_attachment's roles and groups) keep a block alive.
    serves_others = any(a in OTHER_PRINCIPAL_ATTRIBUTES for a in block.attributes)
    emptied = []
    for attribute, count, items in by_list.values():
        if len(items) < count:
            continue
        if attribute in REFERENCE_ATTRIBUTES and not serves_others:
            whole = True  # a membership left with nobody in it: the block has nothing left to do
        elif attribute not in REFERENCE_ATTRIBUTES:
            emptied.append(attribute)
    if whole:
        edit.remove_block(block)
        return True
    for _attribute, _count, items in by_list.values():
        for item in items:
            edit.cuts.setdefault(cut.item_cut(data, item), f"an item of {block.describe()} (line {block.line})")
    for attribute in emptied:  # a policy's principals or resources left empty no longer mean the same
        edit.warn(f"{block.describe()} (line {block.line}) is left with an empty `{attribute}` list: check by hand")
    return False


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
    found = blocks(tree.root_node)
    index = Index(data, found)
    _find_users(edit, found, _collections(found, data), index)
    missing = [original for folded, original in edit.wanted.items() if folded not in edit.found]
    if missing:
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
            if _plan_block(edit, block, refs_of(i)):
                removed.add(i)
                changed = True
    kept = _kept(edit.cuts)
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
