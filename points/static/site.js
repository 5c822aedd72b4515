/* Every page: a question before some forms are sent (data-confirm), print buttons (data-print)
   and "select all" boxes (data-check-all), wired here because pages carry no inline script.
   Without JavaScript the forms still send, unasked. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute("data-check-all");
    if (name) {
      document.querySelectorAll("input[type=checkbox][name=" + name + "]").forEach(function (each) {
        each.checked = box.checked;
      });
    }
  });
})();
