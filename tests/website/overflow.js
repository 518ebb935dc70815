// How far the open page scrolls sideways, and which elements stick out to the right
// (outside a scrolling container). Called by browser.overflow().
const done = arguments[arguments.length - 1];
const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
Promise.resolve(mj).then(() => {
  const de = document.documentElement, width = de.clientWidth;
  window.scrollTo(100000, 0);
  const scrolled = window.scrollX;
  window.scrollTo(0, 0);
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !el.closest("pre, .highlight, .table-wrapper, mjx-container, .MathJax, [style*='overflow']")) {
      const cs = getComputedStyle(el.parentElement || el);
      if (cs.overflowX === "auto" || cs.overflowX === "scroll" || cs.overflowX === "hidden") continue;
      culprits.push(el.tagName.toLowerCase() + "." + Array.from(el.classList).join(".") + " right=" + Math.round(r.right));
    }
  }
  done({scrollWidth: de.scrollWidth, clientWidth: width, scrolled: scrolled, culprits: culprits.slice(0, 8)});
});
