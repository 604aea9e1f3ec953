"""Reading Terraform: one tree-sitter parse gives blocks, attributes, list items and every reference.

tree-sitter-hcl builds a concrete syntax tree with byte offsets, about 25x
faster than python-hcl2, and it parses the expressions inside `${...}` in
strings and heredocs too, so a policy that interpolates a user is seen as
referring to it. Everything here works on the file's UTF-8 bytes: the offsets
are bytes, and the editor cuts byte ranges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from oncall_lib.errors import InputError

Node = Any  # tree_sitter.Node


class TerraformEditError(InputError):
    """The file cannot be edited as asked; nothing was changed."""


@cache
def _parser() -> Any:
    from tree_sitter import Language, Parser
    from tree_sitter_hcl import language

    return Parser(Language(language()))


def parse_tree(data: bytes, path: str, old: Any = None) -> Any:
    """The tree (re-parsing only what changed when given the edited old tree); raises TerraformEditError naming
    the first line that is not HCL."""
    tree = _parser().parse(data, old) if old is not None else _parser().parse(data)
    if tree.root_node.has_error:
        raise TerraformEditError(f"{path}:{_first_error_line(tree.root_node)}: not valid HCL")
    return tree


def parse(data: bytes, path: str) -> Node:
    """The tree's root; raises TerraformEditError naming the first line that is not HCL."""
    return parse_tree(data, path).root_node


def _first_error_line(node: Node) -> int:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return int(current.start_point[0]) + 1
        if current.has_error:
            stack.extend(reversed(current.children))
    return int(node.start_point[0]) + 1


def text_of(node: Node) -> str:
    return bytes(node.text).decode("utf-8", errors="replace")


def _expression_child(node: Node) -> Node:
    """An `expression` that only wraps one thing, unwrapped (a traversal keeps its expression node)."""
    while node is not None and node.type == "expression" and node.named_child_count == 1:
        child = node.named_children[0]
        if child.type == "variable_expr":
            return node  # a bare name: keep the expression (a traversal of length one)
        node = child
    return node


def _inside(node: Node, wrapper: str) -> Node:
    """An expression unwrapped, and then its `wrapper` node (literal_value, collection_value) too."""
    node = _expression_child(node)
    return node.named_children[0] if node.type == wrapper and node.named_child_count == 1 else node


def literal(node: Node | None) -> str | None:
    """The value of a plain quoted string (no interpolation), else None."""
    if node is None:
        return None
    node = _inside(node, "literal_value")
    if node.type != "string_lit":
        return None
    parts = [c for c in node.named_children if c.type not in ("quoted_template_start", "quoted_template_end")]
    if any(p.type != "template_literal" for p in parts):
        return None
    return "".join(text_of(p) for p in parts)


def identifier(node: Node | None) -> str | None:
    """`bob` for a bare name (an object key written without quotes)."""
    if node is None:
        return None
    if node.type == "identifier":
        return text_of(node)
    children = node.named_children
    if node.type == "expression" and len(children) == 1 and children[0].type == "variable_expr":
        return text_of(children[0])
    return None


def traversal(node: Node) -> list[str] | None:
    """`aws_iam_user.bob.name` -> ["aws_iam_user", "bob", "name"]; an index becomes '["key"]' (or "[*]")."""
    if node.type != "expression":
        return None
    children = node.named_children
    if len(children) < 2 or children[0].type != "variable_expr":
        return None
    path = [text_of(children[0])]
    for part in children[1:]:
        if part.type == "get_attr":
            name = part.named_children[-1] if part.named_children else None
            if name is None:
                return path
            path.append(text_of(name))
        elif part.type == "index":
            inner = part.named_children[0] if part.named_children else None
            key_node = inner.named_children[0] if inner is not None and inner.named_children else None
            key = literal(key_node) if key_node is not None else None
            path.append(f'["{key}"]' if key is not None else "[*]")
        else:  # a splat: the rest is not an address
            break
    return path


def addresses(path: list[str]) -> list[str]:
    """Addresses a traversal can mean, most specific first."""
    out = []
    if path[0] == "data" and len(path) >= 3:
        if len(path) >= 4 and path[3].startswith("["):
            out.append(f"data.{path[1]}.{path[2]}{path[3]}")  # one instance of a for_each lookup
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


