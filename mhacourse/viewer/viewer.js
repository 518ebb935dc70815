// mhacourse attention viewer (mhacourse.viewer): no dependency, no network.
// Each viewer (div.mhav) holds its weights as JSON (<script class="mhav-data">):
// w[layer][head][query] is a row of key weights in units of 10^-precision, its
// trailing zeros left out. Hover (mouse), tap or focus a token: the bars and numbers
// under every token show how much that token (the query) attends to each of them.
(function () {
  "use strict";
  var TOP = 3; // keys listed per head in the readout

  function init(root) {
    if (!root || root.dataset.mhavReady) return;
    root.dataset.mhavReady = "1";
    var data = JSON.parse(root.querySelector("script.mhav-data").textContent);
    var scale = Math.pow(10, data.precision);
    var layerSel = root.querySelector("select.mhav-layer");
    var headSel = root.querySelector("select.mhav-head");
    var box = root.querySelector(".mhav-tokens");
    var toks = Array.prototype.slice.call(box.querySelectorAll(".mhav-tok"));
    var readout = root.querySelector(".mhav-readout");
    var pinned = toks.length - 1;

    function weight(l, h, q, k) {
      var v = data.w[l][h][q][k];
      return v === undefined ? 0 : v;
    }
    function fmt(v, lead) { // v in units of 10^-precision; under a token: .512, 0, 1
      var s = (v / scale).toFixed(data.precision);
      if (lead) return s;
      return v === 0 ? "0" : v === scale ? "1" : s.slice(1);
    }
    function colour(h) {
      return h < 0 ? "var(--mhav-accent)" : data.colours[h % data.colours.length];
    }
    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function heads() {
      var h = +headSel.value, all = [];
      if (h >= 0) return [h];
      for (var j = 0; j < data.heads; j++) all.push(j);
      return all;
    }
    function topKeys(l, h, q) {
      var keys = toks.map(function (_, k) { return k; }).filter(function (k) {
        return weight(l, h, q, k) > 0;
      });
      keys.sort(function (a, b) { return weight(l, h, q, b) - weight(l, h, q, a) || a - b; });
      return keys.slice(0, TOP);
    }
    function row(l, h, q, single) {
      var tr = el("tr"), th = el("th"), td = el("td"), list = el("ol", "mhav-top");
      th.scope = "row";
      var sw = el("span", "mhav-swatch");
      sw.style.background = colour(single ? -1 : h);
      sw.setAttribute("aria-hidden", "true");
      th.append(sw, data.heads_names[h]);
      topKeys(l, h, q).forEach(function (k) {
        var li = el("li");
        li.dataset.k = k;
        li.append(el("span", "mhav-key", data.tokens[k]), " ",
                  el("span", "mhav-val", fmt(weight(l, h, q, k), true)));
        list.append(li);
      });
      if (!list.children.length) list.append(el("li", "", "nothing (a masked row)"));
      td.append(list);
      tr.append(th, td);
      return tr;
    }
    function show(q) {
      var l = +layerSel.value, hs = heads(), single = hs.length === 1;
      var peak = hs.map(function (h) { // bars are drawn relative to the row's largest
        return Math.max.apply(null, data.w[l][h][q].concat([1]));
      });
      toks.forEach(function (t, k) {
        t.classList.toggle("mhav-q", k === q);
        var bars = t.querySelector(".mhav-bars");
        bars.replaceChildren.apply(bars, hs.map(function (h, j) {
          var b = el("span");
          b.style.height = (100 * weight(l, h, q, k) / peak[j]) + "%";
          b.style.background = colour(single ? -1 : h);
          return b;
        }));
        t.querySelector(".mhav-w").textContent = single ? fmt(weight(l, hs[0], q, k)) : "";
      });
      var table = el("table", "mhav-table"), body = el("tbody");
      var cap = el("caption", "", "Where \u201c" + data.tokens[q] + "\u201d (token " + (q + 1) +
        " of " + toks.length + ") looks, " + data.layers[l] + ": largest weights");
      hs.forEach(function (h) { body.append(row(l, h, q, single)); });
      table.append(cap, body);
      readout.replaceChildren(table);
      root.dataset.query = q;
    }
    function pin(q) {
      pinned = q;
      toks.forEach(function (t, k) {
        t.setAttribute("aria-pressed", k === q ? "true" : "false");
        t.tabIndex = k === q ? 0 : -1;
      });
      show(q);
    }
    function index(e) {
      var t = e.target.closest && e.target.closest(".mhav-tok");
      return t && box.contains(t) ? +t.dataset.i : -1;
    }
    box.addEventListener("pointerover", function (e) {
      if (e.pointerType === "mouse" && index(e) >= 0) show(index(e));
    });
    box.addEventListener("pointerleave", function () { show(pinned); });
    box.addEventListener("click", function (e) { if (index(e) >= 0) pin(index(e)); });
    box.addEventListener("focusin", function (e) { if (index(e) >= 0) pin(index(e)); });
    box.addEventListener("keydown", function (e) {
      var q = index(e), n = toks.length, to = {
        ArrowRight: q + 1, ArrowDown: q + 1, ArrowLeft: q - 1, ArrowUp: q - 1,
        Home: 0, End: n - 1,
      }[e.key];
      if (q < 0 || to === undefined) return;
      e.preventDefault();
      toks[Math.max(0, Math.min(n - 1, to))].focus();
    });
    layerSel.addEventListener("change", function () { show(pinned); });
    headSel.addEventListener("change", function () { show(pinned); });
    root.classList.add("mhav-live");
    pin(pinned);
  }

  var here = document.currentScript && document.currentScript.closest(".mhav");
  if (here) init(here);
  Array.prototype.forEach.call(document.querySelectorAll(".mhav"), init);
})();
