// An import's page: the progress bars follow the import (its status, as JSON) and the page
// reloads once it is over, to show the summary. Without JavaScript, the page refreshes itself.
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section || !window.fetch) return;
  var url = section.getAttribute("data-status-url");
  var files = document.getElementById("progress-files");
  var file = document.getElementById("progress-file");
  var INTERVAL_MS = 700;

  function show(name, value) {
    var field = section.querySelector('[data-field="' + name + '"]');
    if (field) field.textContent = value;
  }

  function update(state) {
    if (state.over) {
      window.location.reload();
      return false;
    }
    files.max = Math.max(state.files_total, 1);
    files.value = state.files_done;
    file.max = Math.max(state.bytes_total, 1);
    file.value = state.bytes_done;
    show("files_done", state.files_done);
    show("files_total", state.files_total);
    show("file", state.file);
    show("posts", state.posts.toLocaleString());
    return true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        if (update(state)) window.setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        window.setTimeout(poll, INTERVAL_MS * 4);
      });
  }
  section.classList.add("live");
  window.setTimeout(poll, INTERVAL_MS);
})();
