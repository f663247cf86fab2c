"""Find PostgreSQL client and server programs.

Order: the programs on PATH, `pg_config --bindir`, the distribution's usual layout (`/usr/lib/postgresql/<major>/bin`,
newest first), and last the binaries shipped inside the `pgserver` wheel. Shared by the sandbox (which runs a server)
and the T-30 backup check (which runs `pg_dump` / `pg_restore`).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path


class PgToolNotFound(RuntimeError):
    """No usable PostgreSQL program was found; the message lists where we looked."""


def _candidate_dirs() -> Iterator[Path]:
    for name in ("pg_ctl", "initdb", "pg_dump"):
        found = shutil.which(name)
        if found:
            yield Path(found).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if out.returncode == 0 and out.stdout.strip():
                yield Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    distro = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _major_from_dirname(p.parent.name),
                    reverse=True)
    yield from distro
    # the fallback wheel ships a full PostgreSQL; locate it without importing it (its import has side effects)
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        yield Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _major_from_dirname(name: str) -> int:
    return int(name) if name.isdigit() else 0


@lru_cache(maxsize=64)
def tool_major(path: Path) -> int:
    """The major version a PostgreSQL program reports with `--version` (0 when it cannot tell)."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return 0
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(match.group(1)) if match else 0


def searched_dirs() -> list[Path]:
    seen: list[Path] = []
    for d in _candidate_dirs():
        if d not in seen:
            seen.append(d)
    return seen


def find_bindir(*required: str, min_major: int = 0) -> Path:
    """The first directory holding every program in `required` (at least `min_major` when given)."""
    dirs = searched_dirs()
    for d in dirs:
        if all((d / name).is_file() for name in required):
            if min_major and tool_major(d / required[0]) < min_major:
                continue
            return d
    where = ", ".join(str(d) for d in dirs) or "nowhere (no PATH entry, no pg_config, no pgserver wheel)"
    need = f" (version >= {min_major})" if min_major else ""
    raise PgToolNotFound(f"PostgreSQL programs {', '.join(required)}{need} not found; looked in: {where}")


def find_tool(name: str, min_major: int = 0) -> Path:
    return find_bindir(name, min_major=min_major) / name
