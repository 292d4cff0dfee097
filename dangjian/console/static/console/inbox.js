/* The counts on the menu and the bell: fetched after the page has loaded (no page pays for
 * them), from the URL the shell names in data-inbox-counts. */
(function () {
  "use strict";
  function badge(el, n, cls) {
    var span = el.querySelector("." + cls);
    if (!span) {
      span = document.createElement("span");
      span.className = cls;
      el.appendChild(span);
    }
    span.textContent = n > 99 ? "99+" : String(n);
    span.setAttribute("aria-label", n + "项待办");
  }
  function load() {
    var shell = document.querySelector("[data-inbox-counts]");
    var url = shell && shell.getAttribute("data-inbox-counts");
    if (!url || !window.fetch) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var menu = data.menu || {};
        document.querySelectorAll(".sidebar .menu a[href]").forEach(function (a) {
          var href = a.getAttribute("href");
          var n = href === shell.getAttribute("data-todos-url") ? data.todos : menu[href];
          if (n) badge(a, n, "menu-count");
        });
        var bell = document.querySelector("[data-unread-count]");
        if (bell && data.unread) {
          bell.textContent = data.unread > 99 ? "99+" : String(data.unread);
          bell.hidden = false;
          bell.setAttribute("aria-label", data.unread + "条未读通知");
        }
      })
      .catch(function () {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
