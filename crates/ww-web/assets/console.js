// wardwatch console: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";

  // Live countdowns: <time data-deadline="RFC 3339"> shows the time left ("2 d 4 h left",
  // "overdue by 3 h"). The element's own text (the deadline in UK time) stays in its title.
  function left(ms) {
    var s = Math.abs(Math.round(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + m + " min";
    return m + " min";
  }
  // data-format="hm": hours and minutes only ("47 h 12 min left"), as the server writes the
  // ICO clock: time left rounded down, time overdue rounded up.
  function hoursMinutes(ms) {
    var m = ms >= 0 ? Math.floor(ms / 60000) : Math.ceil(-ms / 60000);
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-deadline]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(at)) return;
      var ms = at - now;
      if (el.getAttribute("data-format") === "hm") {
        el.textContent = ms >= 0 ? hoursMinutes(ms) + " left" : "overdue by " + hoursMinutes(ms);
        return;
      }
      if (!el.hasAttribute("data-label")) {
        el.setAttribute("data-label", el.textContent);
        el.setAttribute("title", el.textContent);
      }
      el.textContent = ms >= 0 ? left(ms) + " left" : "overdue by " + left(ms);
      el.classList.toggle("overdue", ms < 0);
    });
    // ICO clock banners move from running to warning to overdue while the page is open.
    document.querySelectorAll("[data-ico-clock]").forEach(function (box) {
      var at = Date.parse(box.getAttribute("data-deadline"));
      var warn = Number(box.getAttribute("data-warning-hours")) * 3600000;
      if (isNaN(at) || isNaN(warn)) return;
      var ms = at - now;
      var state = ms < 0 ? "overdue" : ms <= warn ? "warning" : "running";
      if (box.classList.contains("clock-" + state)) return;
      box.classList.remove("clock-running", "clock-warning", "clock-overdue");
      box.classList.add("clock-" + state);
      var words = box.querySelector(".clock-words");
      if (words) {
        words.textContent = state === "overdue" ? "Overdue"
          : state === "warning" ? box.getAttribute("data-words-warning") : "Running";
      }
    });
  }
  tick();
  setInterval(tick, 30000);
  document.addEventListener("htmx:afterSettle", tick);

  // Print buttons (shown only when this script runs).
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });

  // Tell screen-reader users what an in-place action did, and say so when it failed.
  function say(text) {
    var live = document.getElementById("live");
    if (live) live.textContent = text;
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var row = e.detail && e.detail.target;
    if (row && row.id && row.id.indexOf("alert-") === 0) {
      var state = row.querySelector(".state");
      say("Alert " + row.id.slice(6) + " is now " + (state ? state.textContent : "updated") + ".");
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail && e.detail.xhr ? e.detail.xhr.status : 0;
    var msg = status === 403 ? "Not allowed: you may not change this, or the page has expired. Reload and try again."
      : status === 409 ? "The alert changed meanwhile. Reload the page to see its state."
      : "The action failed (status " + status + "). Reload and try again.";
    var banner = document.getElementById("action-error");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "action-error";
      banner.className = "error-summary";
      banner.setAttribute("role", "alert");
      var main = document.getElementById("main");
      if (main) main.insertBefore(banner, main.firstChild);
    }
    banner.textContent = msg;
  });
})();
