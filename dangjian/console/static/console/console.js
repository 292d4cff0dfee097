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

/* Behaviours the pages ask for with data attributes, so no page needs inline script (the
 * content security policy allows scripts from our own files only). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target, text = form && form.getAttribute && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) window.print();
  });
})();

/* A refusal (403) or a bad form (422) answered into an element marked data-swap-errors is
 * shown in its place, as a success would be (htmx leaves error answers out by default). */
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail && event.detail.target;
  var status = event.detail && event.detail.xhr && event.detail.xhr.status;
  if ((status === 403 || status === 422) && target && target.closest &&
      target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});


/* Elements that renew themselves (a check-in code that changes every minute): every
 * data-refresh-seconds, the fragment at data-refresh-url replaces their content. */
(function () {
  "use strict";
  function renew(el) {
    var url = el.getAttribute("data-refresh-url");
    fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.ok) return r.text().then(function (html) { el.innerHTML = html; });
    }).catch(function () { /* offline for a moment: the next turn tries again */ });
  }
  function start() {
    var els = document.querySelectorAll("[data-refresh-url]");
    Array.prototype.forEach.call(els, function (el) {
      var seconds = parseInt(el.getAttribute("data-refresh-seconds"), 10) || 60;
      window.setInterval(function () { renew(el); }, seconds * 1000);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* Row selection: a header checkbox with data-check-all="<name>" ticks every checkbox of that
 * name in its table (batch actions, issue 18). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.dataset || !box.dataset.checkAll) return;
    var table = box.closest("table") || document;
    table.querySelectorAll('input[type="checkbox"][name="' + box.dataset.checkAll + '"]')
      .forEach(function (c) { c.checked = box.checked; });
  });
})();
