// Filters of the requirement matrix (outcome boxes and a text box) and links that open a finding.
// "?outcome=fail,error&q=words" in the URL sets the filters, so a filtered view can be linked.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#requirements tbody tr"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[name=outcome]"));
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var params = new URLSearchParams(window.location.search);
  if (params.has("outcome")) {
    var wanted = params.get("outcome").split(",");
    boxes.forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
  }
  if (params.has("q")) { text.value = params.get("q"); }
  function apply() {
    var shown = {};
    boxes.forEach(function (box) { shown[box.value] = box.checked; });
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var visible = 0;
    rows.forEach(function (row) {
      var hay = row.textContent.toLowerCase();
      var ok = shown[row.getAttribute("data-outcome")] &&
        words.every(function (w) { return hay.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) { visible += 1; }
    });
    count.textContent = visible + " of " + rows.length + " requirements shown";
  }
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("filters").addEventListener("submit", function (event) { event.preventDefault(); });
  function openFinding(id) {
    var finding = document.getElementById(id);
    if (finding && finding.tagName === "DETAILS") { finding.open = true; }
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-open]"), function (link) {
    link.addEventListener("click", function () { openFinding(link.getAttribute("data-open")); });
  });
  if (window.location.hash.indexOf("#finding-") === 0) { openFinding(window.location.hash.slice(1)); }
  apply();
  document.body.setAttribute("data-ready", "yes");
}());
