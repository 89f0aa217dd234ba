// The release dashboard: reads /api/dashboard and draws each target's coming print, the
// nowcast's evolution, the fan chart, the track record and the year's surplus. Vanilla
// JavaScript and inline SVG, served by the app itself (no library, nothing from a CDN).
// Every text from the server goes in through textContent, never as HTML.
"use strict";
(function () {
  const REFRESH_MS = 60000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const app = document.getElementById("app");
  let lastEtag = null;
  let lastData = null;
  // charts are drawn at the width they are shown at, so that their text stays readable
  function chartWidth() {
    const w = app.clientWidth;
    return w >= 1100 ? 620 : Math.max(300, Math.min(680, w - 40));
  }

  // -- small helpers ------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    }
    return node;
  }
  function sv(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const num = (x) => typeof x === "number" && isFinite(x);
  const signed = (x, d = 1) => (num(x) ? (x > 0 ? "+" : x < 0 ? "−" : "") + Math.abs(x).toFixed(d) : "–");
  const pct = (p) => (num(p) ? Math.round(p * 100) + "%" : "–");
  const toDay = (iso) => Date.parse(iso + "T00:00:00Z") / 86400000;
  const shortDate = (iso) => {
    const d = new Date(iso + "T00:00:00Z");
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  };
  const weekday = (iso) =>
    new Date(iso + "T00:00:00Z").toLocaleDateString("en-GB", { weekday: "short", timeZone: "UTC" });
  const TITLES = { exports_yoy: "Exports", imports_yoy: "Imports", balance_usd_bn: "Trade balance" };
  // a figure's unit and a difference's: "% y/y, USD" -> % and pp; "USD bn" -> bn and bn
  const isRate = (unit) => String(unit || "").startsWith("%");
  const unitOf = (unit) => (isRate(unit) ? "%" : String(unit || "").replace(/^USD /, " "));
  const diffUnitOf = (unit) => (isRate(unit) ? " pp" : unitOf(unit));
  const monthIndex = (period) => {
    const [y, m] = period.split("-").map(Number);
    return y * 12 + m - 1;
  };
  function runLink(ui, runId, text) {
    if (!runId) return null;
    return el("a", { href: ui + "/#/runs/" + encodeURIComponent(runId), target: "_blank", rel: "noopener" },
      text || "MLflow run " + runId.slice(0, 8));
  }
  function scale(d0, d1, r0, r1) {
    const span = d1 - d0 || 1;
    return (x) => r0 + ((x - d0) / span) * (r1 - r0);
  }
  function niceTicks(lo, hi, n) {
    const step0 = (hi - lo) / Math.max(n, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(step0 || 1)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(6));
    return out;
  }
  function yAxis(g, y, lo, hi, x0, x1) {
    for (const t of niceTicks(lo, hi, 4)) {
      g.append(sv("line", { x1: x0, x2: x1, y1: y(t), y2: y(t), class: "axis" }));
      g.append(sv("text", { x: x0 - 4, y: y(t) + 4, "text-anchor": "end" }, signed(t, Math.abs(hi - lo) < 4 ? 1 : 0)));
    }
  }
  function extent(values, pad) {
    const ok = values.filter(num);
    if (!ok.length) return [-1, 1];
    let lo = Math.min(...ok), hi = Math.max(...ok);
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const p = (hi - lo) * pad;
    return [lo - p, hi + p];
  }

  // -- the nowcast's evolution ---------------------------------------------------------------
  function evolutionChart(nr, ev) {
    const W = chartWidth(), H = 260, L = 44, R = 14, T = 30, B = 28;
    const pts = (ev.forecasts || []).filter((p) => num(p.yhat));
    const polls = ev.polls || [];
    const marks = ev.indicator_releases || [];
    const release = nr ? nr.release_date : ev.released;
    const days = [...pts.map((p) => toDay(p.as_of)), ...polls.filter((p) => p.polled_on).map((p) => toDay(p.polled_on)),
      ...marks.map((m) => toDay(m.released))];
    const end = release ? toDay(release) : Math.max(...days, 0);
    let start = days.length ? Math.min(...days) : end - 14;
    start = Math.min(start, end - 7) - 2;
    const values = [...pts.flatMap((p) => [p.yhat, p.yhat_lo_80, p.yhat_hi_80]), ...polls.map((p) => p.consensus), ev.actual];
    const [lo, hi] = extent(values, 0.08);
    const x = scale(start, end + 1, L, W - R), y = scale(lo, hi, H - B, T);
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart evolution", role: "img",
      "data-points": String(pts.length), "aria-label": `${ev.target} ${ev.period}: ${pts.length} forecasts over time` });
    yAxis(svg, y, lo, hi, L, W - R);
    // indicator releases: dashed verticals, labels on two rows so that they do not collide
    marks.forEach((m, i) => {
      const xx = x(toDay(m.released));
      svg.append(sv("line", { x1: xx, x2: xx, y1: T - 4, y2: H - B, class: "marker" }));
      const label = sv("text", { x: xx + 2, y: 10 + (i % 2) * 11, class: "marker-label" }, m.series.replace(/_yoy$/, ""));
      label.append(sv("title", {}, `${m.series} ${m.period}: ${signed(m.value)} released ${m.released}`));
      svg.append(label);
    });
    if (release) {
      const xr = x(toDay(release));
      svg.append(sv("line", { x1: xr, x2: xr, y1: T - 4, y2: H - B, class: "release" }));
    }
    // consensus known at each day: a step line from each poll to the next, up to the release
    const dated = polls.map((p) => ({ d: p.polled_on ? toDay(p.polled_on) : start, v: p.consensus })).filter((p) => num(p.v));
    if (dated.length) {
      let path = "";
      dated.forEach((p, i) => {
        const x0 = x(Math.max(p.d, start)), x1 = x(i + 1 < dated.length ? dated[i + 1].d : end);
        path += `${i ? "L" : "M"}${x0},${y(p.v)}H${x1}`;
      });
      svg.append(sv("path", { d: path, class: "cons-line" }));
      dated.forEach((p) => svg.append(sv("circle", { cx: x(Math.max(p.d, start)), cy: y(p.v), r: 3, class: "cons-dot" })));
    }
    // the forecasts: 80% band, line and dots
    if (pts.length > 1) {
      const up = pts.map((p) => `${x(toDay(p.as_of))},${y(p.yhat_hi_80)}`);
      const dn = pts.slice().reverse().map((p) => `${x(toDay(p.as_of))},${y(p.yhat_lo_80)}`);
      svg.append(sv("polygon", { points: [...up, ...dn].join(" "), class: "band" }));
      svg.append(sv("polyline", { points: pts.map((p) => `${x(toDay(p.as_of))},${y(p.yhat)}`).join(" "), class: "model-line" }));
    }
    for (const p of pts) {
      const xx = x(toDay(p.as_of));
      if (pts.length === 1 && num(p.yhat_lo_80)) {
        svg.append(sv("rect", { x: xx - 6, width: 12, y: y(p.yhat_hi_80), height: Math.max(1, y(p.yhat_lo_80) - y(p.yhat_hi_80)), class: "band" }));
      }
      const dot = sv("circle", { cx: xx, cy: y(p.yhat), r: 4, class: "model-dot" });
      dot.append(sv("title", {}, `as of ${p.as_of}: ${signed(p.yhat)} (80%: ${signed(p.yhat_lo_80)} … ${signed(p.yhat_hi_80)})`));
      svg.append(dot);
    }
    if (num(ev.actual) && ev.released) {
      svg.append(sv("rect", { x: x(toDay(ev.released)) - 4, y: y(ev.actual) - 4, width: 8, height: 8, fill: "#1d2433" }));
    }
    // x labels: the first day and the release day
    svg.append(sv("text", { x: L, y: H - 8 }, shortDate(new Date((start + 2) * 86400000).toISOString().slice(0, 10))));
    if (release) svg.append(sv("text", { x: x(end), y: H - 8, "text-anchor": "middle" }, "release " + shortDate(release)));
    return svg;
  }

  // -- the fan chart: the history and the forecast's 80% and 95% bands ---------------------------
  function fanChart(nr) {
    const W = chartWidth(), H = 220, L = 44, R = 14, T = 12, B = 24;
    const hist = (nr.history || []).slice(-24);
    const path = (nr.path || []).filter((p) => num(p.yhat));
    // x by calendar month: the combined Jan-Feb and months not yet released leave gaps
    const months = [...hist.map((h) => monthIndex(h.period)), ...path.map((p) => monthIndex(p.period))];
    const m0 = Math.min(...months), m1 = Math.max(...months);
    const values = [...hist.map((h) => h.value), ...path.flatMap((p) => [p.yhat_lo_95, p.yhat_hi_95, p.yhat])];
    if (nr.consensus) values.push(nr.consensus.value);
    const [lo, hi] = extent(values, 0.05);
    const xm = scale(m0, Math.max(m1, m0 + 1), L, W - R), y = scale(lo, hi, H - B, T);
    const x = (i) => xm(months[i]);
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart fan", role: "img", "aria-label": `fan chart ${nr.target}` });
    yAxis(svg, y, lo, hi, L, W - R);
    svg.append(sv("polyline", { points: hist.map((h, i) => `${x(i)},${y(h.value)}`).join(" "), class: "hist-line" }));
    if (path.length) {
      const anchor = hist.length ? [{ i: hist.length - 1, v: hist[hist.length - 1].value }] : [];
      for (const [lk, hk, cls] of [["yhat_lo_95", "yhat_hi_95", "band95"], ["yhat_lo_80", "yhat_hi_80", "band"]]) {
        const up = [...anchor.map((a) => `${x(a.i)},${y(a.v)}`), ...path.map((p, j) => `${x(hist.length + j)},${y(p[hk])}`)];
        const dn = [...path.map((p, j) => `${x(hist.length + j)},${y(p[lk])}`).reverse(), ...anchor.map((a) => `${x(a.i)},${y(a.v)}`)];
        svg.append(sv("polygon", { points: [...up, ...dn].join(" "), class: cls }));
      }
      const line = [...anchor.map((a) => `${x(a.i)},${y(a.v)}`), ...path.map((p, j) => `${x(hist.length + j)},${y(p.yhat)}`)];
      svg.append(sv("polyline", { points: line.join(" "), class: "model-line" }));
      path.forEach((p, j) => svg.append(sv("circle", { cx: x(hist.length + j), cy: y(p.yhat), r: 3.5, class: "model-dot" })));
      const last = path.find((p) => p.period === nr.period) || path[path.length - 1];
      if (nr.consensus) svg.append(sv("circle", { cx: xm(monthIndex(last.period)), cy: y(nr.consensus.value), r: 4, class: "cons-dot" }));
    }
    // labels every 6 (12 on a phone) months, counted back from the last one
    const every = W < 500 ? 12 : 6;
    for (let m = m1; m >= m0; m -= every) {
      const label = `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`;
      svg.append(sv("text", { x: xm(m), y: H - 6, "text-anchor": m === m1 ? "end" : "middle" }, label));
    }
    return svg;
  }

  // -- per target ----------------------------------------------------------------------------
  // the number alone in .<cls>-value (what the tests read), its unit beside it
  function figure(cls, label, value, sub, unit) {
    const shown = unit && value !== "–" ? el("span", { class: "unit" }, unit) : null;
    return el("div", { class: "figure " + cls }, el("div", { class: "label" }, label),
      el("div", { class: "value" }, el("span", { class: cls + "-value" }, value), shown),
      sub ? el("div", { class: "sub" }, sub) : null);
  }
  function consensusFigure(nr, u) {
    const cons = nr.consensus;
    if (cons) {
      return figure("consensus", "consensus", signed(cons.value),
        `${cons.source}${cons.polled_on ? ", " + cons.polled_on : ""}`, u);
    }
    // no poll: say why (the balance: polled 2016-2018 only) rather than a blank
    const fig = figure("consensus", "consensus", nr.recent_poll ? "no poll yet" : "no recent poll",
      nr.recent_poll || !nr.last_polled_period ? nr.consensus_note || "none stored" : `the last poll stored is for ${nr.last_polled_period}`);
    fig.setAttribute("title", nr.consensus_note || "");
    fig.classList.add("none");
    return fig;
  }
  function whatMoved(ev, nr) {
    const pts = (ev.forecasts || []).filter((p) => num(p.yhat));
    const items = [];
    pts.forEach((p, i) => {
      if (!i) return;
      const arrived = (p.arrived || []).map((a) => `${a.series} ${a.period} ${signed(a.value)} (${shortDate(a.released)})`);
      const moved = p.yhat - pts[i - 1].yhat;
      items.push(el("li", {}, `as of ${p.as_of}: ` + (Math.abs(moved) < 0.005 ? `unchanged at ${signed(p.yhat)}` : `${signed(moved, 2)} to ${signed(p.yhat)}`) +
        (arrived.length ? `; released since the previous forecast: ${arrived.join(", ")}` : "; no indicator released in between")));
    });
    for (const r of (nr && nr.news) || []) {
      items.push(el("li", {}, `factor model news: ${r.indicator} ${r.period} ${signed(r.value)} vs expected ${signed(r.expected)} → impact ${signed(r.impact, 2)}`));
    }
    if (!items.length) return el("p", { class: "note" }, pts.length ? "One forecast so far: nothing to compare yet." : "No forecast recorded for this period yet.");
    return el("ul", { class: "moves" }, items);
  }
  // with polls: model, consensus, actual and who was closer; without any (the balance): the
  // model's error in place of the consensus columns, and why
  function trackTable(tr, ui) {
    const polled = !tr.consensus_note;
    const from = (r) => (r.forecast_from === "ledger" ? (runLink(ui, r.mlflow_run_id, "ledger") || "ledger") : r.forecast_from || "–");
    const rows = (tr.releases || []).map((r) => el("tr", {},
      el("td", {}, r.period), el("td", { class: "opt" }, r.released ? shortDate(r.released) : "–"),
      el("td", {}, signed(r.forecast)),
      polled ? el("td", {}, signed(r.consensus)) : null, el("td", {}, signed(r.actual)),
      polled ? el("td", { class: r.closer || "" }, r.closer || "–")
        : el("td", {}, num(r.forecast) ? signed(r.forecast - r.actual) : "–"),
      el("td", { class: "opt" }, from(r))));
    const cols = polled ? ["period", "released", "model", "consensus", "actual", "closer", "from"]
      : ["period", "released", "model", "actual", "error", "from"];
    const head = el("tr", {}, cols.map((h) => el("th", { class: h === "released" || h === "from" ? "opt" : null }, h)));
    const errors = (tr.releases || []).filter((r) => num(r.forecast)).map((r) => Math.abs(r.forecast - r.actual));
    const mae = errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null;
    const verdict = polled ? `The model was closer in ${tr.model_closer} of ${tr.judged} releases with a poll. `
      : `${tr.consensus_note[0].toUpperCase()}${tr.consensus_note.slice(1)}: the model against the actual` +
        (num(mae) ? `, mean absolute error ${mae.toFixed(1)}${unitOf(tr.unit)}. ` : ". ");
    return el("div", { class: "table-wrap" }, el("table", { class: "track-record" }, el("thead", {}, head), el("tbody", {}, rows)),
      el("p", { class: "note" + (polled ? "" : " no-poll") }, verdict +
        "Forecasts from the ledger where one was recorded before the release, else the backtest at the eve of it."));
  }
  function modelsTable(nr) {
    const rows = (nr.models || []).map((m) => el("tr", {}, el("td", {}, m.model), el("td", {}, signed(m.yhat)),
      el("td", {}, `${signed(m.yhat_lo_80)} … ${signed(m.yhat_hi_80)}`), el("td", {}, pct(m.p_beat)), el("td", {}, m.error || "")));
    return el("details", {}, el("summary", {}, "every model"), el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["model", "forecast", "80%", "P(beat)", "error"].map((h) => el("th", {}, h)))), el("tbody", {}, rows))));
  }
  function targetCard(t, data) {
    const nr = t.next_release, ev = t.evolution, ui = data.mlflow_ui_url;
    const title = `${TITLES[t.target] || t.target}, ${t.unit}`;
    const card = el("section", { class: "card target", "data-target": t.target }, el("h2", {}, title));
    if (t.error) card.append(el("p", { class: "warn" }, t.error));
    if (nr) {
      const left = nr.days_left === 0 ? "today" : nr.days_left > 0 ? `in ${nr.days_left} day${nr.days_left === 1 ? "" : "s"}` : `${-nr.days_left} days ago`;
      card.append(el("p", { class: "when" }, `${nr.period} print (covers ${nr.covers}), released ${weekday(nr.release_date)} ${nr.release_date}`,
        nr.release_date_basis === "estimated" ? " (date estimated)" : "", " · ", el("span", { class: "left" }, left)));
      const e = nr.ensemble || {};
      const u = unitOf(t.unit), du = diffUnitOf(t.unit), cons = nr.consensus;
      card.append(el("div", { class: "figures" },
        figure("forecast", "forecast", signed(e.yhat), `80%: ${signed(e.yhat_lo_80)} … ${signed(e.yhat_hi_80)}${u}`, u),
        consensusFigure(nr, u),
        figure("surprise", "model − consensus", signed(nr.model_minus_consensus), cons ? "the model's surprise view" : "needs a consensus", du),
        figure("pbeat", "P(beat)", pct(e.p_beat), !cons ? "needs a consensus"
          : nr.consensus_changed && num(nr.consensus_at_forecast) ? `vs ${signed(nr.consensus_at_forecast)} at forecast time` : "P(print > consensus)")));
      const src = nr.source === "ledger" ? `recorded forecast as of ${nr.as_of} (${nr.ledger_job_id})` : `computed now as of ${nr.as_of}: nothing recorded yet`;
      card.append(el("p", { class: "source" }, `${e.model || "–"}; champion ${nr.champion || "–"}; ${src} `, runLink(ui, nr.mlflow_run_id)));
      if (nr.consensus_changed && nr.consensus) {
        card.append(el("p", { class: "source warn" }, "A poll newer than the forecast is stored: P(beat) was computed against the consensus known then."));
      }
      const st = nr.data_status;
      if (st && st.overdue && st.overdue.length) {
        card.append(el("p", { class: "source warn" }, `data overdue: ${st.overdue.map((d) => d.period).join(", ")} (the forecast spans them)`));
      }
    }
    if (ev) {
      card.append(el("h3", {}, `How the ${ev.period} forecast moved`));
      card.append(el("div", { class: "legend" }, el("span", {}, el("i", { class: "l-model" }), "forecast"),
        el("span", {}, el("i", { class: "l-band" }), "80% interval"),
        (ev.polls || []).length ? el("span", {}, el("i", { class: "l-cons" }), "consensus")
          : el("span", { class: "no-poll" }, (nr && nr.consensus_note) || "no consensus poll"),
        el("span", {}, el("i", { class: "l-mark" }), "indicator releases")));
      card.append(evolutionChart(nr, ev));
      card.append(el("h3", {}, "What moved it"), whatMoved(ev, nr));
    }
    if (nr) {
      card.append(el("h3", {}, "Fan chart"), fanChart(nr), modelsTable(nr));
    }
    if (t.track_record) card.append(el("h3", {}, "Track record: the last 12 releases"), trackTable(t.track_record, ui));
    if (t.track_record_error) card.append(el("p", { class: "warn" }, t.track_record_error));
    return card;
  }
  // the year's months: released balances, then the forecasts with their 80% bands
  function surplusChart(s) {
    const W = chartWidth(), H = 190, L = 44, R = 14, T = 12, B = 24;
    const months = [...(s.released || []).map((r) => ({ period: r.period, v: r.balance, done: true })),
      ...(s.remaining || []).map((r) => ({ period: r.period, v: r.yhat, lo: r.yhat_lo_80, hi: r.yhat_hi_80, done: false }))];
    const [lo0, hi] = extent([0, ...months.flatMap((m) => [m.v, m.lo, m.hi])], 0.05);
    const lo = Math.min(lo0, 0);
    const y = scale(lo, hi, H - B, T), slot = (W - L - R) / Math.max(months.length, 1);
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart surplus-months", role: "img",
      "data-months": String(months.length), "aria-label": `the ${s.year} balance by month, USD bn` });
    yAxis(svg, y, lo, hi, L, W - R);
    months.forEach((m, i) => {
      const cx = L + slot * (i + 0.5), bw = Math.min(26, slot * 0.6);
      if (num(m.v)) {
        const top = y(Math.max(m.v, 0)), h = Math.max(1, Math.abs(y(m.v) - y(0)));
        const bar = sv("rect", { x: cx - bw / 2, y: top, width: bw, height: h, class: m.done ? "bar-released" : "bar-forecast" });
        bar.append(sv("title", {}, `${m.period}: ${m.v.toFixed(1)} bn ${m.done ? "released" : "forecast"}`));
        svg.append(bar);
      }
      if (!m.done && num(m.lo) && num(m.hi)) svg.append(sv("line", { x1: cx, x2: cx, y1: y(m.hi), y2: y(m.lo), class: "whisker" }));
      const label = m.period.slice(5) === "02" && months.length === 11 ? "J–F" : m.period.slice(5);
      svg.append(sv("text", { x: cx, y: H - 6, "text-anchor": "middle" }, label));
    });
    return svg;
  }
  function surplusCard(s) {
    const card = el("section", { class: "card surplus" }, el("h2", {}, `Trade surplus ${s.year || ""}, USD bn`));
    if (s.error) { card.append(el("p", { class: "warn" }, s.error)); return card; }
    const bn = (x) => (num(x) ? x.toFixed(0) : "–");
    const growth = (x) => (num(x) ? signed(x) + "%" : "–");
    const done = (s.released || []).length, left = (s.remaining || []).length;
    card.append(el("p", { class: "when" }, s.complete ? `${s.year}: every month released`
      : `${done} release${done === 1 ? "" : "s"} in, ${left} month${left === 1 ? "" : "s"} forecast (figures released before ${s.as_of})`));
    card.append(el("div", { class: "figures" },
      figure("forecast", s.complete ? "full year" : "projected full year", bn(s.total), s.complete ? "" : `80%: ${bn(s.total_80[0])} … ${bn(s.total_80[1])}`, " bn"),
      figure("released", "released so far", bn(s.released_sum), `${done} release${done === 1 ? "" : "s"}`, " bn"),
      figure("record", "record", bn(s.record), s.record_year ? `in ${s.record_year}` : "", " bn"),
      figure("precord", "P(record)", pct(s.p_record), `last year ${bn(s.previous_total)} bn`)));
    card.append(el("div", { class: "legend" }, el("span", {}, el("i", { class: "l-released" }), "released"),
      el("span", {}, el("i", { class: "l-forecast" }), "forecast, 80% interval")));
    card.append(surplusChart(s));
    card.append(el("p", { class: "note" }, `Exports ${growth(s.exports_growth ?? s.exports_growth_ytd)}, imports ` +
      `${growth(s.imports_growth ?? s.imports_growth_ytd)} y/y ${num(s.exports_growth) ? "for the year" : "in the year to date"}. ` +
      (s.method || "")));
    return card;
  }
  function render(data) {
    document.getElementById("meta").textContent =
      `as of ${data.today} · next releases: ` +
      (data.calendar || []).map((r) => `${r.period} on ${r.release_date}`).join(", ");
    document.getElementById("mlflow-link").setAttribute("href", data.mlflow_ui_url + "/");
    const cards = data.targets.map((t) => targetCard(t, data));
    if (data.surplus) cards.push(surplusCard(data.surplus));
    app.replaceChildren(...cards);
  }
  async function load() {
    try {
      const resp = await fetch("/api/dashboard", { cache: "no-cache", headers: { Accept: "application/json" } });
      const etag = resp.headers.get("ETag");
      if (resp.ok && etag && etag === lastEtag) return;
      const body = await resp.json();
      if (!resp.ok) throw new Error((body.error && body.error.message) || resp.statusText);
      render(body);
      lastEtag = etag;
      lastData = body;
    } catch (err) {
      app.replaceChildren(el("p", { class: "warn" }, "Could not load the forecasts: " + err.message));
    }
  }
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => lastData && render(lastData), 200);
  });
  load();
  setInterval(load, REFRESH_MS);
})();
