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

  // The language selector submits on change for mouse users; the button stays for keyboard users.
  var langSelect = document.getElementById("lang-select");
  if (langSelect) {
    langSelect.addEventListener("change", function () { langSelect.form.submit(); });
  }
})();
