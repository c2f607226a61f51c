/* The IVR simulator without full reloads: a key press is the same form POST, and the answer page's
   simulator panel replaces this one. Without this script every press simply loads the page again. */
(function () {
  "use strict";

  function swap(html, button) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("simulator");
    var here = document.getElementById("simulator");
    if (!fresh || !here) { return false; }
    here.replaceWith(fresh);  // server-rendered and escaped
    var again = button && button.name && fresh.querySelector(
      'button[name="' + button.name + '"][value="' + button.value + '"]:not([disabled])');
    var target = again || fresh.querySelector("#sim-heard");
    if (target) {
      if (!again) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
    return true;
  }

  function plainSubmit(form, button) {  // the page as it would work without this script
    if (button && button.name) {
      var pressed = document.createElement("input");
      pressed.type = "hidden"; pressed.name = button.name; pressed.value = button.value;
      form.appendChild(pressed);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, button = event.submitter;
    if (!window.fetch || !window.DOMParser || !form.closest || !form.closest("[data-simulator]")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (button && button.name) { data.append(button.name, button.value); }
    document.getElementById("simulator").setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected && response.url.indexOf("/console/login") !== -1) {
          window.location.assign(response.url);
          return;
        }
        return response.text().then(function (html) {
          if (!swap(html, button)) { plainSubmit(form, button); }
        });
      })
      .catch(function () { plainSubmit(form, button); });
  });
})();
