"""MkDocs hooks. A page's link to a file of the repository outside `docs/` (`../../fixtures/prometheus/README.md`)
is right on the repository's own pages but has no page on the site: there it becomes the link's text, and a link
whose file does not exist anywhere is a warning, so `mkdocs build --strict` fails on it like on any broken link.
A table cell's code written with an escaped pipe, as GitHub needs it, shows the pipe alone."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

LOG = logging.getLogger("mkdocs.hooks.repo_links")
_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs = Path(config["docs_dir"]).resolve()
    here = (docs / page.file.src_path).parent

    def outside(match: re.Match[str]) -> str:
        target = match["target"]
        if "://" in target or target.startswith(("/", "mailto:")):
            return match[0]
        path = (here / target).resolve()
        if path.is_relative_to(docs):
            return match[0]  # MkDocs validates links inside docs/ itself
        if not path.exists():
            LOG.warning("Doc file '%s' links to '%s', which does not exist", page.file.src_path, target)
        return match["text"]

    lines = [_CODE.sub(lambda code: code[0].replace("\\|", "|"), line) if line.startswith("|") else line
             for line in _LINK.sub(outside, markdown).split("\n")]
    return "\n".join(lines)
