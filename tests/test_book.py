"""The book, end to end at CI size: every notebook executes through papermill, writes its
measures and figures, every registered claim gets a computed verdict, the HTML builds with
warnings as errors, and a real browser loads every page offline with images and maths rendered."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET

import nbformat
import pytest

from gedig.book import chapters
from gedig.book.build import build, new_site
from gedig.book.chapters import names
from gedig.book.claims import OURS_WORDS, VERDICTS, evaluate, load_measures, load_registry
from gedig.book.lock import check
from gedig.cli import main

NOTEBOOKS = names()

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


N_THROWAWAY = len(NOTEBOOKS) + 1
"""The throwaway chapter comes after the registered ones."""

THROWAWAY = f"""# %% [markdown]
# # {N_THROWAWAY}. A throwaway chapter
#
# **The question.** Does a chapter added through the registry alone reach the book?

# %% tags=["parameters"]
profile = "full"
seed = 0
n_points = 3

# %% tags=["hide-input"]
import matplotlib.pyplot as plt

from gedig.book.notebook import finish
from gedig.figures import page

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(range(n_points), range(n_points))
ax.set_xlabel("x")
ax.set_ylabel("y")
page.figure(fig, f"A line through {{n_points}} points.")

# %% tags=["remove-input"]
finish({{"throwaway.points": n_points}}, f"The throwaway chapter drew {{n_points}} points.")
"""


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory):
    """A chapter added the way a contributor adds one: a notebook and one registry entry, nothing else."""
    notebook = tmp_path_factory.mktemp("throwaway") / "99_throwaway.py"
    notebook.write_text(THROWAWAY, encoding="utf-8")
    entry = chapters.Chapter(
        "99_throwaway",
        "A throwaway chapter",
        "checks that a registered chapter reaches the book",
        chapters.declare(("throwaway.points", "points drawn")),
        {"ci": {"n_points": 4}},
        source=notebook,
    )
    chapters.register(entry)
    yield entry
    chapters.unregister(entry.name)


@pytest.fixture(scope="module")
def site(tmp_path_factory, throwaway):
    target = new_site(tmp_path_factory.mktemp("site"))
    report = build(size="ci", site=target)
    (target / "report.json").write_text(json.dumps(report, default=str))
    return target


def test_a_chapter_added_through_the_registry_alone_is_in_the_book(site, throwaway):
    """The throwaway chapter: executed with its CI size, its parameters recorded, its measures
    written, its page built and listed in the table of contents after the last chapter, which now
    leads to it."""
    executed = site / "book" / "executed"
    measures = json.loads((executed / "99_throwaway.json").read_text())
    assert measures["throwaway.points"] == 4 and "'n_points': 4" in measures["provenance.99_throwaway.parameters"]
    html = (site / "_build" / "html" / "book" / "executed" / "99_throwaway.html").read_text(encoding="utf-8")
    assert f"{N_THROWAWAY}. A throwaway chapter" in html and "The throwaway chapter drew 4 points." in html
    last = (site / "_build" / "html" / "book" / "executed" / f"{NOTEBOOKS[-1]}.html").read_text(encoding="utf-8")
    assert f"Chapter {N_THROWAWAY} checks that a registered chapter reaches the book." in last
    index = (site / "_build" / "html" / "book" / "executed" / "99_throwaway.html").read_text(encoding="utf-8")
    assert "Explore the heads" in index  # the navigation lists the registered chapters beside it


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executed_without_errors_and_with_figures(site, name):
    nb = nbformat.read(site / "book" / "executed" / f"{name}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert '<figure class="gedig-figure' in html and "<figcaption>" in html, f"{name} produced no captioned figure"
    tags = [t for c in nb.cells for t in c.get("metadata", {}).get("tags", [])]
    assert "parameters" in tags and "injected-parameters" in tags, "the profile's parameters were not injected"
    assert "gedig-size" in tags, "the page does not say which build it is"
    measures = json.loads((site / "book" / "executed" / f"{name}.json").read_text())
    assert measures[f"provenance.{name}.code_version"] and measures[f"provenance.{name}.parameters"]


def test_every_claim_has_a_computed_verdict(site):
    table = evaluate(load_measures(site / "book" / "executed"))
    assert len(table) == len(load_registry())
    assert set(table["verdict"]) <= set(VERDICTS)
    checkable = table[table["verdict"] != "not checkable offline"]
    assert (checkable["measured"] != "—").all()
    text = (site / "book" / "_generated" / "claims_table.md").read_text()
    assert all(f"`{cid}`" in text for cid in table["id"]), "a claim is missing from the claims page"
    robust = table.dropna(subset=["robustness"])
    assert len(robust) >= 4 and robust["robustness"].between(0, 1).all(), "H1/H2 claims carry the share of specifications"
    assert "holds in" in text


def test_verdicts_follow_the_data_not_the_registry(site):
    """Move a measure's interval and the verdict moves: verdicts are computed, not typed."""
    measures = load_measures(site / "book" / "executed")
    claim = next(c for c in load_registry() if c["id"] == "H1-all-baselines")
    for interval, verdict in (([0.01, 0.02], "reproduced"), ([-0.02, -0.01], "not reproduced"), ([-0.01, 0.02], "inconclusive")):
        forced = {**measures, **{f"ci.{k}": interval for k in claim["measures"]}}
        assert evaluate(forced, [claim]).iloc[0]["verdict"] == verdict