@dataclass(frozen=True)
class Reference:
    address: str  # "aws_iam_user.bob", 'aws_iam_user.team["Bob.Smith"]', "module.bob", "local.users"
    start: int
    end: int
    item: tuple[int, int] | None  # the list item it sits in, if any
    container: tuple[int, int] | None  # that list
    siblings: int  # how many items that list has
    attribute: str
    template: Node | None = None  # the heredoc or quoted string it is interpolated in, if any
    node: Node | None = None  # the traversal itself: its ancestors say which statement, map entry or list holds it


def references(node: Node, attribute: str = "") -> Iterator[Reference]:
    """Every reference under `node`, with the list item and the template it sits in: one walk."""
    stack: list[tuple[Node, str, tuple[Node, Node] | None, Node | None]] = [(node, attribute, None, None)]
    while stack:
        current, attr, in_tuple, template = stack.pop()
        kind = current.type
        if kind == "attribute":
            name = current.named_children[0] if current.named_children else None
            attr = text_of(name) if name is not None else attr
        elif kind in ("heredoc_template", "quoted_template"):
            template = current
        elif kind == "expression":
            path = traversal(current)
            if path is not None:
                item = container = None
                siblings = 0
                if in_tuple is not None:
                    tuple_node, item_node = in_tuple
                    items = [c for c in tuple_node.named_children if c.type == "expression"]
                    item, container, siblings = ((item_node.start_byte, item_node.end_byte),
                                                 (tuple_node.start_byte, tuple_node.end_byte), len(items))
                for address in addresses(path):
                    yield Reference(address, current.start_byte, current.end_byte, item, container, siblings, attr,
                                    template, current)
                # The index keys of a traversal may hold references of their own (x[local.k]): walk those only.
                for part in current.named_children[1:]:
                    if part.type == "index":
                        stack.append((part, attr, in_tuple, template))
                continue
        if kind == "tuple":
            for child in reversed(current.named_children):
                stack.append((child, attr, (current, child) if child.type == "expression" else in_tuple, template))
            continue
        if kind in ("object", "function_call", "for_expr", "block"):
            in_tuple = None  # a reference inside a map or a call is not a list item of the outer list
        for child in reversed(current.named_children):
            stack.append((child, attr, in_tuple, template))


class Block:
    """A top-level block. Only its span is read up front: a 5,000-user file has 25,000 blocks, and an edit
    looks into a few hundred, so the kind, labels and attributes are read on first use."""

    __slots__ = ("node", "start", "end", "_kind", "_labels", "_attributes", "_spans")

    def __init__(self, node: Node) -> None:
        self.node, self.start, self.end = node, int(node.start_byte), int(node.end_byte)

    @property
    def kind(self) -> str:  # resource, data, module, output, locals, variable, ...
        if not hasattr(self, "_kind"):
            self._kind = text_of(self.node.named_children[0])
        return self._kind

    @property
    def labels(self) -> list[str]:
        if not hasattr(self, "_labels"):
            self._labels = [_label(c) for c in self.node.named_children[1:]
                            if c.type in ("string_lit", "identifier")]
        return self._labels

    @property
    def line(self) -> int:
        return int(self.node.start_point[0]) + 1

    def _read_attributes(self) -> None:
        self._attributes: dict[str, Node] = {}
        self._spans: dict[str, tuple[int, int]] = {}
        inner = next((c for c in self.node.named_children if c.type == "body"), None)
        for attribute in inner.named_children if inner is not None else []:
            if attribute.type != "attribute" or len(attribute.named_children) < 2:
                continue
            name = text_of(attribute.named_children[0])
            self._attributes[name] = attribute.named_children[-1]
            self._spans[name] = (attribute.start_byte, attribute.end_byte)

    @property
    def attributes(self) -> dict[str, Node]:
        """name -> its expression; read on first use (most blocks of a large file are never looked into)."""
        if not hasattr(self, "_attributes"):
            self._read_attributes()
        return self._attributes

    @property
    def attribute_spans(self) -> dict[str, tuple[int, int]]:
        """name -> the whole `name = value`."""
        if not hasattr(self, "_spans"):
            self._read_attributes()
        return self._spans

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


