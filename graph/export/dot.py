"""Decision trees as Graphviz DOT, and SVG, PNG or PDF drawn by the Graphviz ``dot`` program.

DOT is text and needs nothing installed; the drawn formats run ``dot`` with a time limit. Labels
are HTML-like (bold node names, left-aligned statement lines), every piece of text escaped.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

from ..errors import InputError
from .tree import (
    COLOURS,
    DISPUTE_COLOUR,
    SAFETY_NOTE,
    SOURCE_NOTE,
    Tree,
    TreeBranch,
    TreeNode,
    branch_lines,
    diagram_key,
    node_lines,
    question_lines,
    statement_lines,
)

#: Formats the ``dot`` program draws, and the seconds it may take (a 100-node tree takes under one).
RENDER_FORMATS = ("svg", "png", "pdf")
RENDER_TIMEOUT_S = 60
INSTALL_HINT = "install Graphviz: `apt-get install graphviz` (Debian, Ubuntu) or `brew install graphviz` (macOS)"
FONT = "Helvetica"


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _quoted(text: str) -> str:
    """A DOT double-quoted string (escString): backslashes and quotes escaped, one line."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _edge_label(lines: list[str]) -> str:
    """A DOT string whose lines are centred (``\\n`` between the escaped lines)."""
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


def _colours(style: str | None, default: str) -> dict:
    return COLOURS[style] if style in ("path", "off", "undecided") else COLOURS[default]


_NOTE_DASHED = ', style="filled,dashed"'


def _dashed(state: str | None) -> str:
    """Extra attributes of what is not decided yet: a dashed outline or line."""
    return ', style="rounded,filled,dashed"' if state == "undecided" else ""


def _node_label(node: TreeNode) -> str:
    name = "<BR/>".join(_html(line) for line in node_lines(node))
    parts = [f"<B>{name}</B>"]
    if node.question:
        parts.append("<I>" + "<BR/>".join(_html(line) for line in question_lines(node)) + "</I>")
    return "<" + "<BR/>".join(parts) + ">"


def _statements_label(node: TreeNode) -> str:
    rows = []
    for i, statement in enumerate(node.statements):
        if i:
            rows.append(" <BR ALIGN=\"LEFT\"/>")
        for style, line in statement_lines(statement):
            text = _html(line)
            text = f"<B>{text}</B>" if style == "heading" else text
            text = f'<FONT COLOR="{DISPUTE_COLOUR}">{text}</FONT>' if style == "dispute" else text
            rows.append(f"{text}<BR ALIGN=\"LEFT\"/>")
    return "<" + "".join(rows) + ">"


def _node(node: TreeNode, indent: str) -> list[str]:
    c = _colours(node.state, "decision")
    width = 2.5 if node.state == "path" else 1.2
    tooltip = node.label + (f": {node.question}" if node.question else "")
    lines = [
        f"{indent}{_quoted(node.key)} [label={_node_label(node)}, tooltip={_quoted(tooltip)}, "
        f'fillcolor="{c["fill"]}", color="{c["stroke"]}", fontcolor="{c["font"]}", penwidth={width}{_dashed(node.state)}];'
    ]
    if node.statements:
        s = _colours(node.state, "statements")
        lines.append(
            f"{indent}{_quoted(node.statements_key)} [shape=note, label={_statements_label(node)}, "
            f'tooltip="statements", fillcolor="{s["fill"]}", color="{s["stroke"]}", fontcolor="{s["font"]}"'
            f"{_NOTE_DASHED if node.state == 'undecided' else ''}];"
        )
        lines.append(
            f'{indent}{_quoted(node.key)} -> {_quoted(node.statements_key)} [style=dashed, arrowhead=none, '
            f'color="{s["stroke"]}", weight=4];'
        )
        lines.append(f"{indent}{{rank=same; {_quoted(node.key)}; {_quoted(node.statements_key)};}}")
    return lines


def _branch(branch: TreeBranch, indent: str) -> str:
    style = {"taken": "taken", "not-taken": "not-taken", "undecided": "undecided"}.get(branch.state or "", "branch")
    c = COLOURS[style]
    width = 2.5 if branch.state == "taken" else 1.2
    tooltip = branch.label or branch.criterion
    dashed = ", style=dashed" if branch.state == "undecided" else ""
    return (
        f"{indent}{_quoted(branch.source)} -> {_quoted(branch.target)} [label={_edge_label(branch_lines(branch))}, "
        f'tooltip={_quoted(tooltip)}, color="{c["stroke"]}", fontcolor="{c["font"]}", penwidth={width}{dashed}];'
    )


