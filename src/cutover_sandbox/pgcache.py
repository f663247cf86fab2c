"""A cache of pristine `initdb` results, so that a new cluster is a directory copy instead of a fresh initdb.

initdb is most of a cold boot (about 1 s idle, 2 s and more on a loaded 2-core machine); copying its result takes a
tenth of that. The cache key is the server binaries' directory, their version and the initdb arguments, so another
PostgreSQL never reuses a template. A template is written once, atomically (copy aside, then rename), and only from
a data directory that initdb just produced and no server has run on.

`CUTOVER_PG_CACHE_DIR` sets the cache directory (default `$XDG_CACHE_HOME/cutover-sandbox` or
`~/.cache/cutover-sandbox`); set it to `off` to always run initdb.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CACHE_ENV = "CUTOVER_PG_CACHE_DIR"


def cache_root() -> Path | None:
    setting = os.environ.get(CACHE_ENV)
    if setting is not None:
        return None if setting.strip().lower() in ("", "0", "off", "no", "none") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cutover-sandbox"


def template_path(bindir: Path, initdb_args: Sequence[str]) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    try:
        version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    key = hashlib.sha256("\0".join([str(bindir.resolve()), version, *initdb_args]).encode()).hexdigest()[:16]
    return root / f"pgdata-{key}"


def restore(template: Path | None, datadir: Path, owner: tuple[int, int] | None) -> bool:
    """Copy a cached template into `datadir` (which must not exist); False when there is none (or it fails)."""
    if template is None or not (template / "PG_VERSION").is_file():
        return False
    try:
        shutil.copytree(template, datadir, symlinks=True)
        datadir.chmod(0o700)
        if owner is not None:
            _chown_tree(datadir, owner)
    except OSError:
        shutil.rmtree(datadir, ignore_errors=True)
        return False
    return True


def save(template: Path | None, datadir: Path) -> None:
    """Keep a copy of a pristine data directory as the template (best effort, atomic)."""
    if template is None or template.exists():
        return
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=template.parent))
        shutil.copytree(datadir, staging / "data", symlinks=True)
        try:
            (staging / "data").rename(template)
        except OSError:  # another process saved it first
            pass
        shutil.rmtree(staging, ignore_errors=True)
    except OSError:
        return


def _chown_tree(root: Path, owner: tuple[int, int]) -> None:
    os.chown(root, *owner)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), *owner, follow_symlinks=False)
