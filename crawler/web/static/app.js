// The only script of the web UI (the CSP allows no inline script): "select all" in the queue.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll('input[type="checkbox"][name="key"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
});