def test_verdicts_equal_the_lock_at_ci_size(site):
    """A change to the gauge or a chapter that flips a published verdict fails here, with the table."""
    report = check(site, "ci")
    assert report.ok, "verdicts moved against gedig/book/claims.lock.yml:\n" + report.markdown()
    assert len(report.rows) == len(load_registry())


def test_tampered_measure_fails_the_check_and_names_claim_and_chapter(site, tmp_path):
    tampered = tmp_path / "site"
    shutil.copytree(site / "book" / "executed", tampered / "book" / "executed")
    path = tampered / "book" / "executed" / "03_h1_real_vs_random.json"
    original = path.read_text()
    claim = next(c for c in load_registry() if c["id"] == "T2-BERT-random")
    data = json.loads(original)
    was = check(site, "ci").rows.set_index("id").loc["T2-BERT-random", "verdict"]
    target = 0.11 if was != "reproduced" else -1.0  # into the paper's region, or far out of it: the verdict must move
    data[claim["measures"][0]] = target
    data["ci." + claim["measures"][0]] = [target - 0.005, target + 0.005]
    path.write_text(json.dumps(data))
    junit = tmp_path / "claims.xml"
    assert main(["claims", "--check", "--size", "ci", "--site", str(tampered), "--junit", str(junit)]) == 1
    row = check(tampered, "ci").flipped.set_index("id").loc["T2-BERT-random"]
    assert row["chapter"] == "03_h1_real_vs_random" and row["verdict"] == ("reproduced" if target > 0 else "not reproduced")
    cases = ET.parse(junit).getroot().findall("./testsuite/testcase")
    assert len(cases) == len(load_registry())
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    readers = {c["id"] for c in load_registry() if claim["measures"][0] in c.get("measures", [])}
    assert "T2-BERT-random" in failed and set(failed) <= readers  # only claims that read the tampered measure
    path.write_text(original)
    assert main(["claims", "--check", "--size", "ci", "--site", str(tampered)]) == 0


