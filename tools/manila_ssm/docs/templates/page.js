// Search: hide operations and actions whose text does not contain every word typed.
// "?q=words" in the URL fills the box, so a search can be linked (and tested headless).
(function () {
  "use strict";
  var box = document.getElementById("search");
  var count = document.getElementById("search-count");
  var none = document.getElementById("no-match");
  var ops = Array.prototype.slice.call(document.querySelectorAll("article.op"));
  var tocOf = {};
  Array.prototype.forEach.call(document.querySelectorAll("#toc [data-target]"), function (li) {
    tocOf[li.getAttribute("data-target")] = li;
  });
  var texts = new Map();
  function textOf(element) {
    if (!texts.has(element)) { texts.set(element, element.textContent.toLowerCase()); }
    return texts.get(element);
  }
  function show(element, visible) {
    element.hidden = !visible;
    var entry = tocOf[element.id];
    if (entry) { entry.hidden = !visible; }
  }
  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var matches = function (element) {
      return words.every(function (w) { return textOf(element).indexOf(w) !== -1; });
    };
    var shownOps = 0, shownParts = 0;
    ops.forEach(function (op) {
      var parts = Array.prototype.slice.call(op.querySelectorAll("section.part.action"));
      var visibleParts = parts.filter(matches);
      if (parts.length && !visibleParts.length && matches(op)) { visibleParts = parts; }  // matched the URL
      var opVisible = parts.length ? visibleParts.length > 0 : matches(op);
      parts.forEach(function (part) { show(part, !words.length || visibleParts.indexOf(part) !== -1); });
      show(op, !words.length || opVisible);
      if (!op.hidden) { shownOps += 1; shownParts += parts.length ? visibleParts.length : 1; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.tag"), function (tag) {
      tag.hidden = !tag.querySelector("article.op:not([hidden])");
      var link = document.querySelector('#toc a[href="#' + tag.id + '"]');
      if (link) { link.parentNode.hidden = tag.hidden; }
    });
    none.hidden = shownOps > 0;
    var plural = function (n, word) { return n + " " + word + (n === 1 ? "" : "s"); };
    count.textContent = words.length ? plural(shownOps, "operation") + ", " + plural(shownParts, "matching part") : "";
    document.body.setAttribute("data-visible-operations", String(shownOps));
  }
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { box.value = initial; }
  box.addEventListener("input", apply);
  apply();
  document.body.setAttribute("data-ready", "yes");
}());
