"""The README's Commands section as a list of shell lines, and the next-step commands
the toolkit prints: what tests/test_readme_commands.py runs, kept apart so the parsing
is tested on its own."""

from __future__ import annotations

import re
import shlex

SECTION = "## Commands"
PLACEHOLDERS = ("RUN_ID", "VERSION")
SERVERS = (("triage", "serve"), ("mlflow", "ui"))
"""Commands that run until stopped: started, asked over HTTP, then stopped."""

_FENCE = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
_PRINTED = [
    re.compile(r"\bnext: ((?:triage|mlflow) [^\n`]+)"),
    re.compile(r"\blook at it with: ((?:triage|mlflow) [^\n`]+)"),
    re.compile(r"`((?:triage|mlflow) [^`\n]+)`"),
    re.compile(r"never automatic: (triage promote [^\n]+)"),
]


def section(readme: str, title: str = SECTION) -> str:
    """The text of the ``##`` section ``title``, its ``###`` subsections included."""
    start = readme.index(f"\n{title}\n")
    end = readme.find("\n## ", start + len(title) + 2)
    return readme[start : None if end < 0 else end]


def shell_lines(text: str) -> list[str]:
    """Every command line of the ``bash`` blocks in ``text``, comments and blanks left out."""
    lines = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def words(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def is_server(line: str) -> bool:
    return tuple(words(line)[:2]) in SERVERS


def fill(line: str, values: dict[str, str]) -> str:
    """``line`` with each placeholder word (``RUN_ID``, ``VERSION``) replaced."""
    for name in PLACEHOLDERS:
        if re.search(rf"\b{name}\b", line):
            line = re.sub(rf"\b{name}\b", values[name], line)
    return line


def printed_commands(output: str) -> list[str]:
    """The commands an output tells its reader to run next, as printed (first seen first)."""
    found: dict[int, str] = {}
    for pattern in _PRINTED:
        for match in pattern.finditer(output):
            found.setdefault(match.start(1), match.group(1).strip().rstrip(".;,"))
    return list(dict.fromkeys(found[k] for k in sorted(found)))
