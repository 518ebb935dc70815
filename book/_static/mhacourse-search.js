// Search snippets without raw TeX. Sphinx's search page builds each result's snippet from
// the page's text, where maths is still its TeX source ("\(\mathrm{softmax}(QK^\top/
// \sqrt{E})\)"): MathJax does not run there. Before Sphinx reads a page's text, each maths
// element is rewritten as plain text ("softmax(QKᵀ/√E)").
(function () {
  "use strict";
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε",
    theta: "θ", lambda: "λ", mu: "μ", pi: "π", sigma: "σ", tau: "τ", phi: "φ",
    omega: "ω", Sigma: "Σ", Delta: "Δ", Omega: "Ω", sum: "Σ", prod: "∏", top: "ᵀ",
    cdot: "·", times: "×", in: "∈", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠",
    neq: "≠", approx: "≈", to: "→", rightarrow: "→", leftarrow: "←", infty: "∞",
    ldots: "…", dots: "…", cdots: "…", odot: "⊙", otimes: "⊗", partial: "∂",
    nabla: "∇", sim: "∼", propto: "∝", mid: "|", lVert: "‖", rVert: "‖", Vert: "‖",
  };
  const SPACES = /\\(?:,|;|:|!|quad|qquad| )/g;
  const UNWRAP = /\\(?:mathrm|mathbf|mathit|mathsf|mathtt|text|textbf|textit|operatorname|boldsymbol|bm|mathcal)\s*\{([^{}]*)\}/g;

  function plainMath(tex) {
    let s = tex.trim()
      .replace(/^\\\(|\\\)$/g, "").replace(/^\\\[|\\\]$/g, "").replace(/^\$\$?|\$\$?$/g, "")
      .replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ")
      .replace(/\\(?:left|right|big|Big|bigg|Bigg)\b\s*/g, "")
      .replace(SPACES, " ");
    for (let i = 0; i < 4; i++) {  // nested groups, innermost first
      s = s.replace(UNWRAP, "$1")
        .replace(/\\mathbb\s*\{R\}/g, "ℝ")
        .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
        .replace(/\\sqrt\s*\{([^{}]*)\}/g, "√($1)");
    }
    s = s.replace(/\^\{?\\top\}?/g, "ᵀ")
      .replace(/\\([A-Za-z]+)/g, (m, name) => SYMBOLS[name] || name)
      .replace(/\((\w)\)\/\((\w+)\)/g, "$1/$2").replace(/√\((\w+)\)/g, "√$1")
      .replace(/[{}]/g, "").replace(/\\&/g, "&").replace(/&/g, " ")
      .replace(/\\\\/g, "; ").replace(/\s+/g, " ");
    return s.trim();
  }

  function patch() {
    if (typeof Search === "undefined" || Search.mhacoursePlainMath) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach((el) => {
        el.textContent = plainMath(el.textContent);
      });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    Search.mhacoursePlainMath = plainMath;
  }
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
