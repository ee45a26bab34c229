// Curators: selecting a passage of the article fills the note's quote and its position, and
// shows an "Add a note" button beside it that opens the note form there (in the margin on wide
// screens, after the paragraph on phones). From the keyboard: a button before each paragraph,
// or Alt+Shift+N for the selection; Escape closes the form. The labels come translated from
// the page's data- attributes. Without JavaScript the form stays under the article.
(function () {
  "use strict";
  var text = document.getElementById("article-text");
  var quote = document.getElementById("note-quote");
  var start = document.getElementById("note-quote-start");
  var section = document.getElementById("add-note");
  if (!text || !quote || !start || !section) return;
  var noteText = document.getElementById("note-text");
  var help = document.getElementById("note-help");
  if (help) help.hidden = false;
  var home = document.createComment("note form");
  section.parentNode.insertBefore(home, section);

  function paragraphs() {
    return text.querySelectorAll(":scope > p:not(.split-here)");
  }

  function length(text) {
    // In characters (code points), as the server counts them, not UTF-16 units.
    return Array.from(text).length;
  }

  function paragraphOf(node) {
    // The paragraph of the article's text holding node (not a note or the form beside it).
    while (node && node.parentNode !== text) node = node.parentNode;
    return node && node.tagName === "P" && !node.classList.contains("split-here") ? node : null;
  }

  function offsetIn(node, offset) {
    // Characters before (node, offset) in the article text: paragraphs joined by blank lines.
    // A part of a long article starts further in (data-start).
    var all = paragraphs();
    var total = Number(text.getAttribute("data-start") || 0);
    for (var i = 0; i < all.length; i++) {
      var p = all[i];
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

  // The selection, when it is a passage of the text: {paragraph, range, quote, start}.
  function chosenPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    var range = selection.getRangeAt(0);
    var paragraph = paragraphOf(range.startContainer);
    if (!paragraph || !paragraphOf(range.endContainer)) return null;
    var raw = selection.toString();
    var chosen = raw.trim();
    if (!chosen) return null;
    var at = offsetIn(range.startContainer, range.startOffset);
    if (at !== null) at += length(raw) - length(raw.replace(/^\s+/, ""));
    return { paragraph: paragraph, range: range.cloneRange(), quote: chosen, start: at };
  }

  function fill(passage) {
    quote.value = passage.quote;
    start.value = passage.start === null ? "" : String(passage.start);
  }

  // The button beside a selection.
  var addHere = document.createElement("button");
  addHere.type = "button";
  addHere.className = "add-note-here";
  addHere.textContent = text.getAttribute("data-add-note");
  addHere.hidden = true;
  text.appendChild(addHere);
  var current = null; // the passage the button is for

  document.addEventListener("selectionchange", function () {
    var passage = chosenPassage();
    if (!passage) {
      if (document.activeElement !== addHere) addHere.hidden = true;
      return;
    }
    current = passage;
    fill(passage);
    var rects = passage.range.getClientRects();
    var last = rects.length ? rects[rects.length - 1] : passage.range.getBoundingClientRect();
    var box = text.getBoundingClientRect();
    addHere.hidden = false;
    addHere.style.top = last.bottom - box.top + 4 + "px";
    var left = Math.min(last.right - box.left, text.clientWidth - addHere.offsetWidth);
    addHere.style.left = Math.max(0, left) + "px";
  });
  // Pressing the button must not end the selection it is for.
  addHere.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });
  addHere.addEventListener("click", function () {
    if (current) open(current);
  });

  // A button before each paragraph: its whole text as the passage (it can be shortened).
  var label = text.getAttribute("data-add-note-paragraph");
  paragraphs().forEach(function (p) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "add-note-paragraph";
    button.textContent = label;
    button.addEventListener("click", function () {
      var raw = p.textContent;
      var at = offsetIn(p, 0);
      var lead = length(raw) - length(raw.replace(/^\s+/, ""));
      var range = document.createRange();
      range.selectNodeContents(p);
      open({ paragraph: p, range: range, quote: raw.trim(), start: at === null ? null : at + lead });
    });
    text.insertBefore(button, p);
  });

  var slotAfter = window.archiveNotes.slotAfter; // margin.js, loaded first

  function open(passage) {
    current = passage;
    fill(passage);
    addHere.hidden = true;
    var slot = slotAfter(passage.paragraph);
    slot.insertBefore(section, slot.firstChild);
    section.classList.add("in-place");
    var range = passage.range;
    section.anchorRect = function () {
      return range.getBoundingClientRect();
    };
    layout();
    noteText.focus();
  }

  function close() {
    if (!section.classList.contains("in-place")) return;
    section.classList.remove("in-place");
    section.anchorRect = null;
    section.style.top = "";
    home.parentNode.insertBefore(section, home);
    layout();
  }

  function layout() {
    document.dispatchEvent(new CustomEvent("notes:layout"));
  }

  var cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "cancel";
  cancel.textContent = text.getAttribute("data-cancel");
  cancel.addEventListener("click", close);
  section.querySelector("form").appendChild(cancel);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && section.contains(document.activeElement)) {
      close();
      var back = current && current.paragraph;
      if (back && back.previousElementSibling) back.previousElementSibling.focus();
    } else if (event.altKey && event.shiftKey && event.code === "KeyN") {
      var passage = chosenPassage();
      if (passage) {
        event.preventDefault();
        current = passage;
        open(passage);
      }
    }
  });
})();
