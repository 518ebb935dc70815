// Runs in the page (as an async WebDriver script) once it has loaded: waits for MathJax's
// first typeset and for every image, then reports what tests/test_website.py checks.
const done = arguments[arguments.length - 1];
const t0 = Date.now();
// Seconds since the probe started, at the end of each phase: a slow page says where.
const phases = {};
function phase(name) { phases[name] = (Date.now() - t0) / 1000; }
// Every wait is bounded, and an exception ends the probe with a report instead of
// leaving WebDriver to time out with no clue (an unanswered async script).
function within(ms, promise, late) {
  return Promise.race([promise, new Promise(r => setTimeout(() => r(late), ms))]);
}

function text(el) { return (el.innerText || el.textContent || "").trim(); }
function visible(el) { return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"; }

function waitForMathJax() {
  return new Promise(resolve => {
    (function poll() {
      const script = document.querySelector('script[src*="mathjax" i]');
      if (!script) return resolve({loaded: false});
      const mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise) {
        const base = {loaded: true, version: mj.version, src: script.src};
        return within(60000, mj.startup.promise.then(
          () => base,
          e => ({...base, error: String(e)})),
          {...base, error: "MathJax's first typeset did not finish within 60 s"}).then(resolve);
      }
      if (Date.now() - t0 > 20000) return resolve({loaded: false, src: script.src, error: "MathJax did not start in 20 s"});
      setTimeout(poll, 25);
    })();
  });
}

function waitForImages() {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { img.loading = "eager"; });
  return Promise.all(imgs.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener("load", r); img.addEventListener("error", r); setTimeout(r, 15000);
  })));
}

