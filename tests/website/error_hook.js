// Installed before any page script runs (tests/website/browser.py), so that errors
// thrown while a page loads are caught too.
window.__mhacourseErrors = [];
window.addEventListener("error", e => {
  const t = e.target;
  if (t && t !== window && (t.src || t.href))
    window.__mhacourseErrors.push("failed to load " + (t.src || t.href));
  else
    window.__mhacourseErrors.push(String(e.message) + " at " + e.filename + ":" + e.lineno);
}, true);
window.addEventListener("unhandledrejection", e => {
  window.__mhacourseErrors.push("unhandled rejection: " + String(e.reason && (e.reason.stack || e.reason)));
});
