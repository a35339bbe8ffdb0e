// The retail platform's chat widget. Embed with one tag:
//   <script src="https://<server>/widget.js" data-key="rk_…public key…" defer></script>
// Optional: data-lang="zh|en", data-customer-token="<signed token from your backend>",
// data-title="…". Everything runs in a shadow root, so the page's styles and the widget's
// never mix; customer and agent text is inserted as text, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var key = script.getAttribute("data-key") || "";
  var token = script.getAttribute("data-customer-token") || null;
  var lang = script.getAttribute("data-lang") || ((navigator.language || "zh").indexOf("zh") === 0 ? "zh" : "en");
  var zh = lang === "zh";
  var t = {
    title: script.getAttribute("data-title") || (zh ? "在线客服" : "Customer service"),
    placeholder: zh ? "请输入您的问题…" : "Type your question…",
    send: zh ? "发送" : "Send",
    open: zh ? "咨询客服" : "Chat with us",
    source: zh ? "来源：" : "Source: ",
    inStock: zh ? "有货" : "in stock",
    outOfStock: zh ? "缺货" : "out of stock",
    waiting: zh ? "正在为您转接人工客服…" : "Connecting you to a colleague…",
    rated: zh ? "感谢您的评价！" : "Thank you for your rating!",
    failed: zh ? "发送失败：" : "Could not send: ",
    hello: zh ? "您好！请问有什么可以帮您？" : "Hello! How can I help you?",
  };
  var storeKey = "retail-chat:" + base;
  var conversation = sessionStorage.getItem(storeKey);
  var lastSeq = 0;
  var polling = null;

  var host = document.createElement("div");
  host.setAttribute("data-retail-chat", "");
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif}" +
    ".fab{position:fixed;right:20px;bottom:20px;background:#0f766e;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2);z-index:2147483000}" +
    ".panel{position:fixed;right:20px;bottom:80px;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;z-index:2147483000}" +
    ".panel.open{display:flex}.head{background:#0f766e;color:#fff;padding:12px 16px;font-weight:600;display:flex;justify-content:space-between}" +
    ".head button{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9}.msg{margin:6px 0;display:flex}.msg.customer{justify-content:flex-end}" +
    ".bubble{max-width:80%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-break:break-word;font-size:14px;line-height:1.45}" +
    ".customer .bubble{background:#0f766e;color:#fff}.bot .bubble{background:#fff;border:1px solid #e3e5e8}.agent .bubble{background:#fff7e6;border:1px solid #f5c26b}" +
    ".system{justify-content:center}.system .bubble{background:none;color:#667;font-size:12px}" +
    ".src{font-size:12px;color:#667;margin-top:4px}.card{border:1px solid #e3e5e8;border-radius:8px;padding:6px 8px;margin-top:6px;font-size:13px;background:#fafbfc}" +
    ".quick{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}.quick button{border:1px solid #0f766e;color:#0f766e;background:#fff;border-radius:14px;padding:4px 10px;font-size:13px;cursor:pointer}" +
    ".bar{display:flex;border-top:1px solid #e3e5e8}.bar input{flex:1;border:0;padding:12px;font-size:14px;outline:none}" +
    ".bar button{border:0;background:#0f766e;color:#fff;padding:0 16px;font-size:14px;cursor:pointer}.bar button:disabled{opacity:.5}";
  root.appendChild(style);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  var fab = el("button", "fab", t.open);
  var panel = el("div", "panel");
  var head = el("div", "head");
  head.appendChild(el("span", "", t.title));
  var close = el("button", "", "×");
  close.setAttribute("aria-label", "close");
  head.appendChild(close);
  var log = el("div", "log");
  log.setAttribute("role", "log");
  var bar = el("form", "bar");
  var input = el("input");
  input.placeholder = t.placeholder;
  input.maxLength = 2000;
  var send = el("button", "", t.send);
  send.type = "submit";
  bar.appendChild(input);
  bar.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(bar);
  root.appendChild(fab);
  root.appendChild(panel);

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }
  function price(minor) {
    return "¥" + (minor / 100).toFixed(2);
  }
  function add(sender, text, detail) {
    var row = el("div", "msg " + sender);
    var bubble = el("div", "bubble", text);
    if (detail) {
      (detail.products || []).forEach(function (p) {
        var stock = p.available == null ? "" : " · " + (p.available > 0 ? t.inStock : t.outOfStock);
        bubble.appendChild(el("div", "card", p.name + " · " + price(p.price_minor) + stock));
      });
      (detail.sources || []).forEach(function (s) {
        bubble.appendChild(el("div", "src", t.source + s.title));
      });
    }
    row.appendChild(bubble);
    log.appendChild(row);
    if (detail && detail.quick_replies && detail.quick_replies.length) {
      var quick = el("div", "quick");
      detail.quick_replies.forEach(function (q) {
        var b = el("button", "", q);
        b.type = "button";
        b.onclick = function () {
          quick.remove();
          if (/^★+$/.test(q)) rate(q.length);
          else say(q);
        };
        quick.appendChild(b);
      });
      log.appendChild(quick);
    }
    scroll();
  }
  function api(method, path, body) {
    return fetch(base + path, {
      method: method,
      headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.detail || j.title || r.status);
        return j;
      });
    });
  }
  function startPolling() {
    if (polling || !conversation) return;
    polling = setInterval(function () {
      api("GET", "/api/v1/chat/" + encodeURIComponent(conversation) + "/messages?after=" + lastSeq)
        .then(function (r) {
          r.messages.forEach(function (m) {
            lastSeq = Math.max(lastSeq, m.seq);
            if (m.sender !== "customer") add(m.sender, m.text, m.detail);
          });
          if (r.conversation.status === "bot" || r.conversation.status === "closed") stopPolling();
        })
        .catch(function () {});
    }, 2000);
  }
  function stopPolling() {
    clearInterval(polling);
    polling = null;
  }
  function say(text) {
    text = text.trim();
    if (!text) return;
    add("customer", text);
    send.disabled = true;
    api("POST", "/api/v1/chat", {
      conversation_id: conversation,
      message: text,
      customer_token: token,
      language: lang,
      channel: "widget",
    })
      .then(function (r) {
        conversation = r.conversation_id;
        sessionStorage.setItem(storeKey, conversation);
        lastSeq = r.last_seq;
        r.replies.forEach(function (m) {
          add("bot", m.text, m);
        });
        if (r.status === "waiting" || r.status === "agent") {
          if (r.status === "waiting") add("system", t.waiting);
          startPolling();
        }
      })
      .catch(function (e) {
        if (/closed/.test(e.message)) {
          conversation = null;
          sessionStorage.removeItem(storeKey);
          return say(text);
        }
        add("system", t.failed + e.message);
      })
      .then(function () {
        send.disabled = false;
        input.focus();
      });
  }
  function rate(stars) {
    if (!conversation) return;
    api("POST", "/api/v1/chat/" + encodeURIComponent(conversation) + "/rating", { rating: stars })
      .then(function () {
        add("system", t.rated);
        conversation = null;
        sessionStorage.removeItem(storeKey);
        stopPolling();
      })
      .catch(function (e) {
        add("system", t.failed + e.message);
      });
  }
  function restore() {
    if (!conversation) {
      add("bot", t.hello);
      return;
    }
    api("GET", "/api/v1/chat/" + encodeURIComponent(conversation) + "/messages")
      .then(function (r) {
        if (r.conversation.status === "closed") throw new Error("closed");
        r.messages.forEach(function (m) {
          lastSeq = Math.max(lastSeq, m.seq);
          add(m.sender, m.text, m.detail);
        });
        if (r.conversation.status === "waiting" || r.conversation.status === "agent") startPolling();
      })
      .catch(function () {
        conversation = null;
        sessionStorage.removeItem(storeKey);
        add("bot", t.hello);
      });
  }
  var opened = false;
  fab.onclick = function () {
    panel.classList.toggle("open");
    if (!opened) {
      opened = true;
      restore();
    }
    input.focus();
  };
  close.onclick = function () {
    panel.classList.remove("open");
  };
  bar.onsubmit = function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    say(text);
  };
})();
