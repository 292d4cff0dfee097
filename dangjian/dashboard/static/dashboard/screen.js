/* The big screen: key figures, the map, the live event feed and the ranking of the node's
 * children, all fetched as JSON and refreshed every 30 s without reloading the page. */
(function () {
  "use strict";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function start() {
    var frame = document.getElementById("screen");
    if (!frame || !window.DJMap) return;
    var node = frame.dataset.node;
    var figure = frame.dataset.figure || "events_per_1000";
    var seconds = parseInt(frame.dataset.refresh, 10) || 30;
    var q = "?node=" + encodeURIComponent(node);
    var error = document.getElementById("screen-error");
    var map = window.echarts
      ? new window.DJMap.GeoMap(document.getElementById("screen-map"), { api: "/api/v1/map/", dark: true })
      : null;

    function clock() {
      var d = new Date();
      function p(n) { return (n < 10 ? "0" : "") + n; }
      document.getElementById("screen-clock").textContent =
        d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
        p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
    }

    function figures(s) {
      document.getElementById("screen-node").textContent = s.node.name;
      // the figures are the roll-ups': when they were computed, not when the page asked
      document.getElementById("screen-computed").textContent =
        s.computed_at ? s.computed_at.slice(0, 16).replace("T", " ") : "尚未统计";
      Array.prototype.forEach.call(document.querySelectorAll("[data-key]"), function (box) {
        var v = s[box.dataset.key];
        box.textContent = v === null || v === undefined ? "—" : String(v) + (box.dataset.unit || "");
      });
    }

    function feed(items) {
      var ol = document.getElementById("screen-feed");
      ol.textContent = "";
      items.slice(0, 12).forEach(function (e) {
        var li = el("li", null, e.overdue ? "overdue" : "");
        li.dataset.id = e.id;
        if (e.class_name) li.appendChild(el("span", "【" + e.class_name + "】", "cls"));
        li.appendChild(document.createTextNode((e.grid_name ? e.grid_name + "：" : "") + e.description));
        ol.appendChild(li);
      });
      if (!items.length) ol.appendChild(el("li", "暂无未办结事件"));
    }

    function ranking(data) {
      document.getElementById("screen-map-title").textContent = "一张图 · " + data.figure_label;
      document.getElementById("screen-rank-title").textContent = data.figure_label + "排行";
      var ol = document.getElementById("screen-rank");
      ol.textContent = "";
      data.features
        .filter(function (f) { return f.properties.value !== null; })
        .sort(function (a, b) { return b.properties.value - a.properties.value; })
        .slice(0, 10)
        .forEach(function (f) {
          var li = el("li", f.properties.name);
          li.appendChild(el("span", window.DJMap.fmt(f.properties.value, data.unit), "rank-value"));
          ol.appendChild(li);
        });
    }

    function refresh() {
      var jobs = [
        window.DJMap.getJSON("/api/v1/map/summary/" + q).then(figures),
        window.DJMap.getJSON("/api/v1/map/events/" + q + "&page_size=20").then(function (p) { feed(p.items); })
      ];
      if (map) jobs.push(map.load(node, figure, true).then(ranking));
      else jobs.push(window.DJMap.getJSON("/api/v1/map/" + q + "&figure=" + figure).then(ranking));
      Promise.all(jobs).then(function () {
        error.hidden = true;
        var d = new Date();
        document.getElementById("screen-updated").textContent = d.toLocaleTimeString("zh-CN", { hour12: false });
      }).catch(function (err) {
        error.textContent = "刷新失败：" + err.message + "（" + seconds + "秒后重试）";
        error.hidden = false;
      });
    }

    // Fit the 1920×1080 frame to whatever screen shows it (a wall of 3840×2160, a laptop).
    function fit() {
      var k = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
      frame.style.transformOrigin = "0 0";
      frame.style.transform = k > 0 && Math.abs(k - 1) > 0.01 ? "scale(" + k + ")" : "";
      if (map) map.chart.resize();
    }
    window.addEventListener("resize", fit);
    fit();

    clock();
    setInterval(clock, 1000);
    refresh();
    setInterval(refresh, seconds * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
