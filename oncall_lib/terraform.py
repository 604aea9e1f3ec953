"""Removing IAM users from Terraform text, touching nothing else.

Text in, text out. The file is parsed once (python-hcl2) to locate things, and
the edit cuts character ranges out of the original text, so every byte that is
not removed stays as it was: no reformatting, comments kept. The result is
parsed once more to prove it is still HCL; if not, nothing is returned.

Users are found by their AWS username (the `name` of an `aws_iam_user`, or of a
module per user), not by resource label. Removed with each user:
- the `aws_iam_user` block (or the module);
- every block that references it (`user =` in group memberships, policy
  attachments, user policies, access keys, login profiles; `username =` in SSH
  keys; outputs), and then whatever referenced those, and so on;
- the user's item in lists of blocks that stay (`users = [...]`), by reference
  or by literal name;
- the user's entry in a map or list that drives `for_each` (and any other
  locals/variable map keyed by, or list holding, the username);
- comment lines directly above a removed block (a header separated by a blank
  line stays).

References are read from the parse tree, so a heredoc policy or a string that
merely mentions `aws_iam_user.bob` is not a reference, `aws_iam_user.bob` never
matches `aws_iam_user.bob2`, and `"${aws_iam_user.bob.name}"` (Terraform 0.11
style) is one. A `count`-indexed list of users is refused: removing a middle
element shifts every later index, and Terraform would recreate those users.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from oncall_lib.errors import InputError

USER_NAME_ATTRIBUTES = ("name", "user_name", "username", "iam_user_name")
REFERENCE_ATTRIBUTES = ("user", "users", "username", "user_name")
OTHER_PRINCIPAL_ATTRIBUTES = ("roles", "groups")


class TerraformEditError(InputError):
    """The file cannot be edited as asked; nothing was changed."""


def _parse(text: str, path: str, *, tree_only: bool = False) -> Any:
    # `hcl2.query` is also a subpackage's name: import the functions from their module.
    from hcl2.api import parses_to_tree, query

    try:
        # Validation needs only the parser's verdict, not the rule objects built on top (a third cheaper).
        return parses_to_tree(text) if tree_only else query(text)
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerraformEditError(f"{path}: not valid HCL: {first}") from None


# -- reading the tree -------------------------------------------------------------------------


def _kind(node: Any) -> str:
    return type(node).__name__


def _children(node: Any) -> list[Any]:
    return [c for c in (getattr(node, "children", None) or []) if c is not None]


def _span(node: Any) -> tuple[int, int] | None:
    meta = getattr(node, "_meta", None)
    if meta is None or getattr(meta, "empty", False) or not hasattr(meta, "start_pos"):
        return None
    return int(meta.start_pos), int(meta.end_pos)


def _identifier(node: Any) -> str | None:
    if _kind(node) == "ExprTermRule":
        inner = _children(node)
        return _identifier(inner[0]) if len(inner) == 1 else None
    if _kind(node) == "IdentifierRule":
        tokens = _children(node)
        return str(getattr(tokens[0], "value", tokens[0])) if tokens else None
    return None


def _literal(node: Any) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    while _kind(node) == "ExprTermRule" and len(_children(node)) == 1:
        node = _children(node)[0]
    if _kind(node) != "StringRule":
        return None
    text = ""
    for part in _children(node):
        if _kind(part) != "StringPartRule":
            continue  # the quotes
        for piece in _children(part):
            if _kind(piece) == "InterpolationRule" or hasattr(piece, "children"):
                return None  # "${...}" is an expression, not a literal
            text += str(getattr(piece, "value", piece))
    return text


def _path(node: Any) -> list[str] | None:
    """`aws_iam_user.bob.name` -> ["aws_iam_user", "bob", "name"]; an index becomes '["key"]'."""
    kind = _kind(node)
    if kind == "ExprTermRule":
        inner = _children(node)
        if len(inner) != 1:
            return None
        if _kind(inner[0]) == "IdentifierRule":
            name = _identifier(inner[0])
            return [name] if name else None
        return _path(inner[0])
    if kind == "GetAttrExprTermRule":
        base, attr = _children(node)[:2]
        head = _path(base)
        name = _identifier(_children(attr)[-1]) if _children(attr) else None
        return head + [name] if head is not None and name else None
    if kind == "IndexExprTermRule":
        base, index = _children(node)[:2]
        head = _path(base)
        keys = [c for c in _children(index) if _kind(c) == "ExprTermRule"]
        key = _literal(keys[0]) if keys else None
        return head + [f'["{key}"]' if key is not None else "[*]"] if head is not None else None
    return None


@dataclass(frozen=True)
class Reference:
    address: str  # "aws_iam_user.bob", 'aws_iam_user.team["Bob.Smith"]', "module.bob", "local.users"
    start: int
    item: tuple[int, int] | None  # the list item it sits in, if any
    container: tuple[int, int] | None  # that list
    siblings: int  # how many items that list has
    attribute: str


def _address(path: list[str]) -> list[str]:
    """Addresses a traversal can mean, most specific first."""
    out = []
    if path[0] in ("data",) and len(path) >= 3:
        out.append(".".join(path[:3]))
    elif path[0] in ("module", "local", "var") and len(path) >= 2:
        if path[0] == "module" and len(path) >= 3 and path[2].startswith("["):
            out.append(f"module.{path[1]}{path[2]}")  # one instance of a for_each module
        out.append(".".join(path[:2]))
    elif len(path) >= 2:
        if len(path) >= 3 and path[2].startswith("["):
            out.append(f"{path[0]}.{path[1]}{path[2]}")
        out.append(f"{path[0]}.{path[1]}")
    return out


def _references(node: Any, attribute: str = "", stack: tuple[Any, ...] = ()) -> Iterator[Reference]:
    kind = _kind(node)
    if kind == "AttributeRule":
        attribute = _identifier(_children(node)[0]) or attribute
    if kind in ("GetAttrExprTermRule", "IndexExprTermRule"):
        path = _path(node)
        span = _span(node)
        if path and span:
            item, container, siblings = None, None, 0
            for depth in range(len(stack) - 1, 0, -1):
                if _kind(stack[depth]) == "TupleRule":
                    items = [c for c in _children(stack[depth]) if _kind(c) == "ExprTermRule"]
                    owner = stack[depth + 1] if depth + 1 < len(stack) else node
                    item, container, siblings = _span(owner), _span(stack[depth]), len(items)
                    break
            for address in _address(path):
                yield Reference(address, span[0], item, container, siblings, attribute)
        # The chain's own prefixes are the same reference: do not descend into them.
        return
    for child in _children(node):
        yield from _references(child, attribute, (*stack, node))


@dataclass
class Block:
    kind: str  # resource, data, module, output, locals, variable, ...
    labels: list[str]
    start: int
    end: int
    line: int
    raw: Any
    attributes: dict[str, Any] = field(default_factory=dict)  # name -> value ExprTermRule
    attribute_spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> the whole `name = value`

    @property
    def address(self) -> str | None:
        if self.kind == "resource" and len(self.labels) == 2:
            return f"{self.labels[0]}.{self.labels[1]}"
        if self.kind == "data" and len(self.labels) == 2:
            return f"data.{self.labels[0]}.{self.labels[1]}"
        if self.kind == "module" and self.labels:
            return f"module.{self.labels[0]}"
        return None

    def describe(self) -> str:
        labels = " ".join(f'"{label}"' for label in self.labels)
        return f"{self.kind} {labels}".strip()


def _blocks(document: Any) -> list[Block]:
    blocks = []
    for view in document.blocks():
        span = _span(view.raw)
        if span is None:
            continue
        labels = [str(label).strip('"') for label in view.name_labels]
        block = Block(str(view.block_type), labels, span[0], span[1], int(view.raw._meta.line), view.raw)
        for attribute in view.attributes():
            value = _children(attribute.raw)[-1]
            block.attributes[str(attribute.name)] = value
            attribute_span = _span(attribute.raw)
            if attribute_span:
                block.attribute_spans[str(attribute.name)] = attribute_span
        blocks.append(block)
    return blocks


# -- planning the cuts ------------------------------------------------------------------------


@dataclass
class EditResult:
    text: str
    removed: list[str]
    warnings: list[str]


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    """Position just after the newline ending the line that holds pos (or the end of the text)."""
    end = text.find("\n", pos)
    return len(text) if end == -1 else end + 1


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("#", "//")) or (stripped.startswith("/*") and stripped.endswith("*/"))


def _block_cut(text: str, block: Block) -> tuple[int, int]:
    return _lines_cut(text, block.start, block.end)


def _lines_cut(text: str, first: int, last: int) -> tuple[int, int]:
    """Whole lines of a block (or attribute), with the comment lines directly above and one blank line around."""
    start, end = _line_start(text, first), _line_end(text, last - 1)
    if text[start:first].strip() or text[last:end].strip():
        return first, last  # shares its lines with other code: cut only the block
    while start > 0:
        previous = _line_start(text, start - 1)
        if not _is_comment(text[previous:start]):
            break
        start = previous
    following = _line_end(text, end) if end < len(text) else end
    before_blank = start == 0 or _is_blank(text[_line_start(text, start - 1):start])
    if end < len(text) and _is_blank(text[end:following]) and before_blank:
        end = following  # keep a single blank line between the neighbours
    elif end >= len(text) and start > 0 and _is_blank(text[_line_start(text, start - 1):start]):
        start = _line_start(text, start - 1)  # the removed block ended the file: drop the blank line before it
    return start, end


def _item_cut(text: str, item: tuple[int, int]) -> tuple[int, int]:
    """A list item: its whole line(s) when it stands alone on them, else the item and one comma."""
    start, end = item
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if after < len(text) and text[after] == ",":
        after += 1
    line_start, line_end = _line_start(text, start), _line_end(text, max(after - 1, start))
    rest = text[after:line_end].strip()
    if not text[line_start:start].strip() and (not rest or rest.startswith(("#", "//"))):
        return line_start, line_end
    if after > end and text[after - 1] == ",":
        while after < len(text) and text[after] in " \t":
            after += 1
        return start, after
    before = start  # the last item of an inline list: take the comma before it
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before > 0 and text[before - 1] == ",":
        return before - 1, end
    return start, end


def _entries(value: Any) -> list[tuple[str | None, tuple[int, int], Any]]:
    """(key or literal, span, node) of each element of a list or map literal."""
    node = value
    while _kind(node) == "ExprTermRule" and len(_children(node)) == 1:
        node = _children(node)[0]
    out: list[tuple[str | None, tuple[int, int], Any]] = []
    if _kind(node) == "TupleRule":
        for item in (c for c in _children(node) if _kind(c) == "ExprTermRule"):
            span = _span(item)
            if span:
                out.append((_literal(item), span, item))
    elif _kind(node) == "ObjectRule":
        for element in (c for c in _children(node) if _kind(c) == "ObjectElemRule"):
            key_node = _children(element)[0]
            key_inner = _children(key_node)[0] if _children(key_node) else None
            key = (_literal(key_inner) if _kind(key_inner) == "StringRule" else _identifier(key_inner)) \
                if key_inner is not None else None
            span = _span(element)
            if span:
                out.append((key, span, element))
    return out


def _collection_of(value: Any) -> list[str] | None:
    """The local/var a for_each or count expression is built from (toset(local.users) -> local.users)."""
    for reference in _references(value):
        if reference.address.startswith(("local.", "var.")):
            return reference.address.split(".", 1)
    return None


def _literal_collection(value: Any) -> Any:
    """The list or map literal a for_each expression is written with, if any (toset([...]) -> [...])."""
    if _kind(value) in ("TupleRule", "ObjectRule"):
        return value
    for child in _children(value):
        found = _literal_collection(child)
        if found is not None:
            return found
    return None


def _cut_locals_referring_to(text: str, block: Block, references: list[Reference], gone: set[str],
                             cuts: dict[tuple[int, int], str]) -> bool:
    """In a locals block, a list loses the items naming what is gone; any other value naming it loses
    the whole local, which is then gone too. True when a local went (its own references must follow)."""
    went = False
    for name, (start, end) in block.attribute_spans.items():
        if f"local.{name}" in gone:
            continue
        refs = [r for r in references if r.address in gone and start <= r.start < end]
        if any(r.item is None for r in refs):
            cuts[_lines_cut(text, start, end)] = f"local.{name} (line {_line_of(text, start)})"
            gone.add(f"local.{name}")
            went = True
            continue
        for r in refs:
            assert r.item is not None
            cuts.setdefault(_item_cut(text, r.item), f"an item of local.{name}")
    return went


def remove_users(text: str, usernames: Sequence[str], *, path: str = "iam_users.tf") -> EditResult:
    wanted = {name.casefold(): name for name in usernames}
    if not wanted:
        raise TerraformEditError("no user to remove")
    blocks = _blocks(_parse(text, path))  # parse 1 of 2
    cuts: dict[tuple[int, int], str] = {}
    warnings: list[str] = []
    found: set[str] = set()
    gone: set[str] = set()  # addresses removed: their references go too

    collections: dict[tuple[str, str], Any] = {}
    for block in blocks:
        if block.kind == "locals":
            for name, value in block.attributes.items():
                collections[("local", name)] = value
        elif block.kind == "variable" and block.labels and "default" in block.attributes:
            collections[("var", block.labels[0])] = block.attributes["default"]

    for block in blocks:
        is_user = block.kind == "resource" and block.labels[:1] == ["aws_iam_user"]
        is_module = block.kind == "module"
        if not (is_user or is_module):
            continue
        names = {a: _literal(v) for a, v in block.attributes.items() if a in USER_NAME_ATTRIBUTES}
        literal = next((v for v in names.values() if v and v.casefold() in wanted), None)
        if literal:
            found.add(literal.casefold())
            cuts[_block_cut(text, block)] = f"{block.describe()} (line {block.line})"
            if block.address:
                gone.add(block.address)
            continue
        # A user resource or a module driven by count or for_each over a collection of usernames.
        if "count" in block.attributes:
            source = _collection_of(block.attributes["count"]) or _collection_of(block.attributes.get("name"))
            values = [k for k, _, _ in _entries(collections.get(tuple(source)))] if source else []  # type: ignore[arg-type]
            hit = [v for v in values if v and v.casefold() in wanted]
            if hit:
                raise TerraformEditError(
                    f"{path}:{block.line}: {block.describe()} creates users with count over "
                    f"{'.'.join(source or [])}; removing {', '.join(hit)} would shift every later user's index and "
                    "Terraform would destroy and recreate them. Move the users to for_each (or terraform state mv) "
                    "first, then remove them.")
        if "for_each" in block.attributes:
            source = _collection_of(block.attributes["for_each"])
            if source:
                value, where = collections.get(tuple(source)), ".".join(source)  # type: ignore[arg-type]
            else:  # for_each = toset(["Ann.Lee", ...]) or a map written in place
                value, where = _literal_collection(block.attributes["for_each"]), f"the for_each of {block.address}"
            for key, span, _node in _entries(value):
                if key and key.casefold() in wanted:
                    found.add(key.casefold())
                    cuts[_item_cut(text, span)] = f'{where}["{key}"]'
                    gone.add(f'{block.address}["{key}"]')

    # Other collections keyed by, or holding, a removed username (a user -> groups map, an admins list).
    for (scope, name), value in collections.items():
        for key, span, _node in _entries(value):
            if key and key.casefold() in wanted and _item_cut(text, span) not in cuts:
                found.add(key.casefold())
                cuts[_item_cut(text, span)] = f'{scope}.{name}["{key}"]'

    missing = [original for folded, original in wanted.items() if folded not in found]
    if missing:
        raise TerraformEditError(f"{path}: no IAM user named {', '.join(missing)} (nothing changed)")

    # References: blocks that point at what is gone go too; lists that keep other items just lose one.
    references = {b.start: list(_references(b.raw)) for b in blocks}  # one walk of the tree per block
    removed_blocks = {b.start for b in blocks if any(s <= b.start and b.end <= e for s, e in cuts)}
    changed = True
    while changed:
        changed = False
        for block in blocks:
            if block.kind == "locals" and block.start not in removed_blocks:
                changed |= _cut_locals_referring_to(text, block, references[block.start], gone, cuts)
                continue
            if block.start in removed_blocks or block.kind in ("variable", "terraform", "provider"):
                continue
            refs = [r for r in references[block.start] if r.address in gone]
            literal_refs = [attr for attr, value in block.attributes.items()
                            if attr in REFERENCE_ATTRIBUTES and (_literal(value) or "").casefold() in wanted]
            whole = bool(literal_refs) or any(r.item is None for r in refs)
            # Items to cut, per list: by reference, or by literal username in users = [...].
            by_list: dict[tuple[int, int], tuple[str, int, set[tuple[int, int]]]] = {}
            for r in refs:
                if r.item and r.container:
                    attribute, count, items = by_list.setdefault(r.container, (r.attribute, r.siblings, set()))
                    items.add(r.item)
            for attr, value in block.attributes.items():
                if attr in REFERENCE_ATTRIBUTES:
                    entries = _entries(value)
                    hits = {span for key, span, _ in entries if key and key.casefold() in wanted}
                    container = _span(value)
                    if hits and container:
                        by_list.setdefault(container, (attr, len(entries), set()))[2].update(hits)
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
                removed_blocks.add(block.start)
                cuts[_block_cut(text, block)] = f"{block.describe()} (line {block.line})"
                if block.address:
                    gone.add(block.address)
                changed = True
                continue
            for _attribute, _count, items in by_list.values():
                for item in items:
                    cut = _item_cut(text, item)
                    if cut not in cuts:
                        cuts[cut] = f"an item of {block.describe()} (line {block.line})"
            for attribute in emptied:  # a policy's principals or resources left empty no longer mean the same
                warning = (f"{block.describe()} (line {block.line}) is left with an empty `{attribute}` list: "
                           "check by hand")
                if warning not in warnings:  # the cascade may pass over this block again
                    warnings.append(warning)
    for block in blocks:
        if block.start in removed_blocks:
            continue
        for reference in references[block.start]:
            if reference.address in gone and not any(s <= reference.start < e for s, e in cuts):
                warnings.append(f"{block.describe()} (line {_line_of(text, reference.start)}) still refers to "
                                f"{reference.address}: "
                                "edit it by hand")
        for address in sorted(gone):
            pattern = r"\$\{[^}]*\b" + re.escape(address) + r"(?![\w-])"
            if re.search(pattern, text[block.start:block.end]):
                warnings.append(f"{block.describe()} (line {block.line}) still mentions {address} inside a heredoc "
                                "template: edit it by hand")

    # Cut from the end so earlier positions stay valid; drop cuts inside larger ones.
    spans = sorted(cuts, key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int]] = []
    for span in spans:
        if kept and span[0] < kept[-1][1]:
            if span[1] > kept[-1][1]:
                kept[-1] = (kept[-1][0], span[1])
            continue
        kept.append(span)
    result = text
    for start, end in reversed(kept):
        result = result[:start] + result[end:]
    _parse(result, f"{path} (after the edit; nothing was written)", tree_only=True)  # parse 2 of 2
    removed = [cuts[s] for s in sorted(cuts) if any(k[0] <= s[0] and s[1] <= k[1] for k in kept)]
    return EditResult(result, removed, warnings)


def owners(text: str, *, path: str = "iam_users.tf") -> dict[str, str]:
    """AWS username -> owner, from `tags = { owner = "..." }` (or Owner) on aws_iam_user blocks."""
    out: dict[str, str] = {}
    for block in _blocks(_parse(text, path)):
        if block.kind != "resource" or block.labels[:1] != ["aws_iam_user"]:
            continue
        name = _literal(block.attributes.get("name")) if "name" in block.attributes else None
        tags = block.attributes.get("tags")
        for key, _span, element in _entries(tags) if tags is not None else []:
            if name and key and key.lower() == "owner":
                value = _literal(_children(element)[-1])
                if value:
                    out[name] = value
    return out
