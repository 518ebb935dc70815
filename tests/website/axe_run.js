// Runs axe-core on the open page in one theme (arguments[0]: "light" or "dark"), with
// transitions off so that the colours it checks are final. Called by browser.axe().
const mode = arguments[0], done = arguments[arguments.length - 1];
let still = document.getElementById("mhacourse-still");
if (!still) {
  still = document.createElement("style");
  still.id = "mhacourse-still";
  still.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
  document.head.appendChild(still);
}
document.documentElement.dataset.theme = mode;
requestAnimationFrame(() => requestAnimationFrame(() => {
  axe.run(document, {resultTypes: ["violations"]}).then(r => done(r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 160)),
  }))), e => done([{id: "axe-error", impact: "critical", help: String(e), count: 1, nodes: []}]));
}));
