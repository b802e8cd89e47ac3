/* Taper Clinic: small progressive enhancements for the plan pages. No build step. */
(function () {
  "use strict";

  function builder() { return document.getElementById("builder"); }

  // The live preview's triggers, without htmx evaluating a filter (the Content-Security-Policy
  // forbids eval): a change anywhere but a .no-live field, and typing anywhere but .no-live and
  // .change-only fields, become the builder's own events (hx-trigger on the form).
  function relay(kind, skip) {
    document.addEventListener(kind, function (event) {
      var form = builder();
      if (!form || !form.contains(event.target) || event.target.closest(skip)) return;
      form.dispatchEvent(new CustomEvent("builder-" + kind));
    });
  }
  relay("change", ".no-live");
  relay("input", ".no-live, .change-only");

  // Enter in a text field of the builder re-checks the plan instead of saving the draft.
  document.addEventListener("keydown", function (event) {
    var form = builder();
    var target = event.target;
    if (!form || event.key !== "Enter" || !form.contains(target)) return;
    if (target.tagName !== "INPUT" || target.type === "submit" || target.type === "checkbox") return;
    event.preventDefault();
    target.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // "Undo edit" empties a step's edit fields and asks for a new preview.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clear-edit]");
    if (!button) return;
    var panel = button.closest(".edit-panel");
    panel.querySelectorAll("input[type=text]").forEach(function (input) { input.value = ""; });
    panel.querySelectorAll("input[type=checkbox]").forEach(function (input) { input.checked = false; });
    var details = button.closest("details");
    if (details) details.open = false;
    panel.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // The preview is replaced on every change: keep the step editors the prescriber opened open,
  // and put the cursor back where it was.
  var openEditors = new Set();
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.classList || !details.classList.contains("step-edit")) return;
    var row = details.closest("tr");
    if (!row || !row.id) return;
    if (details.open) { openEditors.add(row.id); } else { openEditors.delete(row.id); }
  }, true);
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "preview") {
      var active = document.activeElement;
      focusedId = active && active.id && event.detail.target.contains(active) ? active.id : null;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "preview") return;
    openEditors.forEach(function (rowId) {
      var details = document.querySelector("#" + rowId + " details.step-edit");
      if (details) { details.open = true; } else { openEditors.delete(rowId); }
    });
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) again.focus();
      focusedId = null;
    }
  });
  // A refused form (sign, hold, slow down, return) brings the prescriber to its messages at the
  // top of the page, not to where the form sits further down.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  });
})();
