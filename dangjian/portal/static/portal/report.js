(function () {
  var shapes = JSON.parse(document.getElementById("grid-shapes").textContent);
  var svg = document.getElementById("grid-svg"), box = document.getElementById("grid-map");
  var lngIn = document.getElementById("id_lng"), latIn = document.getElementById("id_lat");
  var areaSel = document.getElementById("id_area"), NS = "http://www.w3.org/2000/svg";
  var current = null, W = 300, H = 300, PAD = 10;
  function project(lng, lat) {
    var b = current.bbox, sx = (W - 2 * PAD) / ((b[2] - b[0]) || 1), sy = (H - 2 * PAD) / ((b[3] - b[1]) || 1);
    var s = Math.min(sx, sy);
    return [PAD + (lng - b[0]) * s, H - PAD - (lat - b[1]) * s, s];
  }
  function marker() {
    var old = svg.querySelector(".pin"); if (old) old.remove();
    var lng = parseFloat(lngIn.value), lat = parseFloat(latIn.value);
    if (!current || isNaN(lng) || isNaN(lat)) return;
    var p = project(lng, lat), c = document.createElementNS(NS, "circle");
    c.setAttribute("class", "pin"); c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]);
    c.setAttribute("r", 6); c.setAttribute("fill", "#c8161d"); svg.appendChild(c);
  }
  function draw() {
    current = shapes[areaSel ? areaSel.value : ""] || shapes[""] || null;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    box.hidden = !current;
    if (!current) return;
    var polys = current.polygons.length ? current.polygons : [[[
      [current.bbox[0], current.bbox[1]], [current.bbox[2], current.bbox[1]],
      [current.bbox[2], current.bbox[3]], [current.bbox[0], current.bbox[3]]]]];
    polys.forEach(function (rings) {
      var d = rings.map(function (ring) {
        return ring.map(function (pt, i) { var p = project(pt[0], pt[1]); return (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }).join(" ") + " Z";
      }).join(" ");
      var path = document.createElementNS(NS, "path");
      path.setAttribute("d", d); path.setAttribute("fill", "#d7e8cf"); path.setAttribute("fill-rule", "evenodd");
      path.setAttribute("stroke", "#4a7c3a"); path.setAttribute("stroke-width", "2"); svg.appendChild(path);
    });
    document.getElementById("grid-map-note").textContent = "在“" + current.name + "”范围图上点击选择事发位置";
    marker();
  }
  svg.addEventListener("click", function (ev) {
    if (!current) return;
    var r = svg.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width, y = (ev.clientY - r.top) * H / r.height;
    var s = project(current.bbox[0], current.bbox[1])[2];
    lngIn.value = (current.bbox[0] + (x - PAD) / s).toFixed(6);
    latIn.value = (current.bbox[1] + (H - PAD - y) / s).toFixed(6);
    marker();
  });
  if (areaSel) areaSel.addEventListener("change", draw);
  lngIn.addEventListener("change", marker); latIn.addEventListener("change", marker);
  window.gridMapMarker = marker;
  draw();
})();
document.getElementById("locate").addEventListener("click", function () {
  var status = document.getElementById("locate-status");
  if (!navigator.geolocation) { status.textContent = "此设备不支持定位，请手动填写"; return; }
  status.textContent = "正在定位…";
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("id_lng").value = pos.coords.longitude.toFixed(6);
    document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
    status.textContent = "已获取当前位置";
    window.gridMapMarker();
  }, function () { status.textContent = "定位失败，请手动填写坐标"; }, {enableHighAccuracy: true, timeout: 10000});
});
