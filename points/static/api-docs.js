/* The API docs page: Swagger UI on the service's own OpenAPI document (a static file, so the
   page needs no inline script). */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
