/* QR check-in: the station screen redraws its code and count without reloading, and warns when
   it loses its connection. */
(function () {
  "use strict";

  function runScreen(root) {
    var url = root.getAttribute("data-state-url");
    var poll = Math.max(1, Number(root.getAttribute("data-poll-seconds")) || 5) * 1000;
    var token = root.getAttribute("data-token");
    var rotatesAt = Date.now() + (Number(root.getAttribute("data-rotates-in")) || 0) * 1000;
    var lastOk = Date.now();
    var qr = root.querySelector(".screen-qr");
    var banner = root.querySelector(".screen-network");
    var expired = root.querySelector(".screen-expired");
    var loggedOut = false;
    var present = root.querySelector("[data-present]");
    var people = root.querySelector("[data-people]");
    var countdown = root.querySelector("[data-countdown]");
    var countdownLine = root.querySelector(".screen-countdown");
    var timer = null;

    function offline(lost) {
      banner.hidden = !lost || loggedOut;
      expired.hidden = !loggedOut;
      document.body.classList.toggle("offline", lost);
    }

    function tick() {
      countdown.textContent = String(Math.max(0, Math.ceil((rotatesAt - Date.now()) / 1000)));
      // A screen that has not heard from the server for two polls shows a code that may be stale.
      if (Date.now() - lastOk > 2 * poll + 1000) {
        offline(true);
      }
    }

    function schedule() {
      clearTimeout(timer);
      // Ask again at the next poll, or just after the code rotates if that comes first.
      var untilRotation = rotatesAt - Date.now() + 250;
      var wait = untilRotation > 0 ? Math.min(poll, untilRotation) : poll;
      timer = setTimeout(refresh, Math.max(250, wait));
    }

    function refresh() {
      var ask = url + "?have=" + encodeURIComponent(token || "");
      fetch(ask, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          // The login ended: the answer is the login page (or a refusal), not the screen's state.
          loggedOut = response.status === 401 || response.status === 403 ||
            (response.redirected && response.url.indexOf("/login") !== -1);
          if (!response.ok || type.indexOf("json") === -1) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (state) {
          lastOk = Date.now();
          loggedOut = false;
          offline(false);
          if (state.token !== token || !state.showing) {
            token = state.token;
            qr.innerHTML = state.svg || "";
            root.setAttribute("data-token", token || "");
          }
          rotatesAt = Date.now() + (state.rotates_in || 0) * 1000;
          present.textContent = String(state.present);
          people.textContent = String(state.people);
          countdownLine.hidden = !state.showing;
        })
        .catch(function () {
          offline(true);
        })
        .then(schedule);
    }

    window.addEventListener("offline", function () { offline(true); });
    window.addEventListener("online", refresh);
    setInterval(tick, 1000);
    schedule();
  }

  var screen = document.querySelector("[data-screen]");
  if (screen) {
    runScreen(screen);
  }
})();
