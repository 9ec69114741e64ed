// Give each new interview a UUID made on the tablet, so a retried "start" never makes a twin.
// Offline, "start a new interview" starts it on the tablet instead (the offline app, which sends
// it when the network is back) rather than posting to a server that cannot answer.
(function () {
  "use strict";
  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  document.querySelectorAll("form.start-form").forEach(function (form) {
    var field = form.querySelector("input[name=client_uuid]");
    if (field && !field.value) { field.value = uuid4(); }
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      var card = form.closest("[data-assignment]");
      if (!card) { return; }
      event.preventDefault();
      location.assign("/collect/offline/?start=" + encodeURIComponent(card.dataset.assignment));
    });
  });
})();
