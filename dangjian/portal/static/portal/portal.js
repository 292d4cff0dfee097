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
