// Curators: selecting a passage of the article fills the note's quote and its position.
(function () {
  "use strict";
  var text = document.getElementById("article-text");
  var quote = document.getElementById("note-quote");
  var start = document.getElementById("note-quote-start");
  if (!text || !quote || !start) return;

  function length(text) {
    // In characters (code points), as the server counts them, not UTF-16 units.
    return Array.from(text).length;
  }

  function offsetIn(container, node, offset) {
    // Characters before (node, offset) in the article text: paragraphs joined by blank lines.
    // A part of a long article starts further in (data-start).
    var paragraphs = text.querySelectorAll(":scope > p:not(.split-here)");
    var total = Number(text.getAttribute("data-start") || 0);
    for (var i = 0; i < paragraphs.length; i++) {
      var p = paragraphs[i];
      if (p.contains(node)) {
        var range = document.createRange();
        range.setStart(p, 0);
        range.setEnd(node, offset);
        return total + length(range.toString());
      }
      total += length(p.textContent) + 2;
    }
    return null;
  }

  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return;
    var range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    var chosen = selection.toString().trim();
    if (!chosen) return;
    quote.value = chosen;
    var at = offsetIn(text, range.startContainer, range.startOffset);
    start.value = at === null ? "" : String(at);
  });
})();
