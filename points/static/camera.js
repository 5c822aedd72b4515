/* Desks that read a QR code (member cards at check-in, vouchers at the store): the device camera
   where the browser has BarcodeDetector (needs HTTPS); a USB scanner types into the same field
   everywhere, so the page works without this script. */
(function () {
  "use strict";

  function run(form) {
    var input = form.querySelector("[data-camera-target]");
    var button = form.querySelector("[data-camera-button]");
    var video = document.getElementById("camera");
    var status = document.getElementById("camera-status");
    if (!input || !button || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector;
      try {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (error) {
        status.textContent = button.getAttribute("data-no-camera");
        return;
      }
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          status.textContent = button.getAttribute("data-aim");
          return video.play().then(function () {
            function look() {
              detector
                .detect(video)
                .then(function (codes) {
                  if (codes.length) {
                    stream.getTracks().forEach(function (track) { track.stop(); });
                    input.value = codes[0].rawValue;
                    form.submit();
                  } else {
                    requestAnimationFrame(look);
                  }
                })
                .catch(function () { requestAnimationFrame(look); });
            }
            look();
          });
        })
        .catch(function () {
          status.textContent = button.getAttribute("data-no-camera");
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-camera]"), run);
})();
