// The little JavaScript safelog's pages use. Every page works without it;
// it only makes forms quicker (progressive enhancement). No inline script
// anywhere: the Content-Security-Policy forbids it.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A form that is submitting cannot be submitted again by a double click.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
});

// The log form: the chosen category's guidance appears as soon as it is
// chosen (without JavaScript every category's guidance is listed under the
// select, and the confirmation page repeats it).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-guidance]").forEach(function (select) {
    var panel = document.getElementById(select.getAttribute("data-guidance"));
    if (!panel) { return; }
    var show = function () {
      panel.querySelectorAll("[data-category]").forEach(function (g) {
        g.hidden = g.getAttribute("data-category") !== select.value;
      });
    };
    select.addEventListener("change", show);
    show();
  });
});

// The pupil type-ahead: as a name is typed, the school's matching pupils
// fill the <datalist>; choosing one fills in their tutor group and their id.
// Without JavaScript the typed name is matched on the server instead.
document.addEventListener("DOMContentLoaded", function () {
  var list = document.getElementById("pupil-options");
  if (!list) { return; }
  var found = {};
  var timer = null;
  document.querySelectorAll("input[data-typeahead]").forEach(function (input) {
    var isMain = input.id === "f-pupil_name";
    var group = isMain ? document.getElementById("f-tutor_group")
      : document.getElementById(input.id.replace(/_name$/, "_tutor_group"));
    var hiddenId = isMain ? document.getElementById("f-pupil_id") : null;
    var pick = function () {
      var p = found[input.value];
      if (hiddenId) { hiddenId.value = p ? p.id : ""; }
      if (p && group && p.tutor_group) { group.value = p.tutor_group; }
    };
    input.addEventListener("input", function () {
      pick();
      window.clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { return; }
      timer = window.setTimeout(function () {
        fetch(input.getAttribute("data-typeahead") + "?q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) {
            found = {};
            list.textContent = "";
            body.items.forEach(function (p) {
              found[p.name] = p;
              var o = document.createElement("option");
              o.value = p.name;
              o.label = p.tutor_group ? p.name + " (" + p.tutor_group + ")" : p.name;
              list.appendChild(o);
            });
            pick();
          }).catch(function () { /* the server matches the name instead */ });
      }, 250);
    });
    input.addEventListener("change", pick);
  });
});

// On a phone, tables become stacked rows (see the stylesheet); each cell
// takes its column's heading as a label, so a row still reads as a record.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table").forEach(function (table) {
    // A heading only a screen reader hears (an "Open" or "Remove" column
    // of buttons) labels nothing: "Remove: Remove" says it twice.
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      var hidden = th.querySelector(".visually-hidden");
      if (hidden && hidden.textContent.trim() === th.textContent.trim()) { return ""; }
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.classList.add("stacks");
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[i]); }
      });
    });
  });
});

// A subject access pack: text selected within a record fills that record's
// "withhold a passage" form and opens it. Without JavaScript the DPO copies
// the words into the form.
document.addEventListener("DOMContentLoaded", function () {
  if (!document.querySelector("textarea[data-sar-passage]")) { return; }
  document.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    var text = sel ? sel.toString().trim() : "";
    if (!text || !sel.anchorNode) { return; }
    var node = sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement;
    var record = node && node.closest(".sar-record");
    if (!record || node.closest("form")) { return; }
    var area = record.querySelector("textarea[data-sar-passage]");
    if (!area) { return; }
    area.value = text;
    var details = area.closest("details");
    if (details) { details.open = true; }
  });
});
