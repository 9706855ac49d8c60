"""The verdict lock: the verdict and measured values we publish for every claim, per book size.

``check`` re-evaluates the executed chapters' measures against ``claims.lock.yml`` and reports, per
claim, the expected and current verdict and values and the chapter to look at. A verdict change
fails; a value that drifts without changing its verdict is a note. Executed chapters that are
missing, or stale against the current code and parameters, are an error: a lock is only ever
compared with measures the current code produced.
"""

from __future__ import annotations

import difflib
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import GedigError
from ..pipeline.agreement import EPSILON
from ..util.io import atomic_write_text
from ..util.paths import ROOT
from ..util.text import format_value
from . import chapters
from .claims import evaluate, load_registry, measure_sources, tally_words

LOCK = Path(__file__).with_name("claims.lock.yml")
HEADER = "# The verdict lock: written by `python -m gedig claims --update --size SIZE`; checked by `--check`. Do not edit by hand.\n"


@dataclass
class CheckReport:
    """The outcome of one check: a row per claim, and the rows that changed verdict or value."""

    size: str
    rows: pd.DataFrame
    lock_info: dict[str, Any] = field(default_factory=dict)

    @property
    def flipped(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == "verdict changed"]

    @property
    def drifted(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == "value drift"]

    @property
    def ok(self) -> bool:
        return self.flipped.empty

    def markdown(self) -> str:
        """The report as a markdown table (changed claims first), for terminals and CI summaries."""
        made = ", ".join(f"{k} {v}" for k, v in sorted(self.lock_info.items()))
        head = (
            f"### Claims check, size `{self.size}`: {len(self.flipped)} verdict change(s), {len(self.drifted)} value drift(s), "
            f"{len(self.rows)} claims (lock from {made or 'an unrecorded build'})\n\n"
        )
        shown = pd.concat([self.flipped, self.drifted, self.rows[self.rows["status"] == "new"]])
        if shown.empty:
            return head + "Every verdict and value equals the lock.\n"
        lines = ["| claim | status | expected → now | value before → now | chapter |", "|---|---|---|---|---|"]
        for r in shown.itertuples():
            lines.append(f"| {r.id} | {r.status} | {r.expected} → {r.verdict} | {r.before} → {r.now} | {r.chapter} |")
        return head + "\n".join(lines) + "\n"


def freshness(site: Path, size: str) -> list[str]:
    """Problems that make the executed chapters unusable for a check at ``size`` (empty when fresh)."""
    from .build import chapter_parameters, chapter_status

    out = Path(site) / "book" / "executed"
    problems = []
    for name in chapters.names():
        reasons = chapter_status(name, chapter_parameters(size, name), out)
        if reasons == ["not executed"]:
            problems.append(f"{name}: not executed")
        elif reasons:
            problems.append(f"{name}: stale ({'; '.join(reasons)})")
    return problems