def _cluster(tree: Tree) -> list[str]:
    title = f"<B>{_html(tree.title)}</B><BR/>{_html(tree.source())}"
    if tree.patient:
        title += "<BR/>highlighted: this patient's path"
    lines = [f"  subgraph {_quoted('cluster_' + diagram_key(tree.id))} {{", f"    label=<{title}>;", '    color="#9e9e9e";']
    for node in tree.nodes:
        lines += _node(node, "    ")
    lines += [_branch(branch, "    ") for branch in tree.branches]
    lines.append("  }")
    return lines


def _legend(trees: list[Tree]) -> list[str]:
    """One node holding a table: a legend stays compact wherever the layout puts it."""
    patient = [t for t in trees if t.patient]
    entries = (patient or trees)[0].legend() if trees else []
    rows = ['<TR><TD COLSPAN="2" BORDER="0" ALIGN="LEFT"><B>Legend</B></TD></TR>']
    for style, words in entries:
        if style == "branch":
            swatch = '<TD BORDER="0">→</TD>'
        else:
            c = COLOURS[style]
            dashed = ' STYLE="dashed"' if style == "undecided" else ""
            swatch = f'<TD BGCOLOR="{c["fill"]}" COLOR="{c["stroke"]}" WIDTH="28"{dashed}> </TD>'
        rows.append(f'<TR>{swatch}<TD BORDER="0" ALIGN="LEFT">{_html(words)}</TD></TR>')
    rows.append(f'<TR><TD COLSPAN="2" BORDER="0" ALIGN="LEFT">{_html(SAFETY_NOTE)}</TD></TR>')
    rows.append(f'<TR><TD COLSPAN="2" BORDER="0" ALIGN="LEFT">{_html(SOURCE_NOTE)}</TD></TR>')
    table = '<TABLE BORDER="1" COLOR="#9e9e9e" CELLBORDER="1" CELLSPACING="4" CELLPADDING="3">' + "".join(rows) + "</TABLE>"
    return [f'  "legend" [shape=plaintext, style="", tooltip="legend", label=<{table}>];']


def to_dot(trees: list[Tree]) -> str:
    """DOT text of one or more trees, each in a cluster, with a legend.

    Examples
    --------
    >>> to_dot([]).splitlines()[0]
    'digraph "guidegraph" {'
    """
    lines = [
        'digraph "guidegraph" {',
        f'  graph [rankdir=TB, newrank=true, fontname="{FONT}", fontsize=12, nodesep=0.35, ranksep=0.5, '
        'labelloc=t, labeljust=l, tooltip="guidegraph decision pathways"];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    for tree in trees:
        lines += _cluster(tree)
    lines += _legend(trees)
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_program() -> str:
    """Where the ``dot`` program is; an input error that says how to install it when it is missing."""
    program = shutil.which("dot")
    if program is None:
        raise InputError(f"the Graphviz `dot` program is not installed; {INSTALL_HINT}")
    return program


def render_dot(text: str, *, fmt: str, timeout_s: float = RENDER_TIMEOUT_S) -> bytes:
    """Draw DOT text as SVG, PNG or PDF with Graphviz ``dot``.

    Raises
    ------
    InputError
        Unknown format, ``dot`` missing (with how to install it), ``dot`` failing or too slow.
    """
    if fmt not in RENDER_FORMATS:
        raise InputError(f"unknown drawing format {fmt!r}; use one of: {', '.join(RENDER_FORMATS)}")
    program = dot_program()
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=text.encode("utf-8"), capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"Graphviz took longer than {timeout_s:g} s to draw the diagram") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.decode("utf-8", "replace").split()) or f"exit code {done.returncode}"
        raise InputError(f"Graphviz could not draw the diagram: {reason}")
    return without_creation_date(done.stdout) if fmt == "pdf" else done.stdout


# Cairo stamps a PDF with the time it was drawn (and ignores SOURCE_DATE_EPOCH), so two exports of
# one library would differ. The stamp is overwritten with a fixed one of the same length: the byte
# offsets in the file's cross-reference table stay right.
_CREATION_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z\)")
FIXED_CREATION_DATE = b"/CreationDate (D:19700101000000Z)"


def without_creation_date(pdf: bytes) -> bytes:
    """The PDF with its UTC creation time replaced by the epoch.

    >>> without_creation_date(b"<< /CreationDate (D:20261203192011Z) >>")
    b'<< /CreationDate (D:19700101000000Z) >>'
    """
    return _CREATION_DATE.sub(FIXED_CREATION_DATE, pdf)
