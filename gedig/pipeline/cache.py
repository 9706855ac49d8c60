"""The scoring store: tables under content-addressed keys, each carrying the code version that
made it (in the parquet file's metadata), read back only when that version is the current one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..util.io import atomic_write, cache_dir, read_cached

META_KEY = b"gedig"


def scores_dir() -> Path:
    return cache_dir() / "scores"


def write_table(df: pd.DataFrame, path: Path, *, record: dict[str, Any] | None = None) -> None:
    """Write a table atomically; ``record`` (e.g. the code version) goes into the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    if record is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(record, sort_keys=True).encode()})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def table_record(path: Path) -> dict[str, Any]:
    """The record a table was written with ({} for a table written without one)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[META_KEY]) if META_KEY in meta else {}


def read_table(path: Path, *, code_version: str | None = None) -> pd.DataFrame | None:
    """A cached table, or None (a miss). With ``code_version``, a table whose record names another
    version is unreadable here (its key names this version, so the file is not what it claims):
    it is moved aside and recomputed like any corrupt entry."""

    def read(p: Path) -> pd.DataFrame:
        if code_version is not None:
            made_by = table_record(p).get("code_version")
            if made_by != code_version:
                raise ValueError(f"made by code version {made_by}, its key names {code_version}")
        return pd.read_parquet(p)

    return read_cached(path, read)
