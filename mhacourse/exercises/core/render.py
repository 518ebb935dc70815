"""How exercises, hints, solutions and check results show in a notebook.

:class:`Text` shows as Markdown, :class:`Code` as a highlighted Python block, and
:class:`CheckResult` as a coloured box whose message is Markdown turned into HTML
by :func:`markdown_html` (code spans, ``**bold**``, ``*emphasis*``, code blocks).

>>> markdown_html("Use `dim=-1`, *not* **dim=0**.")
'Use <code>dim=-1</code>, <em>not</em> <strong>dim=0</strong>.'
"""

from __future__ import annotations

import html
import re

__all__ = ["STATUSES", "CheckResult", "Code", "Text", "markdown_html"]

#: Each status and its headline.
STATUSES = {
    "correct": "Correct",
    "incorrect": "Not quite",
    "not attempted": "Not attempted yet",
    "error": "Your code raised an error",
}
_COLOURS = {
    "correct": "#2e7d32",
    "incorrect": "#c62828",
    "not attempted": "#757575",
    "error": "#ef6c00",
}
_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
)


def _inline(text: str) -> str:
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1], quote=False)}</code>")
            continue
        part = html.escape(part, quote=False)
        for pattern, repl in _INLINE:
            part = pattern.sub(repl, part)
        out.append(part)
    return "".join(out)


def markdown_html(text: str) -> str:
    """The small Markdown of check messages as HTML (fenced code blocks kept as <pre>).

    >>> markdown_html("Run:\\n```python\\nx = 1 < 2\\n```")
    'Run:\\n<pre><code>x = 1 &lt; 2</code></pre>'
    """
    pieces = re.split(r"```(?:\w+)?\n(.*?)\n?```", text, flags=re.S)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<pre><code>{html.escape(piece, quote=False)}</code></pre>")
        else:
            out.append(_inline(piece))
    return "".join(out)


class Text(str):
    """A string that shows as Markdown in a notebook (and without quotes in a console).

    >>> Text("**hi**")
    **hi**
    """

    def _repr_markdown_(self):
        return str(self)

    def __repr__(self):
        return str(self)


class Code(Text):
    """Python source that shows as a highlighted code block in a notebook.

    >>> Code("x = 1\\n")._repr_markdown_()
    '```python\\nx = 1\\n```'
    """

    def _repr_markdown_(self):
        return f"```python\n{self}```"


class CheckResult:
    """What ``check`` found: a ``status`` (see :data:`STATUSES`) and a ``message``.

    >>> r = CheckResult("ch00.q1", "incorrect", "Use `dim=-1`.")
    >>> r
    Not quite (ch00.q1): Use `dim=-1`.
    >>> r.passed, r.mistake
    (False, None)

    ``mistake`` is the name of the catalogued mistake the check recognised (the
    message is that mistake's message), or None; ``attempt`` is how many answers
    were checked for this exercise in this session, this one included.
    """

    def __init__(
        self,
        exercise_id: str,
        status: str,
        message: str,
        mistake: str | None = None,
        attempt: int | None = None,
    ):
        if status not in STATUSES:
            raise ValueError(f"status must be one of {list(STATUSES)}, got {status!r}")
        self.exercise_id, self.status, self.message = exercise_id, status, message
        self.mistake, self.attempt = mistake, attempt

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __repr__(self):
        return f"{STATUSES[self.status]} ({self.exercise_id}): {self.message}"

    def _repr_markdown_(self):
        return f"**{STATUSES[self.status]}** ({self.exercise_id})\n\n{self.message}"

    def _repr_html_(self):
        colour = _COLOURS[self.status]
        style = (
            f"border-left: 4px solid {colour}; padding: 0.4em 0.8em; "
            "margin: 0.2em 0; white-space: pre-wrap;"
        )
        css = f"mhacourse-check mhacourse-{self.status.replace(' ', '-')}"
        return (
            f'<div class="{css}" style="{style}">'
            f'<strong style="color: {colour};">{STATUSES[self.status]}</strong> '
            f"({self.exercise_id})<br>{markdown_html(self.message)}</div>"
        )
