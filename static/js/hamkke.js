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

  // On a phone the CSS stacks table rows; each cell gets its column's name (data-label) to show
  // above its value, and explicit table roles so screen readers keep the table once CSS changes
  // its display. Tables that htmx swaps in later (search results) are labelled the same way.
  function labelTables(root) {
    var tables = [];
    var around = root.closest ? root.closest("table") : null;
    if (around) { tables.push(around); }
    Array.prototype.push.apply(tables, root.querySelectorAll("table"));
    tables.forEach(function (table) {
      var head = table.tHead && table.tHead.rows.length ? table.tHead.rows[table.tHead.rows.length - 1] : null;
      var names = [];
      if (head) {
        Array.prototype.forEach.call(head.cells, function (cell) {
          var text = cell.textContent.replace(/\s+/g, " ").trim();
          for (var span = 0; span < (cell.colSpan || 1); span += 1) { names.push(text); }
        });
      }
      table.setAttribute("role", "table");
      Array.prototype.forEach.call(table.querySelectorAll("thead, tbody, tfoot"), function (group) {
        group.setAttribute("role", "rowgroup");
      });
      Array.prototype.forEach.call(table.rows, function (row) {
        row.setAttribute("role", "row");
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TH") {
            cell.setAttribute("role", cell.getAttribute("scope") === "row" ? "rowheader" : "columnheader");
          } else {
            cell.setAttribute("role", "cell");
            if (names[column] && !cell.hasAttribute("data-label") && (cell.colSpan || 1) === 1) {
              cell.setAttribute("data-label", names[column]);
            }
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }
  labelTables(document);
  document.addEventListener("htmx:afterSwap", function (event) { labelTables(event.target); });

  // Inline forms. A form marked data-inline-form (it holds its own error summary, see the form_errors
  // macro) posts through htmx. A refusal (422: the page again, every error beside its field, the input
  // kept) replaces only that form, and focus moves to its error summary; a success comes back as
  // HX-Redirect (hamkke/web.py) and loads the next page as usual. Without JavaScript the same form posts
  // normally and the full 422 page shows the same errors.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      // A refused form is its page again with every error shown: swap it in, it is no failure.
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  function isInlineForm(element) {
    return !!element && element.tagName === "FORM" && element.hasAttribute("data-inline-form");
  }

  function enhanceForms(root) {
    var forms = [];
    if (isInlineForm(root)) { forms.push(root); }
    if (root.querySelectorAll) {
      Array.prototype.push.apply(forms, root.querySelectorAll("form[data-inline-form]"));
    }
    forms.forEach(function (form) {
      // The form is found again in the answer by its id; a form without one keeps posting normally.
      if (!form.id || form.hasAttribute("hx-post") || !window.htmx) { return; }
      form.setAttribute("hx-post", form.getAttribute("action") || window.location.href);
      form.setAttribute("hx-target", "this");
      form.setAttribute("hx-select", "#" + form.id);
      form.setAttribute("hx-swap", "outerHTML");
      form.setAttribute("hx-headers", JSON.stringify({ "X-Hamkke-Inline-Form": "1" }));
      window.htmx.process(form);
    });
  }

  function focusErrors(form) {
    var summary = form.querySelector("[data-error-summary]") || form.querySelector(".form-errors");
    var target = summary || form.querySelector("[aria-invalid='true']");
    if (!target) { return; }
    if (target === summary && !summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    target.focus();
    if (target.scrollIntoView) { target.scrollIntoView({ block: "start" }); }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail && event.detail.requestConfig ? event.detail.requestConfig.elt : null;
    if (!isInlineForm(source) || !event.detail.xhr || event.detail.xhr.status !== 422) { return; }
    var form = document.getElementById(source.id);
    if (form) {
      enhanceForms(form);
      focusErrors(form);
    }
  });

  // While an inline form is on its way the form says so (aria-busy): what is typed meanwhile would be
  // replaced by the answer. The answer's form comes without the mark; a failure takes it off.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail ? event.detail.elt : null;
    if (isInlineForm(source)) { source.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail ? event.detail.elt : null;
    if (isInlineForm(source)) { source.removeAttribute("aria-busy"); }
  });

  function submitNatively(event) {
    // Any other refusal (an expired session, a missing record, an outage) is a page of its own: post
    // the form the ordinary way so the person reads it, instead of a click that seems to do nothing.
    var source = event.detail ? event.detail.elt : null;
    if (!isInlineForm(source)) { return; }
    HTMLFormElement.prototype.submit.call(source);
  }
  document.addEventListener("htmx:responseError", submitNatively);
  document.addEventListener("htmx:sendError", submitNatively);

  enhanceForms(document);

  // The language selector submits on change for mouse users; the button stays for keyboard users.
  var langSelect = document.getElementById("lang-select");
  if (langSelect) {
    langSelect.addEventListener("change", function () { langSelect.form.submit(); });
  }
})();
