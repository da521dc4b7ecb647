"""Decision trees as Mermaid flowchart text, and a checker for the flowchart syntax it writes.

Mermaid renders in Markdown on most code-hosting sites and wikis, so a pathway diagram can live next
to the guideline text. No maintained Python parser of Mermaid exists (the reference parser is
JavaScript), so :func:`check_flowchart` checks the subset of flowchart syntax that diagrams use:
header, nodes with shapes and quoted labels, links with labels, subgraphs, classDef, class,
linkStyle, style and comments.
"""

from __future__ import annotations

import re

from .tree import (
    COLOURS,
    SAFETY_NOTE,
    SOURCE_NOTE,
    Tree,
    TreeNode,
    branch_lines,
    diagram_key,
    node_lines,
    question_lines,
    statement_lines,
)

# Mermaid reads "#name;" and "#123;" as character entities; these characters would end a label,
# open HTML, or start an entity by accident.
_ENTITIES = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "`": "#96;"}


def escape_label(text: str) -> str:
    """Text safe inside a double-quoted Mermaid label.

    >>> escape_label('dose <5 mg & "rapid" #1')
    'dose #lt;5 mg #amp; #quot;rapid#quot; #35;1'
    """
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def _label(lines: list[str]) -> str:
    return '"' + "<br/>".join(escape_label(line) for line in lines) + '"'


def _node_id(key: str) -> str:
    # A prefix keeps ids clear of Mermaid's traps: "end", and links read as "--o" / "--x" edges.
    return f"n_{key}"


def _decision_label(node: TreeNode) -> str:
    lines = [f"<b>{escape_label(line)}</b>" for line in node_lines(node)]
    lines += [f"<i>{escape_label(line)}</i>" for line in question_lines(node)]
    return '"' + "<br/>".join(lines) + '"'


def _statements_label(node: TreeNode) -> str:
    parts = []
    for statement in node.statements:
        rows = []
        for style, line in statement_lines(statement):
            text = escape_label(line)
            rows.append(f"<b>{text}</b>" if style == "heading" else text)
        parts.append("<br/>".join(rows))
    return '"' + "<br/><br/>".join(parts) + '"'


def _class_lines() -> list[str]:
    def style(name: str) -> str:
        c = COLOURS[name]
        return f"fill:{c['fill']},stroke:{c['stroke']},color:{c['font']}"

    return [
        f"  classDef decision {style('decision')}",
        f"  classDef statements {style('statements')},text-align:left",
        f"  classDef path {style('path')},stroke-width:3px",
        f"  classDef off {style('off')}",
        f"  classDef undecided {style('undecided')},stroke-dasharray:5",
    ]


