/* Tree toggles: the first click loads the children through htmx; later clicks only show or
 * hide what was loaded, without asking the server again. */
(function () {
  "use strict";

  function targetOf(button) {
    var id = button.getAttribute("aria-controls");
    return id ? document.getElementById(id) : null;
  }

  function setOpen(button, open) {
    var target = targetOf(button);
    if (target) target.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "收起" : "展开";
  }

  // Capture phase: runs before htmx's own listener on the button.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.tree-toggle");
    if (!button || button.dataset.loaded !== "1") return;
    event.preventDefault();
    event.stopPropagation();
    setOpen(button, button.getAttribute("aria-expanded") !== "true");
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    var button = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!button || !button.classList || !button.classList.contains("tree-toggle")) return;
    button.dataset.loaded = "1";
    setOpen(button, true);
  });
})();
