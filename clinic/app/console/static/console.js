// The console's only script: the inbox and the unread count refresh themselves (short polling),
// a sound on new requests if staff turned it on, and a confirmation before destructive forms.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var table = document.querySelector("[data-poll]");
  var badge = document.getElementById("unread");
  var sound = document.getElementById("sound");
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var lastUnread = null;

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  if (sound) {
    sound.checked = localStorage.getItem("console-sound") === "on";
    sound.addEventListener("change", function () {
      localStorage.setItem("console-sound", sound.checked ? "on" : "off");
    });
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no sound available */ }
  }

  function show(data) {
    var unread = data.unread;
    document.title = (unread ? "(" + unread + ") " : "") + baseTitle;
    if (badge) badge.textContent = unread ? String(unread) : "";
    if (table && typeof data.rows === "string") {
      document.getElementById("rows").innerHTML = data.rows;
    }
    if (lastUnread !== null && unread > lastUnread && localStorage.getItem("console-sound") === "on") beep();
    lastUnread = unread;
  }

  function poll() {
    var url = table ? table.getAttribute("data-poll") : "/boite.json";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* offline for a moment: the next poll retries */ })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }

  if (badge) poll();

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
