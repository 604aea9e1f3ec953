"""Which bytes go: whole lines of a block with the comments that belong to it, one list item, one heredoc line.

Every range here is on the file's bytes; whatever is not inside a range stays
byte for byte.
"""

from __future__ import annotations

from collections.abc import Collection

Span = tuple[int, int]


def line_start(data: bytes, pos: int) -> int:
    return data.rfind(b"\n", 0, pos) + 1


def line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def line_end(data: bytes, pos: int) -> int:
    """Position just after the newline ending the line that holds pos (or the end of the data)."""
    end = data.find(b"\n", pos)
    return len(data) if end == -1 else end + 1


def _blank(line: bytes) -> bool:
    return not line.strip()


def _comment(line: bytes) -> bool:
    stripped = line.strip()
    return stripped.startswith((b"#", b"//")) or (stripped.startswith(b"/*") and stripped.endswith(b"*/"))


def _comment_block_above(data: bytes, start: int) -> int:
    """Where the run of comment lines ending just before `start` begins (`start` when there is none)."""
    while start > 0:
        previous = line_start(data, start - 1)
        if not _comment(data[previous:start]):
            break
        start = previous
    return start


def lines_cut(data: bytes, first: int, last: int, names: Collection[str] = ()) -> Span:
    """Whole lines of a block (or attribute), the comment lines directly above it, and one blank line around.

    A banner (a run of comment lines) separated from the block by one blank line goes too when it names one
    of `names` (the user, or the block's label): "#### Bob.Smith ####" above Bob's resources is Bob's.
    """
    start, end = line_start(data, first), line_end(data, last - 1)
    if data[start:first].strip() or data[last:end].strip():
        return first, last  # shares its lines with other code: cut only the block
    start = _comment_block_above(data, start)
    if start > 0 and names:
        blank = line_start(data, start - 1)
        if _blank(data[blank:start]) and blank > 0:
            banner = _comment_block_above(data, blank)
            text = data[banner:blank].decode("utf-8", errors="replace").casefold()
            if banner < blank and any(name.casefold() in text for name in names if name):
                start = banner
    following = line_end(data, end) if end < len(data) else end
    before_blank = start == 0 or _blank(data[line_start(data, start - 1):start])
    if end < len(data) and _blank(data[end:following]) and before_blank:
        end = following  # keep a single blank line between the neighbours
    elif end >= len(data) and start > 0 and _blank(data[line_start(data, start - 1):start]):
        start = line_start(data, start - 1)  # the removed block ended the file: drop the blank line before it
    return start, end


def comment_above(data: bytes, pos: int) -> Span | None:
    """The run of comment lines directly above the line holding `pos` (no blank line between), if any."""
    first = line_start(data, pos)
    start = _comment_block_above(data, first)
    return (start, first) if start < first else None


def comment_lines(data: bytes, start: int, end: int) -> list[Span]:
    """The comment lines between two positions."""
    out, pos = [], start
    while pos < end:
        stop = min(line_end(data, pos), end)
        if _comment(data[pos:stop]):
            out.append((pos, stop))
        pos = stop
    return out


def block_lines_cut(data: bytes, first: int, last: int) -> Span:
    """Whole lines of a block without the comment above it (a section's heading, kept for the members left),
    and the blank line after it, so the heading ends up directly above the next member."""
    start, end = line_start(data, first), line_end(data, last - 1)
    if data[start:first].strip() or data[last:end].strip():
        return first, last
    if end < len(data) and _blank(data[end:line_end(data, end)]):
        end = line_end(data, end)
    return start, end


def item_cut(data: bytes, item: Span) -> Span:
    """A list item: its whole line(s) when it stands alone on them, else the item and one comma."""
    start, end = item
    after = end
    while after < len(data) and data[after:after + 1] in (b" ", b"\t"):
        after += 1
    if after < len(data) and data[after:after + 1] == b",":
        after += 1
    first_line, last_line = line_start(data, start), line_end(data, max(after - 1, start))
    rest = data[after:last_line].strip()
    if not data[first_line:start].strip() and (not rest or rest.startswith((b"#", b"//"))):
        return _comment_block_above(data, first_line), last_line  # the item's own comment goes with it
    if after > end and data[after - 1:after] == b",":
        while after < len(data) and data[after:after + 1] in (b" ", b"\t"):
            after += 1
        return start, after
    before = start  # the last item of an inline list: take the comma before it
    while before > 0 and data[before - 1:before] in (b" ", b"\t"):
        before -= 1
    if before > 0 and data[before - 1:before] == b",":
        return before - 1, end
    return start, end


def template_line_cut(data: bytes, template: Span, reference: Span) -> list[Span] | None:
    """In a heredoc (a JSON policy), the line holding only one array element with the reference, such as
    `"${aws_iam_user.bob.arn}",`, and the comma it leaves dangling; None when the line holds anything else."""
    first, last = line_start(data, reference[0]), line_end(data, reference[1])
    if first <= template[0] or last >= template[1]:
        return None
    line = data[first:last].strip()
    body = line[:-1].rstrip() if line.endswith(b",") else line
    if not (body.startswith(b'"') and body.endswith(b'"') and body.count(b'"') == 2):
        return None
    cuts = [(first, last)]
    if not line.endswith(b","):  # the last element: the one before it keeps a comma it must lose
        before = first
        while before > template[0]:
            previous = line_start(data, before - 1)
            text = data[previous:before].rstrip()
            if text.strip():
                if text.endswith(b","):
                    cuts.append((previous + len(text) - 1, previous + len(text)))
                break
            before = previous
    return cuts


def json_keys(data: bytes, start: int, pos: int) -> list[str]:
    """The JSON keys enclosing `pos` in a heredoc that starts at `start` ("Statement", "Principal", "AWS"):
    a scan of brackets, strings and keys that steps over `${...}` interpolations."""
    stack: list[list[str]] = []  # [bracket, key of the value being read]
    i = data.find(b"\n", start, pos) + 1 or pos
    while i < pos:
        c = data[i:i + 1]
        if data.startswith(b"${", i):
            depth, i = 1, i + 2
            while i < pos and depth:
                depth += {b"{": 1, b"}": -1}.get(data[i:i + 1], 0)
                i += 1
            continue
        if c == b'"':
            end = i + 1
            while end < pos and data[end:end + 1] != b'"':
                end += 2 if data[end:end + 1] == b"\\" else 1
            if end >= pos:
                break  # `pos` is inside this string
            after = end + 1
            while after < pos and data[after:after + 1] in b" \t\r\n":
                after += 1
            if data[after:after + 1] == b":" and stack and stack[-1][0] == "{":
                stack[-1][1] = data[i + 1:end].decode("utf-8", errors="replace")
            i = end + 1
            continue
        if c in (b"{", b"["):
            stack.append([c.decode(), ""])
        elif c in (b"}", b"]") and stack:
            stack.pop()
        elif c == b"," and stack and stack[-1][0] == "{":
            stack[-1][1] = ""
        i += 1
    return [key for bracket, key in stack if bracket == "{" and key]


def leaves_empty_array(data: bytes, template: Span, cuts: list[Span]) -> bool:
    """Whether cutting `cuts` (one element's line and a comma) out of a heredoc leaves `[` then `]`."""
    first = min(s for s, _ in cuts)
    last = max(e for _, e in cuts)
    before = data[template[0]:first].rstrip()
    after = data[last:template[1]].lstrip()
    return before.endswith(b"[") and after.startswith(b"]")
