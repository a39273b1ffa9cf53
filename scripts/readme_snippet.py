"""Print a code block of the README, so that smoke tests run exactly what it shows.

    python scripts/readme_snippet.py HEADING LANG [--readme PATH]

Prints the first fenced code block whose language (the first word of its info string) is
LANG in the section under the Markdown ATX heading whose text is HEADING (any level; the
section ends at the next heading of the same or a higher level, so a block of another
section is never taken). Lines that look like headings inside code blocks are ignored.
Exits with status 1 and a message on stderr when the heading or the block is absent.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


class SnippetError(LookupError):
    """The heading or the code block is not in the document."""


def _fence_closes(line: str, char: str, length: int) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    run = len(stripped) - len(stripped.lstrip(char))
    return run >= length and stripped[run:].strip() == ""


def snippet(markdown: str, heading: str, lang: str) -> str:
    """The first ``lang`` code block in the section under ``heading`` (see the module doc)."""
    section_level: int | None = None  # the heading's level once it is found
    fence: tuple[str, int, int] | None = None  # (character, length, indent) while inside
    capturing = False
    body: list[str] = []
    for line in markdown.splitlines():
        if fence is not None:
            char, length, indent = fence
            if _fence_closes(line, char, length):
                if capturing:
                    return "".join(f"{text}\n" for text in body)
                fence = None
            elif capturing:
                # CommonMark: remove up to the opening fence's indentation from each line.
                strip = min(indent, len(line) - len(line.lstrip(" ")))
                body.append(line[strip:])
            continue
        opening = _FENCE.match(line)
        if opening is not None:
            indent, marks, info = opening.groups()
            if marks[0] == "`" and "`" in info:
                continue  # not a fence: an inline code span
            fence = (marks[0], len(marks), len(indent))
            words = info.split()
            capturing = section_level is not None and bool(words) and words[0] == lang
            continue
        match = _HEADING.match(line)
        if match is None:
            continue
        level, text = len(match.group(1)), (match.group(2) or "").strip()
        if section_level is None:
            if text == heading:
                section_level = level
        elif level <= section_level:
            break
    if section_level is None:
        raise SnippetError(f"no heading {heading!r}")
    if capturing:
        raise SnippetError(f"the {lang!r} code block under heading {heading!r} is not closed")
    raise SnippetError(f"no {lang!r} code block under heading {heading!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("heading", help='heading text without the "#" marks')
    parser.add_argument("lang", help="language of the fenced code block, e.g. python or js")
    parser.add_argument("--readme", type=Path, default=README, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        text = args.readme.read_text(encoding="utf-8")
        sys.stdout.write(snippet(text, args.heading, args.lang))
    except (OSError, SnippetError) as error:
        print(f"readme_snippet: {args.readme}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
