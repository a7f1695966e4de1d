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