def to_mermaid(trees: list[Tree]) -> str:
    """Mermaid flowchart text of one or more trees (a subgraph each) and a legend subgraph.

    Examples
    --------
    >>> to_mermaid([]).splitlines()[:2]
    ['%% guidegraph decision pathways', '%% Options from named sources for a clinician to check; never orders.']
    """
    lines = [
        "%% guidegraph decision pathways",
        f"%% {SAFETY_NOTE}",
        f"%% {SOURCE_NOTE}",
        # Lines are already wrapped here; Mermaid's own 200px wrapping would break them again.
        '%%{init: {"flowchart": {"wrappingWidth": 420}}}%%',
        "flowchart TB",
    ]
    links: list[str | None] = []  # the state of every link, in order: linkStyle addresses links by index
    classes: dict[str, list[str]] = {}
    for tree in trees:
        title = f"{tree.title} · {tree.source()}"
        lines.append(f"  subgraph {_node_id('pathway_' + diagram_key(tree.id))}[{_label([title])}]")
        lines.append("    direction TB")
        for node in tree.nodes:
            nid = _node_id(node.key)
            lines.append(f"    {nid}{{{{{_decision_label(node)}}}}}")
            classes.setdefault(node.state or "decision", []).append(nid)
            if node.statements:
                sid = _node_id(node.statements_key)
                lines.append(f"    {sid}[{_statements_label(node)}]")
                lines.append(f"    {nid} -.- {sid}")
                muted = node.state if node.state in ("off", "undecided") else None
                links.append(muted)
                classes.setdefault(muted or "statements", []).append(sid)
        for branch in tree.branches:
            arrow = {"taken": "==>", "undecided": "-.->"}.get(branch.state or "", "-->")
            lines.append(f"    {_node_id(branch.source)} {arrow}|{_label(branch_lines(branch))}| {_node_id(branch.target)}")
            links.append(branch.state)
        lines.append("  end")
    legend = ((([t for t in trees if t.patient] or trees)[0]).legend()) if trees else []
    lines.append(f"  subgraph legend[{_label(['Legend'])}]")
    lines.append("    direction TB")
    previous = None
    for i, (style, words) in enumerate(legend):
        lid = f"legend_{i}"
        lines.append(f"    {lid}[{_label([words])}]")
        if style != "branch":
            classes.setdefault(style, []).append(lid)
        if previous:
            lines.append(f"    {previous} ~~~ {lid}")
            links.append(None)
        previous = lid
    lines.append(f"    legend_note[{_label([SAFETY_NOTE, SOURCE_NOTE])}]")
    if previous:
        lines.append(f"    {previous} ~~~ legend_note")
        links.append(None)
    lines.append("  end")
    lines += _class_lines()
    for name in ("decision", "statements", "path", "off", "undecided"):
        if classes.get(name):
            lines.append(f"  class {','.join(classes[name])} {name}")
    for state in ("taken", "not-taken", "off", "undecided"):
        indexes = [str(i) for i, s in enumerate(links) if s == state]
        if indexes:
            c = COLOURS["off" if state == "off" else state]
            width = ",stroke-width:3px" if state == "taken" else ""
            lines.append(f"  linkStyle {','.join(indexes)} stroke:{c['stroke']},color:{c['font']}{width}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the checker

_DIRECTIONS = ("TB", "TD", "BT", "RL", "LR")
_ID = r"[A-Za-z0-9_]+"
# Shape openers and their closers, longest first so that "([" is not read as "(".
_SHAPES = [
    ("(((", ")))"), ("([", "])"), ("[[", "]]"), ("[(", ")]"), ("((", "))"), ("{{", "}}"),
    ("[/", "/]"), ("[\\", "\\]"), ("[/", "\\]"), ("[\\", "/]"), (">", "]"), ("[", "]"), ("(", ")"), ("{", "}"),
]
_LINK = re.compile(
    r"\s*(?:(?P<textlink>--\s(?P<text>[^-|]+?)\s-->)|(?P<arrow><-->|<==>|-->|---|-\.->|-\.-|==>|===|--o|--x|~~~|==o|==x))"
)
_BREAKING = set('"[](){}|')


def _parse_text(text: str, pos: int, closer: str, line_no: int, problems: list[str], what: str) -> int | None:
    """Read a label up to ``closer``; returns the position after the closer, or None after a problem."""
    if text.startswith('"', pos):
        end = text.find('"', pos + 1)
        if end < 0:
            problems.append(f"line {line_no}: {what} opens a quoted label that never closes")
            return None
        if not text.startswith(closer, end + 1):
            problems.append(f"line {line_no}: {what}: expected {closer!r} after the quoted label, found {text[end + 1:end + 6]!r}")
            return None
        return end + 1 + len(closer)
    end = text.find(closer, pos)
    if end < 0:
        problems.append(f"line {line_no}: {what} is not closed with {closer!r}")
        return None
    inner = text[pos:end]
    bad = sorted(_BREAKING.intersection(inner))
    if bad:
        problems.append(f"line {line_no}: {what}: unquoted label holds {' '.join(bad)}; quote it or escape them")
        return None
    return end + len(closer)


def _parse_node(text: str, pos: int, line_no: int, problems: list[str], ids: set[str]) -> int | None:
    match = re.compile(_ID).match(text, pos)
    if not match:
        problems.append(f"line {line_no}: expected a node id at {text[pos:pos + 12]!r}")
        return None
    node_id, pos = match.group(), match.end()
    if node_id == "end":
        problems.append(f"line {line_no}: 'end' cannot be a node id (it closes a subgraph)")
        return None
    ids.add(node_id)
    for opener, closer in _SHAPES:
        if text.startswith(opener, pos):
            pos = _parse_text(text, pos + len(opener), closer, line_no, problems, f"node {node_id}")
            if pos is None:
                return None
            break
    if text.startswith(":::", pos):
        match = re.compile(_ID).match(text, pos + 3)
        if not match:
            problems.append(f"line {line_no}: ':::' after node {node_id} names no class")
            return None
        pos = match.end()
    return pos


def _parse_chain(text: str, line_no: int, problems: list[str], ids: set[str]) -> int | None:
    """A node, or nodes joined by links; returns the number of links, or None after a problem."""
    pos = _parse_node(text, 0, line_no, problems, ids)
    links = 0
    while pos is not None and pos < len(text):
        match = _LINK.match(text, pos)
        if not match:
            problems.append(f"line {line_no}: expected a link or the end of the line at {text[pos:pos + 12]!r}")
            return None
        pos = match.end()
        if text.startswith("|", pos):
            pos = _parse_text(text, pos + 1, "|", line_no, problems, "link label")
            if pos is None:
                return None
        while pos < len(text) and text[pos] == " ":
            pos += 1
        pos = _parse_node(text, pos, line_no, problems, ids)
        links += 1
    return None if pos is None else links


def check_flowchart(text: str) -> list[str]:
    """Problems that would stop Mermaid from drawing this flowchart; empty when it is well formed.

    Examples
    --------
    >>> check_flowchart('flowchart TB\\n  a["start"] -->|"yes"| b{{"next"}}\\n')
    []
    >>> check_flowchart('flowchart TB\\n  a["say "hi""] --> b\\n')[0][:51]
    "line 2: node a: expected ']' after the quoted label"
    >>> check_flowchart('flowchart TB\\n  subgraph s\\n  a --> b\\n')
    ['line 3: subgraph s opened on line 2 is never closed with end']
    """
    problems: list[str] = []
    header_seen = False
    stack: list[tuple[str, int]] = []
    links = 0
    ids: set[str] = set()
    class_defs: set[str] = set()
    used_classes: list[tuple[str, int]] = []
    link_styles: list[tuple[int, int]] = []
    lines = text.splitlines()
    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if not header_seen:
            words = line.split()
            if words[0] not in ("flowchart", "graph") or len(words) > 2 or (len(words) == 2 and words[1] not in _DIRECTIONS):
                problems.append(f"line {line_no}: a flowchart starts with 'flowchart' and a direction ({', '.join(_DIRECTIONS)}), not {line[:30]!r}")
                return problems
            header_seen = True
            continue
        word = line.split()[0]
        rest = line[len(word):].strip()
        if word == "subgraph":
            match = re.fullmatch(rf"({_ID})(.*)", rest)
            if not match:
                problems.append(f"line {line_no}: subgraph needs an id")
                continue
            ids.add(match.group(1))
            title = match.group(2).strip()
            if title and not title.startswith("["):
                problems.append(f"line {line_no}: a subgraph title goes in brackets: subgraph id[\"title\"]")
            elif title:
                end = _parse_text(title, 1, "]", line_no, problems, "subgraph title")
                if end is not None and end != len(title):
                    problems.append(f"line {line_no}: text after the subgraph title: {title[end:end + 12]!r}")
            stack.append((match.group(1), line_no))
        elif word == "end" and not rest:
            if not stack:
                problems.append(f"line {line_no}: 'end' without an open subgraph")
            else:
                stack.pop()
        elif word == "direction":
            if rest not in _DIRECTIONS:
                problems.append(f"line {line_no}: direction must be one of {', '.join(_DIRECTIONS)}")
        elif word == "classDef":
            match = re.fullmatch(rf"({_ID})\s+([\w-]+:[^\s;]+(?:,[\w-]+:[^\s;]+)*);?", rest)
            if not match:
                problems.append(f"line {line_no}: classDef needs a name and property:value styles")
            else:
                class_defs.add(match.group(1))
        elif word == "class":
            match = re.fullmatch(rf"({_ID}(?:,{_ID})*)\s+({_ID});?", rest)
            if not match:
                problems.append(f"line {line_no}: class needs node ids and a class name")
            else:
                used_classes.append((match.group(2), line_no))
        elif word == "style":
            if not re.fullmatch(rf"{_ID}\s+[\w-]+:[^\s;]+(?:,[\w-]+:[^\s;]+)*;?", rest):
                problems.append(f"line {line_no}: style needs a node id and property:value styles")
        elif word == "linkStyle":
            match = re.fullmatch(r"(default|\d+(?:,\d+)*)\s+[\w-]+:[^\s;]+(?:,[\w-]+:[^\s;]+)*;?", rest)
            if not match:
                problems.append(f"line {line_no}: linkStyle needs link numbers (or default) and property:value styles")
            elif match.group(1) != "default":
                link_styles += [(int(n), line_no) for n in match.group(1).split(",")]
        else:
            found = _parse_chain(line.rstrip(";"), line_no, problems, ids)
            links += found or 0
    if not header_seen:
        problems.append("line 1: no 'flowchart' header")
    for name, opened in stack:
        problems.append(f"line {len(lines)}: subgraph {name} opened on line {opened} is never closed with end")
    for index, line_no in link_styles:
        if index >= links:
            problems.append(f"line {line_no}: linkStyle {index} names a link that does not exist (there are {links})")
    for name, line_no in used_classes:
        if name not in class_defs:
            problems.append(f"line {line_no}: class {name} has no classDef")
    return problems
