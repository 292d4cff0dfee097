/* The one map drawn with ECharts: fetch a node's GeoJSON from /api/v1/map/, register it
 * (echarts.registerMap), colour the polygons by the chosen figure, put the open events on top.
 * Used by the console's map page (map.js) and the big screen (screen.js). No inline script:
 * the content security policy allows our own files only. */
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            var err = new Error(body.detail || ("HTTP " + r.status));
            err.status = r.status;
            throw err;
          });
        }
        return r.json();
      });
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) return "—";
    return unit === "%" ? value + "%" : String(value);
  }

  function GeoMap(el, options) {
    this.el = el;
    this.options = options || {};
    this.dark = !!this.options.dark;
    this.chart = window.echarts.init(el, this.dark ? "dark" : null);
    this.data = null;
    var self = this;
    window.addEventListener("resize", function () { self.chart.resize(); });
    this.chart.on("click", function (params) {
      if (params.componentType === "series" && params.seriesType === "scatter") return;
      var feature = self.byKey[params.name];
      if (feature && self.options.onRegionClick) self.options.onRegionClick(feature.properties);
    });
  }

  GeoMap.prototype.load = function (node, figure, withEvents) {
    var self = this;
    var url = this.options.api + "?figure=" + encodeURIComponent(figure) +
      (node ? "&node=" + encodeURIComponent(node) : "");
    var events = withEvents
      ? getJSON("/api/v1/map/events/?page_size=200" + (node ? "&node=" + encodeURIComponent(node) : ""))
          .catch(function () { return { items: [] }; })
      : Promise.resolve({ items: [] });
    return Promise.all([getJSON(url), events]).then(function (both) {
      self.render(both[0], both[1].items || []);
      return both[0];
    });
  };

  GeoMap.prototype.render = function (data, events) {
    this.data = data;
    this.byKey = {};
    var self = this;
    var features = data.features.filter(function (f) { return f.geometry; });
    features.forEach(function (f) {
      f.properties.key = String(f.properties.id);
      self.byKey[f.properties.key] = f;
    });
    var mapName = "dj-" + data.node.id + "-" + data.zoom;
    window.echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
    var lo = data.range[0], hi = data.range[1];
    if (hi <= lo) hi = lo + 1;
    var text = this.dark ? "#e6edf5" : "#333";
    var points = events.map(function (e) {
      return { name: e.description, value: [e.lng, e.lat, e.id], overdue: e.overdue,
        itemStyle: { color: e.overdue ? "#ff4d4f" : "#ffb300" } };
    });
    this.chart.setOption({
      backgroundColor: this.dark ? "transparent" : "#f7f9fb",
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var esc = window.echarts.format.encodeHTML;
          if (p.seriesType === "scatter") return esc(p.name);
          var f = self.byKey[p.name];
          if (!f) return "";
          return esc(f.properties.name) + "<br>" + esc(data.figure_label) + "：" +
            esc(fmt(f.properties.value, data.unit));
        }
      },
      visualMap: {
        min: lo, max: hi, calculable: true, seriesIndex: 0, left: 12, bottom: 12,
        text: [data.figure_label + "高", "低"], textStyle: { color: text },
        inRange: { color: ["#fff3e0", "#ffb74d", "#e65100", "#b71c1c"] }
      },
      geo: {
        map: mapName, nameProperty: "key", roam: true, zoom: 1.1,
        label: {
          show: features.length <= 60, color: text, fontSize: 11,
          formatter: function (p) { var f = self.byKey[p.name]; return f ? f.properties.name : ""; }
        },
        itemStyle: { borderColor: this.dark ? "#5ec8ff" : "#ffffff", borderWidth: 1, areaColor: this.dark ? "#0d2a4a" : "#eeeeee" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffd54f" } }
      },
      series: [
        {
          type: "map", geoIndex: 0, name: data.figure_label,
          data: features.map(function (f) { return { name: f.properties.key, value: f.properties.value }; })
        },
        {
          type: "scatter", coordinateSystem: "geo", name: "事件", symbolSize: 7, zlevel: 1,
          data: points
        }
      ]
    }, true);
  };

  window.DJMap = { GeoMap: GeoMap, getJSON: getJSON, fmt: fmt };
})();