// WCAG contrast between an element's text colour and the background it sits on.
function rgba(s) { const m = s.match(/[\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat([1]).slice(0, 4); }
// Each element's backdrop is looked up once: a chapter has tens of thousands of
// highlighted code spans, and walking every span's ancestors again made the probe
// outlast WebDriver's 120 s reply limit on the longest pages.
const backdrops = new Map();
function background(el, cached) {
  if (!cached) backdrops.clear();  // only the many code spans share lookups
  const path = [];
  let found = null;
  for (; el && !found; el = el.parentElement) {
    if (backdrops.has(el)) { found = backdrops.get(el); break; }
    path.push(el);
    const c = rgba(getComputedStyle(el).backgroundColor);
    if (c[3] > 0.5) found = c;
  }
  if (!found) {
    const body = rgba(getComputedStyle(document.body).backgroundColor);
    found = body[3] > 0.5 ? body : [255, 255, 255, 1];
  }
  path.forEach(p => backdrops.set(p, found));
  return found;
}
function luminance(c) {
  const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(el, cached) {
  const a = luminance(rgba(getComputedStyle(el).color)), b = luminance(background(el, cached));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
const CONTRAST_GROUPS = {
  "prose": "article p, article li, article td, article th",
  "headings": "article h1, article h2, article h3",
  "links": "article a, .bd-sidebar-primary nav a",
  "code": "div.highlight pre, div.highlight pre span, .cell_output pre, code",
  "admonitions": ".admonition p, .admonition-title",
};
function contrasts() {
  backdrops.clear();  // a theme switch changes every backdrop
  const worst = {};
  for (const [group, sel] of Object.entries(CONTRAST_GROUPS)) {
    // Every element, not a sample: the exercise boxes at the end of a chapter count too.
    for (const el of document.querySelectorAll(sel)) {
      if (!visible(el) || !text(el)) continue;
      const ratio = contrast(el, group === "code");
      if (!(group in worst) || ratio < worst[group].ratio)
        worst[group] = {ratio: Math.round(ratio * 100) / 100, text: text(el).slice(0, 60), color: getComputedStyle(el).color};
    }
  }
  return worst;
}
function themeContrasts() {
  const html = document.documentElement, before = html.dataset.theme;
  const still = document.createElement("style");
  still.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
  document.head.appendChild(still);
  const out = {};
  for (const mode of ["light", "dark"]) {
    html.dataset.theme = mode;
    out[mode] = {contrast: contrasts(), background: getComputedStyle(document.body).backgroundColor};
  }
  html.dataset.theme = before;
  still.remove();
  return out;
}

// Raw TeX delimiters left in the prose mean math was not typeset (or not parsed).
function rawMath() {
  const skip = "pre, code, script, style, .cell_output, .output, mjx-container, .highlight, textarea";
  const walker = document.createTreeWalker(document.querySelector("article") || document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && n.parentElement.closest(skip)) continue;
    const m = n.nodeValue.match(/\$\$|\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{/);
    if (m) found.push(n.nodeValue.trim().slice(0, 80));
  }
  return found;
}

function outputsWithTracebacks() {
  const tb = /Traceback \(most recent call last\)|^\s*Cell In\[\d+\], line \d+/m;
  return Array.from(document.querySelectorAll(".cell_output, .output"))
    .filter(el => el.matches(".traceback, .error") || el.querySelector(".traceback") || tb.test(text(el)))
    .map(el => text(el).slice(0, 300));
}

function links(root) {
  if (!root) return [];
  return Array.from(root.querySelectorAll("a[href]"))
    .map(a => ({href: a.href, raw: a.getAttribute("href"), text: text(a).slice(0, 80), visible: visible(a)}));
}

// A document with no body yet (the browser answered before the page's own document
// was in place; seen once a run on a loaded machine) says nothing about the page:
// browser.py loads the page again.
if (!document.body) done({blank: true, url: location.href, readyState: document.readyState});
else Promise.all([
  waitForMathJax().then(r => { phase("mathjax"); return r; }),
  waitForImages().then(() => phase("images")),
]).then(([mathjax]) => {
  const maths = Array.from(document.querySelectorAll(".math"));
  const h1 = document.querySelector("article h1");
  const brand = document.querySelector(".navbar-brand");
  done({
    url: location.href,
    title: document.title,
    h1: h1 ? text(h1) : null,
    h1Numbered: !!(h1 && h1.querySelector(".section-number")),
    uncaught: window.__mhacourseErrors || [],
    images: Array.from(document.images).map(img => ({
      src: img.currentSrc || img.src, complete: img.complete, naturalWidth: img.naturalWidth,
      alt: img.getAttribute("alt"), diagram: /^Diagram\b/.test(img.getAttribute("alt") || ""),
      // CSS px it is drawn at, and its intended width (myst-nb gives a retina PNG
      // style="width: <half its pixels>px")
      shownWidth: img.clientWidth,
      cssWidth: parseFloat(img.style.width) || Number(img.getAttribute("width")) || img.naturalWidth,
      inArticle: !!img.closest("article")})),
    mathjax: mathjax,
    math: {
      elements: maths.length,
      typeset: maths.filter(el => el.querySelector("mjx-container")).length,
      containers: document.querySelectorAll("mjx-container").length,
      errors: Array.from(document.querySelectorAll("mjx-merror")).map(text),
      raw: rawMath(),
    },
    tracebacks: outputsWithTracebacks(),
    links: links(document),
    ids: Array.from(document.querySelectorAll("[id]")).map(el => el.id)
      .concat(Array.from(document.querySelectorAll("a[name]")).map(a => a.name)),
    article_links: links(document.querySelector("article")),
    sidebar: links(document.querySelector(".bd-sidebar-primary nav.bd-links, .bd-sidebar-primary nav")),
    brand: brand ? {href: brand.href, text: text(brand)} : null,
    favicon: (document.querySelector('link[rel~="icon"]') || {}).href || null,
    downloads: links(document.querySelector(".dropdown-download-buttons")),
    headerButtons: Array.from(document.querySelectorAll(".article-header-buttons [class*='btn-']"))
      .map(el => Array.from(el.classList).filter(c => c.startsWith("btn-")).join(" ")),
    launchLinks: links(document.querySelector(".dropdown-launch-buttons")),
    exercises: document.querySelectorAll(".exercise.admonition").length,
    solutions: document.querySelectorAll(".solution.admonition").length,
    themes: (() => { const t = themeContrasts(); phase("themes"); return t; })(),
    seconds: (Date.now() - t0) / 1000,
    phases: phases,
  });
}).catch(e => done({probeError: String((e && e.stack) || e), phases: phases,
                    seconds: (Date.now() - t0) / 1000}));