def test_a_moved_checkout_keeps_its_executed_book(site, tmp_path, throwaway):
    """The repository copied to another folder with the executed chapters: every chapter is still
    current there (its stamp names its notebook relative to the repository), the lock check runs,
    and no executed notebook carries the build's absolute paths."""
    import subprocess
    import sys

    from gedig.util.paths import ROOT

    moved = tmp_path / "elsewhere" / "checkout"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (moved / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, moved / rel)
    shutil.copytree(site / "book" / "executed", moved / "book" / "executed")
    env = {**os.environ, "PYTHONPATH": str(moved)}
    # the same book as the site's: the throwaway chapter registered there too (chapter 9's closing sentence names it)
    probe = (
        "import gedig\n"
        "from pathlib import Path\n"
        "from gedig.book import chapters\n"
        "from gedig.book.lock import check, freshness\n"
        "from gedig.util.paths import ROOT\n"
        f"chapters.register(chapters.Chapter({throwaway.name!r}, {throwaway.title!r}, {throwaway.lead!r}, "
        f"chapters.declare(('throwaway.points', 'points drawn')), {{'ci': {{'n_points': 4}}}}, source=Path({str(throwaway.notebook)!r})))\n"
        "print(gedig.__file__)\n"
        "print(freshness(ROOT, 'ci'))\n"
        "print(check(ROOT, 'ci').ok)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=moved, env=env, capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and lines[0].startswith(str(moved)), out.stdout + out.stderr
    assert lines[1] == "[]" and lines[2] == "True", out.stdout
    for name in NOTEBOOKS:
        text = (site / "book" / "executed" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert str(site) not in text and str(ROOT / "book" / "executed") not in text, f"{name} names the build's folder"


def test_check_refuses_missing_or_stale_chapters(site, tmp_path, capsys):
    assert main(["claims", "--check", "--size", "full", "--site", str(site)]) == 2  # built at CI size
    assert "stale" in capsys.readouterr().err
    assert main(["claims", "--check", "--size", "ci", "--site", str(tmp_path)]) == 2
    assert "not executed" in capsys.readouterr().err


def test_html_has_every_page(site):
    html = site / "_build" / "html"
    for page in [*(f"book/executed/{n}" for n in NOTEBOOKS), "book/claims", "book/provenance", "book/data", "book/audit", "book/intro"]:
        assert (html / f"{page}.html").exists(), page
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").exists()
    for path in html.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in text, path
        # the published book stands alone: no page sends a reader to a file outside the repository
        assert "shared/reference" not in text and "../shared" not in text, f"{path.name} refers outside the repository"
    audit = (html / "book" / "audit.html").read_text(encoding="utf-8")
    assert "Rerun under the book profile <code" in audit and "minilm-l6 (for DistilBERT on SST-2)" in audit, (
        "the audit's chapter-6 finding was not generated"
    )


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="Debian chromium not installed (CI installs it)")
def test_real_browser_loads_every_page_offline(site):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must install Debian's chromium (see .ci/run)"
    html = site / "_build" / "html"
    pages = sorted(
        p
        for p in html.rglob("*.html")
        if "_static" not in p.parts
        and p.name not in ("search.html", "genindex.html")
        and 'http-equiv="refresh"' not in p.read_text(encoding="utf-8").lower()
    )
    assert len(pages) >= 10
    outside: list[str] = []
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    console: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "blob:")) else None)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        for path in pages:
            page.goto(path.as_uri(), wait_until="load")
            n_math = page.evaluate("() => document.querySelectorAll('.math').length")
            if n_math:
                page.wait_for_function("n => document.querySelectorAll('mjx-container').length >= n", arg=n_math, timeout=20000)
            images = page.evaluate("() => [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0])")
            assert all(ok for _, ok in images), f"{path.name}: broken images {[s for s, ok in images if not ok]}"
            if "executed" in path.parts and path.stem != "01_theory":
                assert images, f"{path.name} shows no figure"
        page.goto((html / "book" / "claims.html").as_uri(), wait_until="load")
        layout = page.evaluate(
            """() => ({
                badges: [...document.querySelectorAll('main .sd-badge')].map(b => {
                    const r = b.getBoundingClientRect();
                    return [b.textContent.trim(), r.left >= 0 && r.right <= window.innerWidth && r.width > 0];
                }),
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth,
                // a scroll box around any verdict would hide it sideways: none may hold one
                wideBoxes: [...document.querySelectorAll('main .sd-badge')].flatMap(b => {
                    const boxes = [];
                    for (let e = b.parentElement; e && e.tagName !== 'MAIN'; e = e.parentElement)
                        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible') boxes.push(e.className);
                    return boxes;
                }).length,
            })"""
        )
        n_claims = len(load_registry())
        words = set(VERDICTS) | set(OURS_WORDS.values())
        verdict_badges = [(t, ok) for t, ok in layout["badges"] if t in words]
        assert len(verdict_badges) >= n_claims, f"{len(verdict_badges)} verdict badges for {n_claims} claims"
        assert all(ok for _, ok in verdict_badges), "a verdict is off screen at 1280 px"
        assert layout["scrollWidth"] <= layout["innerWidth"] and layout["wideBoxes"] == 0, f"horizontal scrolling: {layout}"
        page.goto((html / "index.html").as_uri())
        page.wait_for_url("**/book/intro.html")
        browser.close()
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not console, f"console errors or warnings: {console[:5]}"


INTERACTIVE = {"04_h2_layer_transition": 2, "07_what_f_measures": 1, "08_explore_heads": 0}  # Plotly figures per page


