/* The console's map page: a node's children coloured by a figure; a click on a child drills
 * into it, a click on a grid opens its card (/api/v1/map/grids/<id>/card). */
(function () {
  "use strict";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function start() {
    var box = document.getElementById("map");
    if (!box || !window.echarts || !window.DJMap) return;
    var figureSel = document.getElementById("map-figure");
    var eventsBox = document.getElementById("map-events");
    var up = document.getElementById("map-up");
    var status = document.getElementById("map-status");
    var card = document.getElementById("grid-card");
    var tbody = document.querySelector("#map-table tbody");
    var state = { node: box.dataset.node, figure: box.dataset.figure, parent: null };
    var map = new window.DJMap.GeoMap(box, { api: box.dataset.api, onRegionClick: clicked });

    function clicked(props) {
      if (props.drill) {
        state.node = String(props.id);
        load(true);
      } else {
        showCard(props.id);
      }
    }

    function showCard(id) {
      card.hidden = false;
      card.textContent = "加载中…";
      window.DJMap.getJSON("/api/v1/map/grids/" + id + "/card").then(function (c) {
        card.textContent = "";
        card.appendChild(el("h3", c.name));
        var dl = el("dl");
        [["网格员", c.workers.length ? c.workers.join("、") : "未配备"],
         ["网格党支部", c.branch ? c.branch.name : "未建立"],
         ["户数", String(c.households)],
         ["党员", String(c.members)],
         ["未办结事件", String(c.open_events)],
         ["其中超期", String(c.overdue_events)]].forEach(function (pair) {
          dl.appendChild(el("dt", pair[0]));
          var dd = el("dd", pair[1]);
          dd.dataset.field = pair[0];
          dl.appendChild(dd);
        });
        card.appendChild(dl);
        if (c.events.length) {
          var ul = el("ul");
          c.events.forEach(function (e) {
            var li = el("li", (e.class_name ? "【" + e.class_name + "】" : "") + e.description +
              "（" + e.state_label + "）", e.overdue ? "overdue" : "");
            ul.appendChild(li);
          });
          card.appendChild(ul);
        }
      }).catch(function (err) { card.textContent = err.message; });
    }

    function fillTable(data) {
      document.getElementById("map-table-figure").textContent = data.figure_label;
      tbody.textContent = "";
      data.features.forEach(function (f) {
        var p = f.properties;
        var tr = el("tr", null, "clickable");
        tr.dataset.id = p.id;
        tr.appendChild(el("td", p.name));
        var td = el("td", window.DJMap.fmt(p.value, data.unit), "num");
        td.dataset.figure = data.figure;
        tr.appendChild(td);
        tr.addEventListener("click", function () { clicked(p); });
        tbody.appendChild(tr);
      });
    }

    function load(push) {
      status.textContent = "加载中…";
      card.hidden = true;
      return map.load(state.node, state.figure, eventsBox.checked).then(function (data) {
        state.node = String(data.node.id);
        state.parent = data.parent;
        document.getElementById("map-node-name").textContent = data.node.name;
        var screen = document.getElementById("map-screen-link");
        if (screen) screen.href = screen.pathname + "?node=" + data.node.id;
        up.hidden = !data.parent;
        fillTable(data);
        status.textContent = data.node.kind_label + "，下级 " + data.features.length + " 个";
        if (push) {
          history.pushState({ node: state.node }, "", "?node=" + state.node + "&figure=" + state.figure);
        }
        if (data.node.kind === "grid") showCard(data.node.id);
      }).catch(function (err) { status.textContent = err.message; });
    }

    figureSel.addEventListener("change", function () { state.figure = figureSel.value; load(true); });
    eventsBox.addEventListener("change", function () { load(false); });
    up.addEventListener("click", function () {
      if (state.parent) { state.node = String(state.parent.id); load(true); }
    });
    window.addEventListener("popstate", function (e) {
      if (e.state && e.state.node) { state.node = e.state.node; load(false); }
    });
    load(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
