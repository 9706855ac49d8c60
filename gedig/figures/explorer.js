// The head explorer (gedig/explorer.py writes its data). Every number shown was computed by gedig
// when the book was built; this script only decodes the data, draws it with Plotly and fills the table.
function gedigExplorer(id) {
  "use strict";
  const root = document.getElementById(id);
  const P = JSON.parse(document.getElementById(id + "-data").textContent);
  const TERM_LABEL = { F: "F", delta_epc: "ΔEPC", delta_h: "ΔH", delta_sp: "ΔSP" };
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  };
  const fail = (msg) => {
    root.replaceChildren(el("p", { class: "gedig-explorer-error" }, "The explorer could not start: " + msg));
    throw new Error("gedig explorer: " + msg);
  };
  if (typeof Plotly === "undefined") fail("Plotly is not loaded on this page");
  if (typeof DecompressionStream === "undefined") fail("this browser has no DecompressionStream (gzip); use a current browser");

  const bytes = Uint8Array.from(atob(P.blob), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).arrayBuffer().then(start, (e) => fail(String(e)));

  function start(buf) {
    const TYPES = { uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array };
    const arr = (name) => {
      const [offset, dtype, shape] = P.manifest[name];
      const n = shape.reduce((a, b) => a * b, 1);
      return new TYPES[dtype](buf, offset, n);
    };
    const select = (name, label) => {
      const s = el("select", { "data-control": name, "aria-label": label });
      return [el("label", {}, label + " ", s), s];
    };
    const [lModel, sModel] = select("model", "model");
    const [lText, sText] = select("text", "text");
    const [lLayer, sLayer] = select("layer", "layer");
    const [lHead, sHead] = select("head", "head");
    const [lPreset, sPreset] = select("preset", "preset");
    const [lThr, sThr] = select("threshold", "threshold");
    const fill = (s, options, keep) => {
      const old = s.value;
      s.replaceChildren(...options.map(([v, t]) => el("option", { value: String(v) }, t)));
      if (keep && options.some(([v]) => String(v) === old)) s.value = old;
    };
    fill(sModel, P.models.map((m, i) => [i, m.name]));
    const presets = [...new Set(P.configs.map((c) => c.preset))];
    fill(sPreset, presets.map((p) => [p, p]));
    const controls = el("div", { class: "gedig-explorer-controls" }, lModel, lText, lLayer, lHead, lPreset, lThr);
    const caption = el("p", { class: "gedig-explorer-caption", "data-field": "caption" });
    const heat = el("div", { class: "gedig-explorer-plot", "data-plot": "heatmap" });
    const graph = el("div", { class: "gedig-explorer-plot", "data-plot": "graph" });
    const formula = el("p", { class: "gedig-explorer-formula", "data-field": "formula" });
    const table = el("table", { class: "gedig-explorer-terms table" });
    const sign = el("p", { class: "gedig-explorer-sign" },
      "ΔF = F(this head) − F(baseline). ΔF > 0: the head scores the higher F, closer to 0, which H1 reads as more structured.");
    const side = el("div", { class: "gedig-explorer-side" }, table, sign, formula);
    const main = el("div", { class: "gedig-explorer-main" }, heat, side);
    root.replaceChildren(controls, caption, main, graph);

    const model = () => P.models[+sModel.value];
    const refill = (keep) => {
      const m = model();
      fill(sText, m.texts.map((t, i) => [i, `${i + 1}. ${t.corpus}: ${t.text.length > 48 ? t.text.slice(0, 47) + "…" : t.text}`]), keep);
      fill(sLayer, [...Array(m.layers).keys()].map((l) => [l, String(l)]), keep);
      fill(sHead, [...Array(m.heads).keys()].map((h) => [h, String(h)]), keep);
      fill(sThr, P.configs.map((c, i) => [i, c]).filter(([, c]) => c.preset === sPreset.value).map(([, c]) => [c.label, c.label]), keep);
    };
    const fmt = (x, d) => (Object.is(x, -0) ? 0 : x).toFixed(d);

    function render() {
      const mi = +sModel.value, ti = +sText.value, l = +sLayer.value, h = +sHead.value;
      const m = P.models[mi], t = m.texts[ti], L = t.L, H = m.heads;
      const c = P.configs.findIndex((k) => k.preset === sPreset.value && k.label === sThr.value);
      const cfg = P.configs[c], C = P.configs.length, k = l * H + h, pre = `m${mi}t${ti}`;
      const colour = arr(pre + ".colour").subarray(k * L * L, (k + 1) * L * L);
      const level = arr(pre + ".level").subarray(k * L * L, (k + 1) * L * L);
      const rank = arr(pre + ".rank")[k * C + c];
      const peak = arr(pre + ".peak")[k];
      const tau = arr(pre + ".tau")[k * C + c];
      const tok = t.tokens;
      const z = [], hover = [], ex = [], ey = [], edges = [];
      for (let i = 0; i < L; i++) {
        const row = [], hrow = [];
        for (let j = 0; j < L; j++) {
          const a = (colour[i * L + j] / 255) * peak;
          const edge = level[i * L + j] > rank;
          row.push(a);
          hrow.push(`query ${i} “${tok[i]}” → key ${j} “${tok[j]}”<br>A ≈ ${a.toPrecision(3)}${edge ? " (edge)" : ""}`);
          if (edge) { ex.push(j); ey.push(i); edges.push([i, j]); }
        }
        z.push(row); hover.push(hrow);
      }
      const ticks = { tickmode: "array", tickvals: [...Array(L).keys()], ticktext: tok, tickfont: { size: 9 }, zeroline: false, showgrid: false };
      Plotly.react(heat, [
        { type: "heatmap", z, text: hover, hoverinfo: "text", colorscale: "Viridis", zmin: 0, zmax: peak, colorbar: { title: { text: "A" }, thickness: 10 } },
        { type: "scatter", mode: "markers", x: ex, y: ey, name: "edge (A > τ)", hoverinfo: "skip",
          marker: { symbol: "square-open", color: "red", size: Math.max(3, Math.min(9, 220 / L)), line: { width: 1 } } },
      ], {
        title: { text: `${m.name}, layer ${l}, head ${h}: ${edges.length} edges`, font: { size: 13 } },
        xaxis: { ...ticks, title: { text: "key j" }, tickangle: -60 },
        yaxis: { ...ticks, title: { text: "query i" }, autorange: "reversed", scaleanchor: "x" },
        margin: { l: 70, r: 10, t: 40, b: 80 }, height: 430, showlegend: false,
      }, { displaylogo: false, responsive: true });

      const angle = (i) => Math.PI / 2 - (2 * Math.PI * i) / L;
      const nx = tok.map((_, i) => Math.cos(angle(i))), ny = tok.map((_, i) => Math.sin(angle(i)));
      const loops = edges.filter(([i, j]) => i === j).map(([i]) => i);
      const arrows = edges.filter(([i, j]) => i !== j).map(([i, j]) => ({
        x: nx[j], y: ny[j], ax: nx[i], ay: ny[i], xref: "x", yref: "y", axref: "x", ayref: "y",
        showarrow: true, arrowhead: 2, arrowsize: 0.8, arrowwidth: 0.7, arrowcolor: "rgba(76,114,176,0.55)", standoff: 7, text: "",
      }));
      Plotly.react(graph, [
        { type: "scatter", mode: "markers+text", x: nx, y: ny, text: tok, textposition: "top center", textfont: { size: 9 },
          hovertext: tok.map((s, i) => `token ${i} “${s}”`), hoverinfo: "text", marker: { size: 9, color: "#4c72b0" }, name: "token" },
        { type: "scatter", mode: "markers", x: loops.map((i) => nx[i]), y: loops.map((i) => ny[i]), name: "self-loop",
          hovertext: loops.map((i) => `self-loop at ${i} “${tok[i]}”`), hoverinfo: "text",
          marker: { size: 17, symbol: "circle-open", color: "red", line: { width: 2 } } },
      ], {
        title: { text: `thresholded graph: ${edges.length - loops.length} arrows (query → key), ${loops.length} self-loops (red rings)`, font: { size: 12 } },
        xaxis: { visible: false, range: [-1.3, 1.3] }, yaxis: { visible: false, range: [-1.3, 1.3], scaleanchor: "x" },
        annotations: arrows, margin: { l: 10, r: 10, t: 40, b: 10 }, height: 440, showlegend: false,
      }, { displaylogo: false, responsive: true });

      const threshold = cfg.tau === null ? `${cfg.label} of this head's weights, τ = ${tau.toPrecision(4)}` : `the fixed threshold ${cfg.label}`;
      caption.textContent = `${t.corpus}: “${t.text}” (${L} tokens). ${cfg.preset} preset, ${threshold}.`;
      formula.textContent = `F = ΔEPC − λ(ΔH + γ·ΔSP) with λ = ${cfg.lam}, γ = ${cfg.gamma}; every value below was computed by gedig when this page was built.`;
      const headTerms = arr(pre + ".head_terms"), textTerms = arr(pre + ".text_terms");
      const S = t.per_head.length, T = t.per_text.length;
      const rows = [];
      t.per_head.forEach((src, s) => rows.push([src, (q) => headTerms[(((k * C + c) * S) + s) * 4 + q]]));
      t.per_text.forEach((src, s) => rows.push([src, (q) => textTerms[((c * T) + s) * 4 + q]]));
      const head = el("tr", {}, el("th", {}, "matrix"), ...P.terms.map((q) => el("th", {}, TERM_LABEL[q] || q)), el("th", {}, "ΔF"));
      const fHead = rows[0][1](0);
      const body = rows.map(([src, get]) => el("tr", { "data-source": src },
        el("td", {}, src === "head" ? "this head" : `${src}`),
        ...P.terms.map((q, qi) => el("td", { "data-source": src, "data-term": q }, fmt(get(qi), 6))),
        el("td", { "data-source": src, "data-term": "dF" }, src === "head" ? "" : fmt(fHead - get(0), 6))));
      table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
      root.dataset.edges = String(edges.length);
      root.dataset.ready = "true";
    }

    sModel.addEventListener("change", () => { refill(true); render(); });
    sPreset.addEventListener("change", () => { refill(true); render(); });
    for (const s of [sText, sLayer, sHead, sThr]) s.addEventListener("change", render);
    refill(false);
    sThr.value = P.configs.find((k) => k.preset === sPreset.value && k.q === 0.9) ? "q = 0.9" : sThr.value;
    render();
  }
}
