// Small progressive help for the decision form; the server checks everything again.
// When the worker's choice differs from the suggestion, the reason becomes required.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("decision-form");
  if (!form) { return; }
  var selects = form.querySelectorAll("select[data-suggested]");
  var reason = document.getElementById("override_reason");
  function update() {
    var overridden = false;
    selects.forEach(function (s) { if (s.value !== s.dataset.suggested) { overridden = true; } });
    reason.required = overridden;
    form.classList.toggle("reason-required", overridden);
  }
  selects.forEach(function (s) { s.addEventListener("change", update); });
  update();
});
