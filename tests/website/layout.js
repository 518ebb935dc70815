// What a reader sees of the open page at the current width, in the current theme (called
// by browser.layout() once the page has loaded): figures drawn at a shape other than
// their own, code boxes whose text runs past their right edge (hidden until scrolled),
// and display maths that sticks out of the text column.
const done = arguments[arguments.length - 1];
const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
function loaded(img) {
  return img.complete ? null : new Promise(r => {
    img.addEventListener("load", r); img.addEventListener("error", r); setTimeout(r, 15000);
  });
}
const imgs = Array.from(document.querySelectorAll("article img"));
imgs.forEach(img => { img.loading = "eager"; });
function px(v) { return parseFloat(v) || 0; }
function name(el) {
  return (el.currentSrc || el.src || "").split("/").pop() || el.tagName.toLowerCase();
}
Promise.all([Promise.resolve(mj), ...imgs.map(loaded)]).then(() => {
  const figures = [];
  for (const img of imgs) {
    if (!img.naturalWidth || !img.naturalHeight || !img.getClientRects().length) continue;
    const cs = getComputedStyle(img);
    // the drawn picture: the content box (the dark theme pads figures in a white frame)
    const w = img.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    const h = img.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom);
    if (w <= 0 || h <= 0) continue;
    const natural = img.naturalWidth / img.naturalHeight;
    figures.push({
      src: name(img), alt: (img.getAttribute("alt") || "").slice(0, 60),
      width: w, height: h, natural: Math.round(natural * 1000) / 1000,
      shown: Math.round(w / h * 1000) / 1000,
      // CSS px it was made for (myst-nb gives a retina PNG style="width: <half>px")
      cssWidth: px(img.style.width) || Number(img.getAttribute("width")) || img.naturalWidth,
      // off by more than 2 % and by more than a rounding pixel of its height
      squeezed: Math.abs(w / h - natural) > 0.02 * natural && Math.abs(h - w / natural) > 1.5,
    });
  }
  const clipped = [];
  for (const pre of document.querySelectorAll("article pre")) {
    if (!pre.getClientRects().length) continue;  // folded away (an unopened solution)
    if (pre.scrollWidth > pre.clientWidth + 1)
      clipped.push({text: (pre.innerText || "").split("\n").find(l => l.length > 40) || "",
                    scrollWidth: pre.scrollWidth, clientWidth: pre.clientWidth,
                    output: !!pre.closest(".cell_output, .output")});
  }
  const article = document.querySelector("article");
  const right = article ? article.getBoundingClientRect().right : document.documentElement.clientWidth;
  const maths = [];
  for (const box of document.querySelectorAll("article mjx-container[display='true']")) {
    if (!box.getClientRects().length) continue;
    const r = box.getBoundingClientRect();
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(box).overflowX);
    const fits = box.scrollWidth <= box.clientWidth + 1;
    // the box itself stays within its parent (div.math hides what sticks out, on
    // either side: a centred formula wider than the column spills to the left too)
    const p = box.parentElement.getBoundingClientRect();
    const inside = r.right <= Math.min(right, p.right) + 1 && r.left >= p.left - 1;
    if (!inside || !(fits || scrolls))
      maths.push({tex: (box.previousSibling && box.previousSibling.textContent || "").slice(0, 60),
                  right: Math.round(r.right), column: Math.round(right),
                  scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, scrolls: scrolls});
  }
  done({figures: figures, clipped: clipped, maths: maths,
        clientWidth: document.documentElement.clientWidth});
}).catch(e => done({error: String((e && e.stack) || e)}));
