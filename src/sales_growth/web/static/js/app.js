// Small behaviours shared by every page. No inline script anywhere: the CSP allows only files from this site.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  // A form with data-confirm asks before it is sent (deactivations, re-analysis).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // A checkbox with data-select-all="NAME" ticks or clears every checkbox called NAME.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.selectAll) {
      document.querySelectorAll('input[type="checkbox"][name="' + box.dataset.selectAll + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    }
  });

  // A file input with data-max-bytes refuses a file that is too large before anything is sent.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.maxBytes) {
      var tooLarge = Array.prototype.some.call(input.files || [], function (file) {
        return file.size > Number(input.dataset.maxBytes);
      });
      input.setCustomValidity(tooLarge ? input.dataset.tooLarge || "ファイルが大きすぎます。" : "");
      input.reportValidity();
    }
  });

  onReady(function () {
    // After a refused form, the list of problems gets the focus so that a screen reader reads it first.
    var errors = document.getElementById("form-errors");
    if (errors) {
      errors.focus();
    }
  });
})();
