// Progressive enhancement for the order form: show the next real slots for the chosen
// place and format (the form works without this script).
(function () {
  "use strict";
  var box = document.getElementById("slot-preview");
  if (!box) { return; }
  var form = box.closest("form");
  function value(name) {
    var el = form.querySelector("[name=" + name + "]:checked") || form.querySelector("select[name=" + name + "], input[name=" + name + "]:not([type=radio])");
    return el ? el.value : "";
  }
  function refresh() {
    var place = value("place").split(":");
    var fmt = value("format");
    var from = value("earliest"), to = value("latest"), timing = value("timing");
    if (from && timing === "date") { to = from; }
    if (from && (timing === "next" || !to)) {
      var d = new Date(from + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 45);
      to = d.toISOString().slice(0, 10);
    }
    if (!fmt || place.length !== 2 || !from || !to) { box.hidden = true; return; }
    var url = box.dataset.url + "?format=" + encodeURIComponent(fmt) + "&place_kind=" + place[0] +
      "&place_id=" + place[1] + "&from=" + from + "&to=" + to;
    fetch(url, { headers: { "Accept": "application/json", "Accept-Language": document.documentElement.lang } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (slots) {
        box.textContent = "";
        var p = document.createElement("p");
        p.textContent = slots.length ? box.dataset.title : box.dataset.empty;
        box.appendChild(p);
        if (slots.length) {
          var ul = document.createElement("ul");
          slots.slice(0, 5).forEach(function (s) {
            var li = document.createElement("li"); li.textContent = s.label; ul.appendChild(li);
          });
          box.appendChild(ul);
          // The label itself carries the mark (（待定）); say once what it means.
          if (box.dataset.provisional && slots.slice(0, 5).some(function (s) { return s.provisional; })) {
            var note = document.createElement("p");
            note.className = "hint"; note.textContent = box.dataset.provisional;
            box.appendChild(note);
          }
        }
        box.hidden = false;
      })
      .catch(function () { box.hidden = true; });
  }
  form.addEventListener("change", refresh);
  refresh();
})();
