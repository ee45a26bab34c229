// Notes beside their passages: each note anchored in the part shown moves right after the
// paragraph its passage starts in. The stylesheet shows it there on phones, and in the margin
// on wide screens, where this script sets its height: level with its passage, pushed down when
// the note above would overlap it. Hovering or focusing a note or its passage highlights both.
// Without JavaScript the notes stay listed under the article, each linked to its passage.
(function () {
  "use strict";
  var text = document.getElementById("article-text");
  if (!text) return;
  var GAP = 8; // pixels between two notes stacked in the margin

  function passageOf(note) {
    return document.getElementById("passage-" + note.getAttribute("data-passage"));
  }

  function paragraphOf(node) {
    while (node && node.parentNode !== text) node = node.parentNode;
    return node;
  }

  function slotAfter(paragraph) {
    // One slot per paragraph, right after it, holding its notes (and the note form).
    var next = paragraph.nextElementSibling;
    if (next && next.classList.contains("note-slot")) return next;
    var slot = document.createElement("div");
    slot.className = "note-slot";
    paragraph.parentNode.insertBefore(slot, next);
    return slot;
  }
  // curator.js opens the note form in the same slots.
  window.archiveNotes = { slotAfter: slotAfter };

  var notes = [];
  document.querySelectorAll("#commentary .note[data-passage]").forEach(function (note) {
    var passage = passageOf(note);
    var paragraph = passage && paragraphOf(passage);
    if (!paragraph) return;
    slotAfter(paragraph).appendChild(note);
    note.classList.add("beside");
    notes.push(note);
  });
  if (notes.length) text.classList.add("with-notes");

  // What the margin holds: the notes, and the note form when a curator opened it in place.
  function boxes() {
    var found = notes.map(function (note) {
      return { box: note, at: passageOf(note) };
    });
    var form = text.querySelector(".note-slot > .in-place");
    if (form && form.anchorRect) found.push({ box: form, at: form });
    return found;
  }

  function layout() {
    var items = boxes();
    var inMargin = items.length && getComputedStyle(items[0].box).position === "absolute";
    text.classList.toggle("with-margin", Boolean(inMargin));
    if (!inMargin) {
      items.forEach(function (item) {
        item.box.style.top = "";
      });
      text.style.minHeight = "";
      return;
    }
    var origin = text.getBoundingClientRect().top;
    items.forEach(function (item) {
      var rect = item.at === item.box ? item.box.anchorRect() : item.at.getBoundingClientRect();
      item.want = rect.top - origin;
    });
    items.sort(function (a, b) {
      return a.want - b.want;
    });
    var bottom = -Infinity;
    items.forEach(function (item) {
      var top = Math.max(item.want, bottom + GAP);
      item.box.style.top = top + "px";
      bottom = top + item.box.offsetHeight;
    });
    // Notes pushed below the end of the text must not run over what follows it.
    text.style.minHeight = bottom > text.offsetHeight ? bottom + "px" : "";
  }

  function highlight(id, on) {
    document.querySelectorAll('mark.anchored[data-note="' + id + '"], #note-' + id).forEach(
      function (el) {
        el.classList.toggle("linked", on);
      }
    );
  }

  function linkedId(target) {
    var el = target.closest && target.closest("mark.anchored[data-note], .note[data-passage]");
    if (!el) return null;
    return el.getAttribute("data-note") || el.getAttribute("data-passage");
  }

  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var id = linkedId(event.target);
      if (id) highlight(id, true);
    });
  });
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var id = linkedId(event.target);
      if (!id) return;
      var next = event.relatedTarget;
      if (next && linkedId(next) === id) return; // still on the same note or passage
      highlight(id, false);
    });
  });

  window.addEventListener("resize", layout);
  window.addEventListener("load", layout);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
  // curator.js asks for a new layout when it opens or closes the note form.
  document.addEventListener("notes:layout", layout);
  layout();
})();
