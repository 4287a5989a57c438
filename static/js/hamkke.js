// Hamkke page glue: CSRF for htmx requests, and announcing live updates to screen readers.
(function () {
  "use strict";
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";

  document.addEventListener("htmx:configRequest", function (event) {
    // Every state-changing htmx request carries the CSRF token the server checks.
    event.detail.headers["X-CSRFToken"] = token;
  });

  window.hamkke = {
    csrfToken: token,
    announce: function (message) {
      var region = document.getElementById("live-region");
      if (region) {
        region.textContent = "";
        window.setTimeout(function () { region.textContent = message; }, 50);
      }
    },
  };

  // The language selector submits on change for mouse users; the button stays for keyboard users.
  var langSelect = document.getElementById("lang-select");
  if (langSelect) {
    langSelect.addEventListener("change", function () { langSelect.form.submit(); });
  }
})();