def test_interactive_pages_load_plotly_once_and_stay_small(site):
    """plotly.js is vendored and loaded once on each page that draws with it, and on no other page;
    no figure embeds the library, and each interactive page's HTML stays under 5 MB."""
    html = site / "_build" / "html"
    assert (html / "_static" / "plotly" / "plotly.min.js").stat().st_size > 1_000_000
    for path in html.rglob("*.html"):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        loads = text.count("plotly/plotly.min.js")
        if path.stem in INTERACTIVE:
            assert loads == 1, f"{path.name} loads plotly.js {loads} times"
            assert text.count('class="plotly-graph-div"') == INTERACTIVE[path.stem], path.name
            assert path.stat().st_size < 5_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"
        else:
            assert loads == 0, f"{path.name} loads plotly.js without drawing with it"
        assert "Plotly.js v" not in text and "plotly.js v" not in text.lower(), f"{path.name} embeds the library"


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="Debian chromium not installed (CI installs it)")
def test_explorer_shows_the_gauge_of_the_head_the_reader_picks(site):
    """Pick another model, text, layer, head, preset and threshold; the F on the page is
    gedig.gauge on that head, and the edges drawn are the gauge's edge count."""
    from playwright.sync_api import sync_playwright

    import gedig
    from gedig.figures.explorer import ExplorerConfig
    from gedig.models.attention import extract

    assert CHROMIUM, "CI must install Debian's chromium (see .ci/run)"
    page_file = site / "_build" / "html" / "book" / "executed" / "08_explore_heads.html"
    ci = chapters.get("08_explore_heads").sizes["ci"]
    cfg = ExplorerConfig(n_wiki=ci["n_wiki"], n_reviews=ci["n_reviews"], qs=tuple(ci["qs"]))
    texts = [t for _, t in cfg.texts()]
    pick = {"model": "1", "text": str(len(texts) - 2), "layer": "7", "head": "5", "preset": "as_written", "threshold": "q = 0.7"}
    outside, console = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "blob:")) else None)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_selector("#gedig-explorer[data-ready=true]", timeout=30000)
        first_f = page.inner_text("td[data-source=head][data-term=F]")
        for control, value in pick.items():
            page.select_option(f"select[data-control={control}]", value)
        shown = {
            term: float(page.inner_text(f"td[data-source=head][data-term={term}]")) for term in ("F", "delta_epc", "delta_h", "delta_sp")
        }
        n_edges = int(page.get_attribute("#gedig-explorer", "data-edges"))
        n_marked = page.evaluate("() => document.querySelector('[data-plot=heatmap]').data[1].x.length")
        browser.close()
    assert not outside, f"requests left file://: {outside[:5]}"
    assert not console, f"console errors or warnings: {console[:5]}"
    model = gedig.load_model(cfg.models[int(pick["model"])])
    A = extract(model, texts, [int(pick["text"])], max_length=cfg.max_length).attn[0, int(pick["layer"]), int(pick["head"])].float().numpy()
    r = gedig.gauge(A, causal=model.causal, config=gedig.GaugeConfig.as_written(q=0.7))
    for term, value in shown.items():
        assert abs(value - float(getattr(r, term))) <= 1e-6, f"{term}: page {value} vs gauge {float(getattr(r, term))}"
    assert n_edges == n_marked == int(r.n_edges)
    assert shown["F"] != float(first_f), "the selection did not change the displayed head"


SCREENSHOTS = ("07_what_f_measures", "claims")
READER_JS = """() => {
    const out = {takeaway: null, wide: [], uncaptioned: [], reprs: false};
    const adm = [...document.querySelectorAll('.admonition')].find(a => (a.querySelector('.admonition-title') || {}).textContent?.trim() === 'Takeaway');
    out.takeaway = adm ? adm.textContent : null;
    for (const el of document.querySelectorAll('.cell_output > *, .cell_output .output > *, .cell_output table, .cell_output pre, .cell_input pre, article .pst-scrollable-table-container')) {
        if (el.closest('details')) continue;  // a dropdown may scroll sideways
        if (el.scrollWidth > el.clientWidth + 2) out.wide.push(`${el.tagName}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}: ${(el.textContent || '').trim().slice(0, 60)}`);
    }
    for (const fig of document.querySelectorAll('article .cell_output img, article .plotly-graph-div')) {
        const holder = fig.closest('figure');
        if (!holder || !holder.querySelector('figcaption') || !holder.querySelector('figcaption').textContent.trim()) out.uncaptioned.push(fig.getAttribute('alt') || fig.id || fig.tagName);
    }
    const text = document.body.innerText;
    out.reprs = text.includes('<matplotlib.') || text.includes('<Axes:');
    return out;
}"""


