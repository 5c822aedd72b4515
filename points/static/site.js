/* Every page: a question before some forms are sent (data-confirm), print buttons (data-print),
   "select all" boxes (data-check-all) and the count and total of what is selected
   (data-bulk-summary), wired here because pages carry no inline script.
   Without JavaScript the forms still send, unasked. */
(function () {
  "use strict";

  function selection(name) {
    var count = 0, total = 0;
    document.querySelectorAll("input[type=checkbox][name=" + name + "]:checked").forEach(function (box) {
      count += 1;
      total += parseInt(box.getAttribute("data-amount") || "0", 10);
    });
    return { count: count, total: total };
  }

  function summarise(name) {
    var chosen = selection(name);
    document.querySelectorAll("[data-bulk-summary=" + name + "]").forEach(function (summary) {
      var words = document.documentElement.lang === "en"
        ? chosen.count + " selected, " + chosen.total + " points in all"
        : "已选 " + chosen.count + " 笔，共 " + chosen.total + " 分";
      summary.textContent = words;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (!question) {
      return;
    }
    if (form.id) {
      var chosen = selection("ids");
      if (question.indexOf("{count}") >= 0 && chosen.count === 0) {
        return;  /* nothing selected: the server says so */
      }
      question = question.replace("{count}", chosen.count).replace("{total}", chosen.total);
    }
    if (!window.confirm(question)) {
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
    if (box.type === "checkbox" && (name || box.name)) {
      summarise(name || box.name);
    }
  });
})();
