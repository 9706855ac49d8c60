"""Your own texts from a file: one text per line (``.txt``), a ``.jsonl`` with a ``text`` field, or a
``.csv``/``.parquet`` with a ``text`` column. Texts are used as given, in file order; a bad file
(empty, binary, not UTF-8, without the field or column) is an error that names the file and the
problem, raised before anything is scored or cached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import GedigError

TEXT_FILE_SUFFIXES = (".txt", ".jsonl", ".csv", ".parquet")
TEXT_FIELD = "text"
"""The field (``.jsonl``) or column (``.csv``, ``.parquet``) that holds the texts."""


def is_text_file(name: str | os.PathLike[str]) -> bool:
    """Whether ``name`` names a text file by its suffix (it need not exist yet)."""
    return Path(name).suffix.lower() in TEXT_FILE_SUFFIXES


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise GedigError(f"{path} looks like a binary file (it holds NUL bytes), not text; give a .txt, .jsonl, .csv or .parquet of texts")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise GedigError(f"{path} is not UTF-8 text (byte {exc.start}, line {line}); re-save it as UTF-8") from None


def _column(frame: pd.DataFrame, path: Path) -> list[str]:
    if TEXT_FIELD not in frame.columns:
        raise GedigError(f"{path} has no {TEXT_FIELD!r} column (its columns: {', '.join(map(str, frame.columns)) or 'none'})")
    return [None if pd.isna(v) else str(v) for v in frame[TEXT_FIELD]]


def _jsonl(text: str, path: Path) -> list[str | None]:
    out: list[str | None] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GedigError(f"{path}, line {n}: not a JSON object ({exc.msg})") from None
        if not isinstance(record, dict) or TEXT_FIELD not in record:
            raise GedigError(f'{path}, line {n}: no {TEXT_FIELD!r} field (each line must be an object like {{"text": "…"}})')
        value = record[TEXT_FIELD]
        if value is not None and not isinstance(value, str):
            raise GedigError(f"{path}, line {n}: {TEXT_FIELD!r} is a {type(value).__name__}, not a string")
        out.append(value)
    return out


def read_text_file(path: str | os.PathLike[str], *, min_chars: int | None = None, max_chars: int | None = None) -> list[str]:
    """The texts of ``path`` in file order. A ``.txt`` file has one text per line (blank lines are
    skipped); a ``.jsonl`` file one object with a ``text`` field per line; a ``.csv`` or ``.parquet``
    file a ``text`` column. Texts are kept as given unless ``min_chars``/``max_chars`` are passed,
    which keep only the texts of that many characters (an error if none remains)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_FILE_SUFFIXES:
        raise GedigError(f"{path}: unknown text file type {suffix or '(no suffix)'!r}; use one of {', '.join(TEXT_FILE_SUFFIXES)}")
    if not path.is_file():
        raise GedigError(f"no text file {path}")
    if path.stat().st_size == 0:
        raise GedigError(f"{path} is empty: no texts to score")
    if suffix == ".parquet":
        import pyarrow as pa

        try:
            texts: list[str | None] = _column(pd.read_parquet(path), path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise GedigError(f"{path} is not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    else:
        content = _decode(path)
        if suffix == ".txt":
            texts = [line for line in content.splitlines() if line.strip()]
        elif suffix == ".jsonl":
            texts = _jsonl(content, path)
        else:
            import io

            try:
                texts = _column(pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False), path)
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise GedigError(f"{path} is not a readable CSV file ({str(exc).splitlines()[0]})") from None
    blank = [i for i, t in enumerate(texts) if t is None or not t.strip()]
    if blank and suffix != ".txt":
        raise GedigError(f"{path}: text {blank[0]} is empty ({len(blank)} empty text(s) in all)")
    if not texts:
        raise GedigError(f"{path} holds no texts")
    kept = [str(t) for t in texts]
    if min_chars is not None or max_chars is not None:
        lo, hi = min_chars or 0, max_chars if max_chars is not None else float("inf")
        if lo < 0 or hi < lo:
            raise GedigError(f"need 0 ≤ min_chars ≤ max_chars, got min_chars={min_chars}, max_chars={max_chars}")
        kept = [t for t in kept if lo <= len(t) <= hi]
        if not kept:
            raise GedigError(f"{path}: none of its {len(texts)} texts has {lo}–{hi} characters")
    return kept


def long_texts(tokenizer: Any, texts: Sequence[str], *, max_length: int) -> list[tuple[int, int]]:
    """The texts longer than ``max_length`` tokens, as (index, token count): what scoring would cut."""
    lengths = [len(ids) for ids in tokenizer(list(texts), verbose=False)["input_ids"]]
    return [(i, n) for i, n in enumerate(lengths) if n > max_length]
