/* Print pages: a button marked data-print opens the browser's print dialog. Loaded as a file:
   the content security policy forbids inline scripts. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
