"""environment.yml mirrors the pip pins exactly, so conda/binder users get the same versions."""

from __future__ import annotations

import re

import yaml
from conftest import ROOT


def pins(path):
    out = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            out[name.lower().replace("_", "-")] = version
    return out


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {}
    for item in pip_section:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s]+)", item)
        assert m, f"environment.yml pip entry not exactly pinned: {item!r}"
        listed[m.group(1).lower().replace("_", "-")] = m.group(2)
    assert listed == {**pins("requirements/base.txt")}
    assert "python=3.11" in env["dependencies"]


def test_lock_agrees_with_base_pins():
    lock = pins("requirements/lock.txt")
    for name, version in pins("requirements/base.txt").items():
        assert lock.get(name) == version, f"{name}: base {version} vs lock {lock.get(name)}"
