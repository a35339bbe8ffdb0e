// The agent desk's script: follows an open conversation live (server-sent events), reloads the
// queue when it changes, fills the reply box from a canned answer, and reads a chosen file into
// a textarea for import. Pages are server-rendered and swapped in by htmx, so this file may be
// loaded again on every swap: it sets itself up once and then only scans for new elements.
// Text from customers is only ever set with textContent, never parsed as HTML.
(function () {
  "use strict";
  if (window.retailDesk) {
    window.retailDesk.scan(document);
    return;
  }

  /** Open event streams, each with the element it feeds: closed once the element leaves the page. */
  var streams = [];
  /** Running queue pollers, likewise. */
  var pollers = [];

  function sweep() {
    streams = streams.filter(function (s) {
      if (s.el.isConnected) return true;
      s.source.close();
      return false;
    });
    pollers = pollers.filter(function (p) {
      if (p.el.isConnected) return true;
      clearInterval(p.timer);
      return false;
    });
  }

  function element(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function signed(x) {
    return (x >= 0 ? "+" : "") + x.toFixed(2);
  }

  /** The same markup as page.html's transcript, built without innerHTML. */
  function messageNode(m, labels) {
    var sender = ["customer", "bot", "agent", "system"].indexOf(m.sender) >= 0 ? m.sender : "system";
    var box = element("div", "msg msg-" + sender);
    box.setAttribute("data-seq", String(m.seq));
    var head = element("div", "msg-head");
    head.appendChild(element("span", "msg-who", (labels.senders || {})[sender] || sender));
    head.appendChild(element("span", "msg-at", String(m.at || "").slice(0, 16).replace("T", " ")));
    box.appendChild(head);
    box.appendChild(element("div", "msg-text", m.text));
    var notes = [];
    if (m.intent) notes.push(labels.intent + ": " + ((labels.intents || {})[m.intent] || m.intent));
    if (typeof m.confidence === "number") notes.push(labels.confidence + " " + m.confidence.toFixed(2));
    if (typeof m.sentiment === "number") notes.push(labels.sentiment + " " + signed(m.sentiment));
    if (notes.length) {
      var n = element("div", "msg-notes");
      notes.forEach(function (t) { n.appendChild(element("span", null, t)); });
      box.appendChild(n);
    }
    var sources = (m.detail && m.detail.sources) || [];
    if (sources.length) {
      var s = element("div", "msg-sources", labels.sources + ": ");
      sources.forEach(function (src) {
        var a = element("a", null, src.title);
        a.setAttribute("href", "/console/knowledge/" + encodeURIComponent(src.article_id));
        s.appendChild(a);
      });
      box.appendChild(s);
    }
    return box;
  }

  /** Whether the agent has typed something that a reload would lose. */
  function typing(root) {
    var boxes = root.querySelectorAll("textarea");
    for (var i = 0; i < boxes.length; i++) if (boxes[i].value.trim()) return true;
    return false;
  }

  function follow(el) {
    var url = el.getAttribute("data-stream");
    if (!url || !window.EventSource) return;
    var labels = {};
    try { labels = JSON.parse(el.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
    var last = Number(el.getAttribute("data-after")) || 0;
    var status = el.getAttribute("data-status");
    var source = new EventSource(url + "?after=" + last);
    var entry = { el: el, source: source };
    streams.push(entry);
    source.addEventListener("message", function (ev) {
      if (!el.isConnected) return sweep();
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      // A reconnection starts again from the first `after`: skip what is shown already.
      if (!(m.seq > last)) return;
      last = m.seq;
      el.setAttribute("data-after", String(last));
      var empty = el.querySelector(".empty");
      if (empty) empty.hidden = true;
      var node = messageNode(m, labels);
      node.classList.add("msg-new");
      el.appendChild(node);
      node.scrollIntoView({ block: "nearest" });
    });
    source.addEventListener("status", function (ev) {
      if (!el.isConnected) return sweep();
      var c;
      try { c = JSON.parse(ev.data); } catch (e) { return; }
      if (!c || c.status === status) return;
      status = c.status;
      // Who may act changed (claimed elsewhere, handed back, closed): the forms must follow.
      var note = document.getElementById("live-note");
      if (note) {
        note.textContent = labels.status_changed || "";
        note.hidden = false;
      }
      if (!typing(document)) window.location.reload();
    });
    source.onerror = function () {
      if (!el.isConnected) sweep();
    };
  }

  function poll(el) {
    var url = el.getAttribute("data-refresh");
    var seen = el.getAttribute("data-signature");
    var busy = false;
    var timer = setInterval(function () {
      if (!el.isConnected) return sweep();
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          busy = false;
          if (body && el.isConnected && body.signature !== seen) {
            seen = body.signature;
            window.location.reload();
          }
        })
        .catch(function () { busy = false; });
    }, 3000);
    pollers.push({ el: el, timer: timer });
  }

  function fillFrom(select) {
    select.addEventListener("change", function () {
      var box = select.form && select.form.querySelector("textarea[name='" + select.getAttribute("data-fill") + "']");
      if (box && select.value) {
        box.value = select.value;
        box.focus();
      }
    });
  }

  function fileInto(input) {
    input.addEventListener("change", function () {
      var box = input.form && input.form.querySelector("textarea[name='" + input.getAttribute("data-file-into") + "']");
      var file = input.files && input.files[0];
      if (!box || !file) return;
      file.text().then(function (text) { box.value = text; });
      var format = input.form.querySelector("select[name=format]");
      if (format && /\.csv$/i.test(file.name)) format.value = "csv";
      if (format && /\.(jsonl|ndjson|json)$/i.test(file.name)) format.value = "jsonl";
    });
  }

  /** Sets up every element under `root` not set up yet. */
  function scan(root) {
    sweep();
    var once = function (css, setup) {
      (root || document).querySelectorAll(css).forEach(function (el) {
        if (el.getAttribute("data-desk") === "1") return;
        el.setAttribute("data-desk", "1");
        setup(el);
      });
    };
    once(".transcript[data-stream]", follow);
    once(".auto-refresh[data-refresh]", poll);
    once("select[data-fill]", fillFrom);
    once("input[type=file][data-file-into]", fileInto);
  }

  window.retailDesk = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  if (window.htmx) {
    htmx.onLoad(function (el) { scan(el); });
    // Leaving the page closes its streams at once rather than at the next event.
    document.body.addEventListener("htmx:beforeSwap", function (ev) {
      if (ev.detail && ev.detail.shouldSwap === false) return;
      streams.forEach(function (s) { s.source.close(); });
      streams = [];
    });
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      if (window.htmx) htmx.onLoad(function (el) { scan(el); });
    });
  }
  window.addEventListener("pagehide", function () {
    streams.forEach(function (s) { s.source.close(); });
  });
})();
