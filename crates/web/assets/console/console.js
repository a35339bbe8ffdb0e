// The console's only script: turns each `.chart` element's declared spec into an
// ECharts chart, and keeps charts sized with their cards. Pages are server-rendered;
// htmx (hx-boost) swaps them in, so charts are set up on every swap too.
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
  var lang = function () { return document.body.getAttribute("data-lang") === "en" ? "en-US" : "zh-CN"; };
  var fmt = function (v) {
    return typeof v === "number" ? v.toLocaleString(lang(), { maximumFractionDigits: 2 }) : v;
  };

  function axisName(name, position) {
    return { name: name, nameLocation: "middle", nameGap: position === "y" ? 56 : 30,
             nameTextStyle: { color: "#475569", fontSize: 12 } };
  }

  function option(spec) {
    var base = { color: PALETTE, textStyle: { fontFamily: "inherit" }, animationDuration: 400,
                 tooltip: { valueFormatter: fmt } };
    if (spec.kind === "pie") {
      var s = spec.series[0];
      base.tooltip.trigger = "item";
      base.legend = { type: "scroll", orient: "vertical", right: 0, top: "middle" };
      base.series = [{ type: "pie", name: s.name, radius: ["38%", "68%"], center: ["38%", "50%"],
        label: { formatter: "{d}%" },
        data: spec.categories.map(function (c, i) { return { name: c, value: s.data[i] }; }) }];
      return base;
    }
    if (spec.kind === "map") return mapOption(spec, base);
    var horizontal = spec.kind === "hbar";
    var category = Object.assign({ type: "category", data: spec.categories,
      axisLabel: { color: "#475569", hideOverlap: true } }, axisName(spec.x_name, horizontal ? "y" : "x"));
    var values = [Object.assign({ type: "value", axisLabel: { color: "#475569", formatter: fmt },
      splitLine: { lineStyle: { color: "#e2e8f0" } } }, axisName(spec.y_name, horizontal ? "x" : "y"))];
    if (spec.y2_name) {
      values.push(Object.assign({ type: "value", axisLabel: { color: "#475569", formatter: fmt },
        splitLine: { show: false } }, axisName(spec.y2_name, "y")));
    }
    base.tooltip.trigger = "axis";
    if (spec.series.some(function (s) { return s.role; })) {
      // Bands read as "lower – upper", not as their stacked width.
      base.tooltip.formatter = function (items) {
        var lines = [items.length ? items[0].axisValueLabel : ""];
        items.forEach(function (it) {
          var s = spec.series[it.seriesIndex];
          var v = s.data[it.dataIndex];
          if (v === null || v === undefined || s.role === "base") return;
          if (s.role === "band") {
            var low = spec.series[it.seriesIndex - 1].data[it.dataIndex];
            lines.push(it.marker + s.name + ": " + fmt(low) + " – " + fmt(low + v));
          } else {
            lines.push(it.marker + s.name + ": " + fmt(v));
          }
        });
        return lines.join("<br>");
      };
    }
    base.grid = { left: horizontal ? 130 : 72, right: spec.y2_name ? 72 : 24, top: spec.series.length > 1 ? 36 : 16,
                  bottom: 48, containLabel: false };
    if (horizontal) {
      category.inverse = true;
      category.axisLabel.width = 110;
      category.axisLabel.overflow = "truncate";
      category.nameGap = 120;
    }
    if (spec.series.length > 1) {
      base.legend = { top: 0, data: spec.series.filter(function (s) { return s.role !== "base"; })
        .map(function (s) { return s.name; }) };
    }
    base.xAxis = horizontal ? values[0] : category;
    base.yAxis = horizontal ? category : values;
    base.series = spec.series.map(function (s) {
      var type = spec.kind === "line" ? "line" : "bar";
      var out = { type: type, name: s.name, data: s.data, showSymbol: false };
      if (!horizontal) out.yAxisIndex = s.axis;
      if (type === "line" && spec.series.length === 1) out.areaStyle = { opacity: 0.08 };
      // A band is its lower edge (invisible) with its width stacked on top and shaded.
      if (s.role) {
        out.stack = "band:" + s.name;
        out.lineStyle = { opacity: 0 };
        out.silent = true;
        if (s.role === "band") out.areaStyle = { opacity: 0.18 };
      }
      if (type === "bar") out.barMaxWidth = 28;
      return out;
    });
    if (spec.kind === "line" && spec.categories.length > 120) {
      base.dataZoom = [{ type: "inside" }, { type: "slider", height: 18, bottom: 4 }];
      base.grid.bottom = 64;
    }
    return base;
  }

  // Routes over longitude and latitude: each path a coloured line through its stops in order,
  // closed back to the depot; points without a line (depots) drawn as large pins.
  function mapOption(spec, base) {
    var axis = function (name, pos) {
      return Object.assign({ type: "value", scale: true, axisLabel: { color: "#475569" },
        splitLine: { lineStyle: { color: "#eef2f7" } } }, axisName(name, pos));
    };
    base.tooltip = { trigger: "item", formatter: function (it) {
      return it.marker + it.seriesName + "<br>" + (it.data && it.data.label ? it.data.label : "");
    } };
    base.grid = { left: 72, right: 24, top: 36, bottom: 48 };
    base.xAxis = axis(spec.x_name, "x");
    base.yAxis = axis(spec.y_name, "y");
    base.legend = { type: "scroll", top: 0, data: spec.paths.map(function (p) { return p.name; }) };
    base.series = spec.paths.map(function (p) {
      var data = p.points.map(function (q) { return { value: [q.lon, q.lat], label: q.label }; });
      if (p.line && data.length) data.push(data[0]);
      return p.line
        ? { type: "line", name: p.name, data: data, symbol: "circle", symbolSize: 6, lineStyle: { width: 1.6 } }
        : { type: "scatter", name: p.name, data: data, symbol: "pin", symbolSize: 28, itemStyle: { color: "#0f172a" }, z: 5 };
    });
    return base;
  }

  function render(el) {
    if (el.getAttribute("data-rendered") === "1" || typeof echarts === "undefined") return;
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    var points = spec.series.reduce(function (n, s) { return n + s.data.length; }, 0) +
      (spec.paths || []).reduce(function (n, p) { return n + p.points.length; }, 0);
    el.setAttribute("data-points", String(points));
    el.setAttribute("data-rendered", "1");
    if (window.ResizeObserver) new ResizeObserver(function () { chart.resize(); }).observe(el);
  }

  function renderAll(root) {
    (root || document).querySelectorAll(".chart[data-chart]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderAll(document);
    if (window.htmx) {
      // A page restored from htmx's history copy has blank canvases; fetching it
      // again on Back draws its charts afresh (and shows current figures).
      htmx.config.historyCacheSize = 0;
      // A refused or invalid form is answered with the page that says why (a 4xx status, often the
      // form again with what was typed): show it, as a browser without htmx would.
      htmx.config.responseHandling = [{ code: "204", swap: false }, { code: "[2345]..", swap: true }];
      htmx.onLoad(function (el) { renderAll(el); });
    }
  });
})();
