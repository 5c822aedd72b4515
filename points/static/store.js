/* The store's pickup desk: read a voucher's QR with the device camera where the browser has
   BarcodeDetector (needs HTTPS); a USB scanner types into the same field everywhere. */
(function () {
  "use strict";

  var form = document.getElementById("voucher-form");
  if (!form) {
    return;
  }
  var input = form.querySelector("#voucher-input");
  var button = form.querySelector("#camera-button");
  var video = document.getElementById("camera");
  var status = document.getElementById("camera-status");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
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
})();
