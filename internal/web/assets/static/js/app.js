// Khiên UI enhancements. Progressive only: every page works without it.
(function () {
  "use strict";

  // Forms with data-confirm ask before they submit.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });

  // Buttons with data-copy copy the text of the element they name.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (el && navigator.clipboard) {
        navigator.clipboard.writeText(el.textContent.trim());
        b.textContent = b.getAttribute("data-copied") || "✓";
      }
    });
  });

  // Progress bars carry their width as data (inline styles are barred by the CSP).
  document.querySelectorAll(".progress > span[data-pct]").forEach(function (s) {
    var p = parseInt(s.getAttribute("data-pct"), 10);
    if (p >= 0) { s.style.width = p + "%"; }
  });

  // Elements with data-job-status poll a job until it ends.
  document.querySelectorAll("[data-job-status]").forEach(function (el) {
    var url = el.getAttribute("data-job-status");
    var bar = el.querySelector(".progress > span");
    var text = el.querySelector("[data-job-text]");
    var status = el.querySelector("[data-job-state]");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) { return; }
          if (bar && j.percent >= 0) { bar.style.width = j.percent + "%"; }
          if (text) { text.textContent = j.progress_text; }
          if (status) { status.textContent = j.status_text; status.className = "badge " + j.status; }
          if (j.final) { window.location.reload(); return; }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    if (el.getAttribute("data-final") !== "true") { window.setTimeout(poll, 700); }
  });
})();