def current(site: Path, size: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Verdicts and values now, from fresh executed chapters (an error naming what to run if not)."""
    problems = freshness(site, size)
    if problems:
        make = {"full": "make book", "ci": "make book-ci", "paper": "make book-paper"}
        cmd = f"`python -m gedig book --size {size}`" + (f" ({make[size]})" if size in make else "")
        raise GedigError(
            f"cannot check the claims at size {size!r}: the executed chapters in {Path(site) / 'book' / 'executed'} are not current:\n  "
            + "\n  ".join(problems)
            + f"\nRun {cmd} first."
        )
    measures, source = measure_sources(Path(site) / "book" / "executed")
    table = evaluate(measures, load_registry(), source)
    first = f"provenance.{chapters.names()[0]}"
    info = {
        "code_version": measures.get(f"{first}.package_version", measures.get(f"{first}.code_version")),
        "git_commit": measures.get(f"{first}.git_commit"),
    }
    return table, info


def read_lock(path: Path = LOCK) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise GedigError(f"{path} is not valid YAML ({exc}); restore it from git or rewrite it with --update") from None
    if not isinstance(data, dict):
        raise GedigError(f"{path} must map sizes to claims")
    return data


def _same(a: Any, b: Any) -> bool:
    """Equal, or for floats within float32 noise (``gedig.pipeline.agreement.EPSILON`` relative): another
    thread count or machine moves values that little, and that is not a drift."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=EPSILON, abs_tol=1e-9)
    return a == b


def _fmt(values: dict[str, Any] | None) -> str:
    if not values:
        return "—"
    return "; ".join(format_value(v, k) for k, v in values.items())


def check(site: Path, size: str, lock_path: Path = LOCK) -> CheckReport:
    """Compare the current verdicts and values with the lock's entry for ``size``. An interval that
    moves across its region's edge (a measurement's outcome changes: inside, outside, straddles) is
    a verdict change even when the claim's combined verdict stays the same."""
    table, _ = current(site, size)
    entry = read_lock(lock_path).get(size)
    if not entry:
        raise GedigError(f"{lock_path.name} has no entry for size {size!r}; write it with `python -m gedig claims --update --size {size}`")
    locked = entry.get("claims", {})
    rows = []
    for r in table.itertuples():
        before = locked.get(r.id)
        if before is None:
            status, expected, old = "new", "—", None
        else:
            expected, old = before["verdict"], before.get("values", {})
            crossed = {k: (o, r.outcomes.get(k)) for k, o in before.get("outcomes", {}).items() if r.outcomes.get(k) not in (None, o)}
            if expected != r.verdict or crossed:
                status = "verdict changed"
                if expected == r.verdict:  # an interval moved across its region's edge without changing the combined verdict
                    expected = f"{expected} ({'; '.join(f'{k}: {a} → {b}' for k, (a, b) in crossed.items())})"
            elif set(old) != set(r.values) or not all(_same(old[k], r.values[k]) for k in old):
                status = "value drift"
            else:
                status = "same"
        rows.append(
            {
                "id": r.id,
                "status": status,
                "expected": expected,
                "verdict": r.verdict,
                "before": _fmt(old),
                "now": _fmt(r.values),
                "chapter": r.chapter,
            }
        )
    gone = sorted(set(locked) - set(table["id"]))
    for cid in gone:
        rows.append(
            {
                "id": cid,
                "status": "verdict changed",
                "expected": locked[cid]["verdict"],
                "verdict": "(claim removed)",
                "before": _fmt(locked[cid].get("values")),
                "now": "—",
                "chapter": locked[cid].get("chapter", "?"),
            }
        )
    return CheckReport(size=size, rows=pd.DataFrame(rows), lock_info={k: v for k, v in entry.items() if k != "claims"})


def render_lock(data: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=200)


def update(site: Path, size: str, lock_path: Path = LOCK) -> str:
    """Rewrite the lock's entry for ``size`` from the executed chapters; returns the unified diff."""
    table, info = current(site, size)
    data = read_lock(lock_path)
    old = render_lock(data) if data else ""
    data[size] = {
        **info,
        "profile": size,
        "claims": {
            r.id: {
                "verdict": r.verdict,
                "values": dict(r.values),
                **({"intervals": {k: [float(v) for v in ci] for k, ci in r.intervals.items()}} if r.intervals else {}),
                **({"outcomes": dict(r.outcomes)} if r.outcomes else {}),
                **({"region": r.region} if r.region != "—" else {}),
                **({"detectable": r.detectable} if r.detectable else {}),
                "chapter": r.chapter,
                "answered_by": r.answered_by,
            }
            for r in table.itertuples()
        },
    }
    new = render_lock(data)
    atomic_write_text(new, lock_path)
    return "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{lock_path.name} (before)", f"{lock_path.name} (now)")
    )


def write_junit(report: CheckReport, path: Path) -> None:
    """JUnit XML, one test case per claim; a verdict change is a failure, a drift a system-out note."""
    suite = ET.Element(
        "testsuite", name=f"gedig claims ({report.size})", tests=str(len(report.rows)), failures=str(len(report.flipped)), errors="0"
    )
    for r in report.rows.itertuples():
        case = ET.SubElement(suite, "testcase", classname=f"claims.{report.size}.{r.chapter}", name=r.id)
        if r.status == "verdict changed":
            failure = ET.SubElement(case, "failure", message=f"verdict {r.expected} → {r.verdict}")
            failure.text = f"values {r.before} → {r.now}; see chapter {r.chapter}"
        elif r.status in ("value drift", "new"):
            ET.SubElement(case, "system-out").text = f"{r.status}: values {r.before} → {r.now}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    atomic_write_text(ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n", Path(path))


