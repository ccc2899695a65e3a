// Every form: after a failed submit the error summary takes the focus (seen and read out at
// once, not three screens down); free-text fields with a limit count their characters.
(function () {
  "use strict";
  if (window.lectureOrderForms) { return; }  // a page with two forms loads this twice
  window.lectureOrderForms = true;
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); summary.scrollIntoView({ block: "start" }); }
  Array.prototype.forEach.call(document.querySelectorAll("[data-max]"), function (input) {
    var counter = document.getElementById(input.id + "-count");
    if (!counter) { return; }
    var max = parseInt(input.dataset.max, 10);
    function update() {
      // Characters as people count them (a Chinese character or an emoji is one).
      var used = Array.from(input.value).length;
      counter.textContent = counter.dataset.pattern.replace("{used}", used);
      counter.classList.toggle("over", used > max);
    }
    input.addEventListener("input", update);
    update();
  });
})();
