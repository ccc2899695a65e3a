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
    var query = "format=" + encodeURIComponent(fmt) + "&place_kind=" + place[0] +
      "&place_id=" + place[1] + "&from=" + from + "&to=" + to;
    var topics = Array.prototype.map.call(
      form.querySelectorAll("[name=topics]:checked"), function (el) { return el.value; });
    var headers = { "Accept": "application/json", "Accept-Language": document.documentElement.lang };
    // First the server's own rules (the ones the order is checked against on sending): if no
    // time can exist, say why in a warning and offer the next days that work as one-tap choices.
    fetch(box.dataset.possibleUrl + "?" + query + "&topics=" + encodeURIComponent(topics.join(",")),
          { headers: headers })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        if (!answer.ok) { box.hidden = true; return null; }
        if (!answer.body.possible) { showImpossible(answer.body); return null; }
        return fetch(box.dataset.url + "?" + query, { headers: headers })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(showSlots);
      })
      .catch(function () { box.hidden = true; });
  }
  function showImpossible(body) {
    box.textContent = "";
    box.className = "slot-preview slot-warning";
    body.reasons.forEach(function (text) {
      var p = document.createElement("p"); p.textContent = text; box.appendChild(p);
    });
    if (body.next_days.length) {
      var p = document.createElement("p"); p.textContent = box.dataset.nextTitle; box.appendChild(p);
      var choices = document.createElement("div"); choices.className = "day-choices";
      body.next_days.forEach(function (day) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "button secondary"; b.textContent = day.label;
        b.addEventListener("click", function () { chooseDay(day.date); });
        choices.appendChild(b);
      });
      box.appendChild(choices);
    }
    box.hidden = false;
  }
  function chooseDay(day) {
    // That very day: "exactly on the first date", the earliest date set to it.
    var exact = form.querySelector("[name=timing][value=date]");
    if (exact) { exact.checked = true; }
    var earliest = form.querySelector("[name=earliest]");
    if (earliest) { earliest.value = day; earliest.focus(); }
    refresh();
  }
  function showSlots(slots) {
    box.textContent = "";
    box.className = "slot-preview" + (slots.length ? "" : " slot-warning");
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
  }
  form.addEventListener("change", refresh);
  refresh();
})();
