// Copy buttons: <button data-copy="ID" data-copied="…" data-failed="…" hidden> copies the value
// (or text) of the element ID and says so in the element with data-copy-status="ID". Without
// scripts the button stays hidden and the text can still be selected by hand.
(function () {
  "use strict";
  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) { status.textContent = text; }
  }
  // Police intranets often serve plain http, where navigator.clipboard does not exist:
  // fall back to selecting the text and the older copy command.
  function fallback(source) {
    var ok = false;
    try {
      source.focus();
      source.select();
      ok = document.execCommand("copy");
    } catch (e) { ok = false; }
    return ok;
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var id = button.dataset.copy;
    var source = document.getElementById(id);
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var value = source.value !== undefined ? source.value : source.textContent;
      var done = function () { say(id, button.dataset.copied); };
      var failed = function () { say(id, fallback(source) ? button.dataset.copied : button.dataset.failed); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, failed);
      } else {
        failed();
      }
    });
  });
})();