def to_step_summary(report: CheckReport) -> bool:
    """Append the markdown report to $GITHUB_STEP_SUMMARY when it is set (GitHub Actions)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(report.markdown() + "\n")
    return True


README = ROOT / "README.md"
MARKERS = (
    "<!-- claims-lock:begin (generated by `make readme` from gedig/book/claims.lock.yml; do not edit) -->",
    "<!-- claims-lock:end -->",
)


def readme_section(lock: dict[str, Any] | None = None) -> str:
    """The README's generated lines: the full-size tally of the paper's claims from the lock, the
    companion's own findings counted apart (as on the claims page), and what is not reproduced."""
    entry = (lock if lock is not None else read_lock()).get("full")
    if not entry:
        return (
            "No full-size verdicts are locked yet: run `make book`, then "
            "`.venv/bin/python -m gedig claims --update --size full` and `make readme`.\n"
        )
    claims = entry["claims"]
    registry = {c["id"]: c for c in load_registry()}
    table = pd.DataFrame(
        [{"id": cid, "verdict": c["verdict"], "origin": registry.get(cid, {}).get("origin", "paper")} for cid, c in claims.items()]
    )
    paper = {cid: c for cid, c in claims.items() if registry.get(cid, {}).get("origin", "paper") != "ours"}
    head = (
        f"Full-size book (profile `{entry.get('profile', 'full')}`: the embedded stand-ins; code version {entry.get('code_version', '?')}, commit {entry.get('git_commit', '?')}), "
        f"the paper's {len(paper)} claims: " + ", ".join(f"**{n}** {w}" for w, n in tally_words(table)) + "."
    )
    mine = tally_words(table, "ours", zeros=False)
    if mine:
        head += f" And {len(claims) - len(paper)} findings of this companion (" + ", ".join(f"{w}: {n}" for w, n in mine) + ")."
    lines = [head, ""]
    for verdict, title in (
        ("not reproduced", "The paper's claims not reproduced:"),
        ("inconclusive", "The paper's claims these data cannot decide (inconclusive):"),
    ):
        listed = [cid for cid in sorted(paper) if paper[cid]["verdict"] == verdict]
        if listed:
            lines.append(title)
            lines += [
                f"- `{cid}` ({claims[cid]['chapter']}; answered by {claims[cid].get('answered_by', '?')}): "
                f"{registry.get(cid, {}).get('claim', '(no longer registered)')}"
                + (f" ({claims[cid]['detectable']})" if claims[cid].get("detectable") and verdict == "inconclusive" else "")
                for cid in listed
            ]
            lines.append("")
    return "\n".join(lines) + "\n"


PREFLIGHT_MARKERS = (
    "<!-- preflight:begin (generated by `make readme` from gedig.book.preflight; do not edit) -->",
    "<!-- preflight:end -->",
)


def _sections() -> list[tuple[tuple[str, str], str]]:
    from .preflight import plan
    from .profiles import get as get_profile

    return [(MARKERS, readme_section()), (PREFLIGHT_MARKERS, plan(get_profile("paper")))]


def rewrite_readme(path: Path = README) -> bool:
    """Replace the text between each pair of the README's markers with its generated section (the
    claims tally from the lock; the paper profile's preflight plan); True if anything changed."""
    old = path.read_text(encoding="utf-8")
    new = old
    for (begin, end), body in _sections():
        if begin not in new or end not in new:
            raise GedigError(f"{path.name} lacks the markers {begin!r} … {end!r}")
        head, rest = new.split(begin, 1)
        _, tail = rest.split(end, 1)
        new = f"{head}{begin}\n{body}{end}{tail}"
    if new != old:
        atomic_write_text(new, path)
    return new != old


def readme_current(path: Path = README) -> bool:
    """Whether the README's generated sections agree with the lock and the preflight."""
    text = path.read_text(encoding="utf-8")
    for (begin, end), body in _sections():
        if begin not in text or end not in text or text.split(begin, 1)[1].split(end, 1)[0] != "\n" + body:
            return False
    return True
