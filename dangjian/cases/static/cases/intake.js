(function () {
  var grid = document.getElementById("id_grid"), unit = document.getElementById("id_unit");
  if (!grid || !unit) return;
  function filter() {
    Array.prototype.forEach.call(unit.options, function (o) {
      var g = o.getAttribute("data-grid");
      o.hidden = !!g && g !== grid.value;
      if (o.hidden && o.selected) unit.value = "";
    });
  }
  grid.addEventListener("change", filter);
  filter();
})();
