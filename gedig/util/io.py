"""Files that are never half written: the cache folder, atomic writes that honour the umask, and
reads that treat an unreadable entry as a miss (moved aside with a warning, then recomputed)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import GedigError


class CacheWarning(UserWarning):
    """An unreadable cache entry was moved aside and will be recomputed."""


def cache_dir() -> Path:
    """Where converted weights, scoring tables and fine-tuning runs live: $GEDIG_CACHE, else the user cache."""
    root = os.environ.get("GEDIG_CACHE")
    if root:
        return Path(root).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gedig"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _writable(path: Path) -> Iterator[None]:
    """Turn a permission or missing-space failure into one clear error naming the folder."""
    try:
        yield
    except PermissionError:
        raise GedigError(
            f"cannot write {path}: its folder is not writable. Point GEDIG_CACHE at a writable folder "
            f"(or pass cache=False / --no-cache to compute without caching)"
        ) from None
    except OSError as exc:
        raise GedigError(f"cannot write {path}: {exc.strerror or exc}") from None


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Let ``write(tmp)`` fill a temporary file beside ``path``, then rename it in: readers never
    see half a file. The result gets the mode a plain ``open`` would give (0666 less the umask)."""
    path = Path(path)
    with _writable(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            write(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def atomic_write_text(text: str, path: Path) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    atomic_write(path, write)


def atomic_dir(target: Path, build: Callable[[Path], None]) -> Path:
    """Build a folder in a temporary sibling and rename it into place (no half-written caches)."""
    target = Path(target)
    with _writable(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="." + target.name + ".tmp-", dir=target.parent))
    try:
        build(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        if target.is_symlink() or target.is_file():
            target.unlink()  # a link to a shared copy (or a stray file) is replaced, never followed
        elif target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def set_aside(path: Path, why: str) -> Path | None:
    """Move an unreadable cache entry out of the way (``<name>.corrupt-<time>``) with a warning.

    Returns where it went, or None when another process already moved or replaced it.
    """
    path = Path(path)
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise GedigError(f"cache entry {path} is unreadable ({why}) and cannot be moved aside: {exc}") from None
    warnings.warn(f"unreadable cache entry {path} ({why}); moved to {aside.name} and recomputing", CacheWarning, stacklevel=3)
    return aside


def read_cached(path: Path, read: Callable[[Path], Any]) -> Any | None:
    """``read(path)`` if the entry exists and reads; None (a miss) if it is absent or unreadable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return read(path)
    except FileNotFoundError:  # removed by a concurrent run between the check and the read
        return None
    except PermissionError:
        raise GedigError(f"cache entry {path} is not readable by this user (check the folder's permissions)") from None
    except Exception as exc:
        set_aside(path, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no message'}")
        return None


def read_json_cached(path: Path) -> Any | None:
    return read_cached(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