def _label(node: Node) -> str:
    """A block label: "aws_iam_user" or bare; sliced from the bytes unless it has escapes or interpolation."""
    raw = bytes(node.text)
    if node.type == "string_lit" and b"\\" not in raw and b"${" not in raw and raw[:1] == raw[-1:] == b'"':
        return raw[1:-1].decode("utf-8", errors="replace")
    return literal(node) or text_of(node)


def blocks(root: Node, attributes: list[Node] | None = None) -> list[Block]:
    """The file's top-level blocks; its top-level attributes (terraform.tfvars, Terragrunt's `inputs`) are added
    to `attributes` when given, in the same pass."""
    body = next((c for c in root.named_children if c.type == "body"), None)
    found = []
    for node in body.named_children if body is not None else []:
        if node.type != "block":
            if attributes is not None and node.type == "attribute":
                attributes.append(node)
            continue
        found.append(Block(node))
    return found


def collection(node: Node | None) -> Node | None:
    """The tuple or object an expression is, if it is one."""
    if node is None:
        return None
    node = _inside(node, "collection_value")
    return node if node.type in ("tuple", "object") else None


def entries(value: Node | None) -> list[tuple[str | None, tuple[int, int], Node]]:
    """(key or literal, span, node) of each element of a list or map literal."""
    node = collection(value) if value is not None and value.type not in ("tuple", "object") else value
    out: list[tuple[str | None, tuple[int, int], Node]] = []
    if node is None:
        return out
    if node.type == "tuple":
        for item in (c for c in node.named_children if c.type == "expression"):
            out.append((literal(item), (item.start_byte, item.end_byte), item))
    elif node.type == "object":
        for element in (c for c in node.named_children if c.type == "object_elem"):
            out.append((key_of(element), (element.start_byte, element.end_byte), element))
    return out


def element_value(element: Node) -> Node | None:
    return element.child_by_field_name("val")


def collection_of(value: Node) -> list[str] | None:
    """The local/var a for_each or count expression is built from (toset(local.users) -> local.users)."""
    for reference in references(value):
        if reference.address.startswith(("local.", "var.")):
            return reference.address.split(".", 1)
    return None


def key_of(element: Node) -> str | None:
    """The key of a map entry (`"Bob.Smith" = ...`, `bob = ...`)."""
    key_node = element.child_by_field_name("key")
    return (literal(key_node) or identifier(key_node)) if key_node is not None else None


def key_path(node: Node, top: Node) -> list[tuple[str, str, Node]]:
    """What holds `node` inside `top`, outermost first: ("attribute", name), ("block", type) for a nested block,
    ("key", key) for a map entry, ("item", "") for a list item, ("call", function) for a function's argument."""
    path: list[tuple[str, str, Node]] = []
    current, child = node.parent, node
    while current is not None and current != top:
        kind = current.type
        if kind == "attribute" and current.named_children:
            path.append(("attribute", text_of(current.named_children[0]), current))
        elif kind == "block" and current.named_children:
            path.append(("block", text_of(current.named_children[0]), current))
        elif kind == "object_elem":
            path.append(("key", key_of(current) or "", current))
        elif kind == "tuple" and child.type == "expression":
            path.append(("item", "", child))
        elif kind == "function_call" and current.named_children:
            path.append(("call", text_of(current.named_children[0]), current))
        current, child = current.parent, current
    return list(reversed(path))


def name_template(node: Node | None) -> tuple[str, list[str], str] | None:
    """`"app-${name}"` -> ("app-", ["name"], ""): a quoted string that is one traversal between literal text."""
    if node is None:
        return None
    node = _expression_child(node)
    if node.type == "template_expr" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type not in ("quoted_template", "string_lit"):
        return None
    parts = [c for c in node.named_children if c.type not in ("quoted_template_start", "quoted_template_end")]
    holes = [i for i, p in enumerate(parts) if p.type == "template_interpolation"]
    if len(holes) != 1 or any(p.type not in ("template_literal", "template_interpolation") for p in parts):
        return None
    inner = [c for c in parts[holes[0]].named_children if c.type == "expression"]
    path = traversal(inner[0]) if inner else None
    if path is None and inner and identifier(inner[0]):
        path = [identifier(inner[0]) or ""]
    if path is None:
        return None
    return ("".join(text_of(p) for p in parts[:holes[0]]), path, "".join(text_of(p) for p in parts[holes[0] + 1:]))
