/* The phone in this browser (issue 16): Twilio's Voice SDK, served from our own vendor folder, registers the
   operator's identity so the desk's dial of client:user-<id> rings here. Every word is in the template
   (console/_browser_phone.html), so it is translated with the page; this script only shows the lines of the
   current state ([data-when]) and of an error's reason ([data-reason]). */
(function () {
  "use strict";

  var root = document.querySelector("[data-browser-phone]");
  if (!root) { return; }
  var RETRY_MS = 60000;  // after Twilio could not be reached; the template says "in a minute"
  var MICROPHONE = [31208, 31401, 31402];  // Twilio's codes for a blocked or missing microphone
  var TOKEN_EXPIRED = 20104;
  var device = null, call = null, retry = null;

  function each(selector, visit) { Array.prototype.forEach.call(root.querySelectorAll(selector), visit); }

  function show(state, reason) {
    root.setAttribute("data-state", state);
    root.setAttribute("data-error", reason || "");
    each("[data-when]", function (line) { line.hidden = line.getAttribute("data-when") !== state; });
    each("[data-reason]", function (line) { line.hidden = line.getAttribute("data-reason") !== reason; });
    if (state !== "on_call") { showMuted(false); }
  }

  function showMuted(muted) {
    each("[data-muted]", function (line) { line.hidden = !muted; });
    each('[data-action="mute"]', function (button) {
      button.setAttribute("aria-pressed", muted ? "true" : "false");
      button.classList.toggle("secondary", !muted);
    });
  }

  function Refused(problem) { this.problem = problem; }

  function token() {
    var asked = fetch(root.getAttribute("data-token-url"),
                      { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    return asked.then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.token) { return body.token; }
        throw new Refused(body.error === "not_browser" ? "off"
                          : body.error === "browser_calls_off" ? "browser_calls_off" : "no_token");
      });
    }, function () { throw new Refused("no_token"); });
  }

  function registered() { return device !== null && device.state === "registered"; }

  function stop() {
    if (device) { device.destroy(); }
    device = null;
    call = null;
  }

  function trouble(error) {
    if (error instanceof Refused) {
      stop();
      if (error.problem === "off") { show("off"); } else { show("error", error.problem); }
      return;
    }
    var code = error && error.code;
    if (MICROPHONE.indexOf(code) !== -1) { show("error", "microphone"); return; }
    if (code === TOKEN_EXPIRED) { refresh(); return; }
    if (registered()) { return; }  // the SDK says more than the operator needs; the line still works
    stop();
    show("error", "unreachable");
    clearTimeout(retry);
    retry = setTimeout(start, RETRY_MS);
  }

  function refresh() {
    token().then(function (fresh) { if (device) { device.updateToken(fresh); } }).catch(trouble);
  }

  function ended(which) {
    if (call !== which) { return; }
    call = null;
    show(registered() ? "ready" : "connecting");
  }

  function ringing(incoming) {
    if (call) { incoming.reject(); return; }  // the desk offers one call at a time; never two on one line
    call = incoming;
    incoming.on("accept", function () { show("on_call"); showMuted(false); });
    incoming.on("mute", function (muted) { showMuted(muted); });
    ["disconnect", "cancel", "reject"].forEach(function (event) {
      incoming.on(event, function () { ended(incoming); });
    });
    incoming.on("error", function (error) {
      ended(incoming);
      trouble(error);
    });
    show("ringing");
  }

  function start() {
    clearTimeout(retry);
    var Twilio = window.Twilio;
    if (!Twilio || !Twilio.Device || !Twilio.Device.isSupported) { show("error", "unsupported"); return; }
    show("connecting");
    token().then(function (first) {
      device = new Twilio.Device(first, { closeProtection: true, codecPreferences: ["opus", "pcmu"], logLevel: "warn" });
      device.on("registered", function () { if (!call) { show("ready"); } });
      device.on("unregistered", function () { if (!call && device) { show("connecting"); } });
      device.on("tokenWillExpire", refresh);
      device.on("incoming", ringing);
      device.on("error", trouble);
      return device.register();
    }).catch(trouble);
  }

  var actions = {
    "accept": function () { call.accept(); },
    "reject": function () { var was = call; was.reject(); ended(was); },
    "mute": function () { call.mute(!call.isMuted()); showMuted(call.isMuted()); },
    "hang-up": function () { var was = call; was.disconnect(); ended(was); }
  };

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (button && call && actions[button.getAttribute("data-action")]) {
      actions[button.getAttribute("data-action")]();
    }
  });
  window.addEventListener("pagehide", stop);  // unregister at once, so the desk stops ringing a closed page
  start();
})();