def _computed_takeaway(shown: str | None, site, name: str) -> bool:
    """Whether a chapter's Takeaway on the page carries its computed numbers: a number besides the
    closing sentence's chapter number, and the first sentence its registry generates from the
    chapter's measures (``gedig.book.takeaways``), word for word."""
    import re

    from gedig.book import takeaways

    if not shown:
        return False
    text = " ".join(shown.translate(str.maketrans("’‘“”", "''\"\"")).split())  # MyST prints typographic quotes
    body = text.split(chapters.next_sentence(name))[0]
    if not re.search(r"\d", body.replace("Takeaway", "")):
        return False
    generate = chapters.get(name).takeaway
    if generate is None:
        return True
    measures = json.loads((site / "book" / "executed" / f"{name}.json").read_text())
    first = getattr(takeaways, generate)(measures)[0]
    return " ".join(first.replace("`", "").replace("**", "").split()) in text


def test_a_takeaway_without_its_computed_numbers_is_caught(site):
    name = "03_h1_real_vs_random"
    assert not _computed_takeaway("Takeaway " + chapters.next_sentence(name), site, name)
    assert not _computed_takeaway("Takeaway The effect is 0.5 everywhere.", site, name)


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="Debian chromium not installed (CI installs it)")
def test_every_page_tells_its_reader_at_1280_px(site):
    """At 1280 × 900: every chapter ends on a Takeaway admonition that states the numbers its
    measures give, no output, table or visible code cell is wider than its box (a dropdown may
    scroll), every figure has a caption, no object repr
    is printed, and the first page's tallies add up to the registry. Screenshots of chapter 7 and
    the claims page go to _build/screenshots (the test's artefacts)."""
    import re

    from playwright.sync_api import sync_playwright

    from gedig.util.paths import ROOT

    html = site / "_build" / "html" / "book"
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in [
            *(html / "executed" / f"{n}.html" for n in chapters.names()),
            *(html / f"{p}.html" for p in ("intro", "claims", "provenance", "data", "audit")),
        ]:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            r = page.evaluate(READER_JS)
            chapter = path.parent.name == "executed"
            if chapter and not _computed_takeaway(r["takeaway"], site, path.stem):
                problems.append(f"{path.stem}: no Takeaway admonition that states the numbers its measures give")
            problems += [f"{path.stem}: wider than its box: {w}" for w in r["wide"]]
            problems += [f"{path.stem}: figure without caption: {u}" for u in r["uncaptioned"]]
            if r["reprs"]:
                problems.append(f"{path.stem}: prints an object repr")
            if path.stem in SCREENSHOTS:
                page.screenshot(path=str(shots / f"{path.stem}.png"), full_page=True)
        page.goto((html / "intro.html").as_uri(), wait_until="load")
        intro = page.inner_text("main")
        browser.close()
    assert not problems, "\n".join(problems)
    paper = re.search(r"The paper’s (\d+) claims: (.*?)\(together (\d+)\)", intro.replace("'", "’"))
    ours = re.search(r"This companion’s (\d+) findings: (.*?)\(together (\d+)\)", intro.replace("'", "’"))
    assert paper and ours, "the first page does not tally the claims"
    for match in (paper, ours):
        counts = [int(n) for n in re.findall(r"(\d+) [a-z]", match.group(2))]
        assert sum(counts) == int(match.group(1)) == int(match.group(3)), match.group(0)
    assert int(paper.group(1)) + int(ours.group(1)) == len(load_registry())


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true", reason="Debian chromium not installed (CI installs it)")
def test_explorer_shows_f_within_the_viewport_after_a_change(site):
    """The explorer's controls come first and its terms table sits beside the heatmap: after a
    reader changes the layer and the head, the head's F is on screen in a 1280 × 900 viewport."""
    from playwright.sync_api import sync_playwright

    page_file = site / "_build" / "html" / "book" / "executed" / "08_explore_heads.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_selector("#gedig-explorer[data-ready=true]", timeout=30000)
        page.locator("select[data-control=layer]").scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('#gedig-explorer').scrollIntoView({block: 'start'})")
        before = page.inner_text("td[data-source=head][data-term=F]")
        page.select_option("select[data-control=layer]", "1")
        page.select_option("select[data-control=head]", "3")
        box = page.evaluate(
            "() => { const r = document.querySelector('td[data-source=head][data-term=F]').getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right, innerHeight, innerWidth]; }"
        )
        after = page.inner_text("td[data-source=head][data-term=F]")
        caption = page.inner_text("[data-field=caption]")
        browser.close()
    top, bottom, left, right, height, width = box
    assert 0 <= top and bottom <= height and 0 <= left and right <= width, f"the F cell is outside the viewport: {box}"
    assert after != before
    assert caption.count("τ = ") <= 1, caption
