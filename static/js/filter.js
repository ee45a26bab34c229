// Filters the A–Z list of hashtags as you type (the form works without JavaScript too).
(function () {
  "use strict";
  var input = document.querySelector("[data-filter-list]");
  if (!input) return;
  var list = document.getElementById(input.getAttribute("data-filter-list"));
  function fold(s) {
    return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/^#/, "");
  }
  input.addEventListener("input", function () {
    var needle = fold(input.value.trim());
    list.querySelectorAll("li[data-key]").forEach(function (li) {
      li.hidden = needle !== "" && li.getAttribute("data-key").indexOf(needle) === -1;
    });
  });
})();
