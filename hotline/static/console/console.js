/* The console's script: SLA clocks and call timers tick, the dashboard (and the desk, the wallboard) asks for
   news, the desk opens the page of the call its operator answered, the menu folds on a phone,
   a table's cells learn their column's name (shown beside them when rows become cards, console.css), and the
   intake saves in place.
   Everything works without it: the dashboard is fresh on reload, the menu wraps, a card's cells go unnamed. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - now) / 1000;
      var words = el.getAttribute(left < 0 ? "data-overdue" : "data-left") || "{t}";
      el.textContent = words.replace("{t}", span(left));
      el.classList.toggle("overdue", left < 0);
    });
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = span((now - Date.parse(el.getAttribute("data-since"))) / 1000);
    });
  }

  function bangkokTime() {  // every time on the console is Bangkok time, whatever the computer's zone
    try {
      return new Date().toLocaleTimeString(document.documentElement.lang || "th",
        { timeZone: "Asia/Bangkok", hour12: false });
    } catch (e) { return new Date().toLocaleTimeString(); }
  }

  function label(root) {  // each cell's column name, for the stacked rows of a narrow screen
    root.querySelectorAll("table:not(.report)").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        if (row.querySelector("[colspan]")) { return; }  // "nothing here", a note across the row
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (names[i]) { cell.setAttribute("data-label", names[i]); }
        });
      });
    });
  }

  function fold(header) {  // the menu behind its button on a narrow screen
    var button = header && header.querySelector(".menu-toggle");
    if (!button) { return; }
    header.classList.add("folding");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      header.classList.toggle("unfolded", open);
    });
  }

  function poll(root) {
    var url = root.getAttribute("data-live-url"), every = 1000 * (+root.getAttribute("data-poll") || 10);
    var status = document.getElementById("live-status"), etag = null, delay = every;

    function say(text) { if (status) { status.textContent = text; } }

    function next() { window.setTimeout(ask, delay); }

    function ask() {
      if (document.hidden) { next(); return; }
      var headers = { "Accept": "application/json" };
      if (etag) { headers["If-None-Match"] = etag; }
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (response.status === 401) {
          window.location.assign(root.getAttribute("data-login-url"));
          return null;
        }
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        etag = response.headers.get("ETag");
        return response.json();
      }).then(function (data) {
        var follow = root.getAttribute("data-follow");  // a page to open once the news names a new one
        if (data && follow && data[follow] && data[follow] !== root.getAttribute("data-followed")) {
          window.location.assign(data[follow]);
          return;
        }
        if (data) {
          Object.keys(data.sections).forEach(function (name) {
            var el = document.getElementById("live-" + name);
            if (el) { el.innerHTML = data.sections[name]; label(el); }  // server-rendered and escaped
          });
          tick();
        }
        delay = every;
        say(root.getAttribute("data-updated").replace("{t}", bangkokTime()));
        next();
      }).catch(function () {
        delay = Math.min(delay * 2, 60000);  // a slow or broken line: ask less often
        say(root.getAttribute("data-offline"));
        next();
      });
    }
    next();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { delay = every; } });
  }

  function inline(form) {  // a form marked data-inline (the intake) saves without leaving the page
    var status = form.querySelector("[data-inline-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": form.elements.csrf_token.value }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.data.reload) { window.location.reload(); return; }  // a new case, or new district lists
        status.textContent = "";
        var line = document.createElement("p");
        line.className = "flash " + (result.ok ? "success" : "error");
        line.textContent = result.data.message;
        status.appendChild(line);
        if (result.data.errors) {
          var list = document.createElement("ul");
          list.className = "errors";
          Object.keys(result.data.errors).forEach(function (name) {
            var item = document.createElement("li");
            item.textContent = result.data.errors[name];
            list.appendChild(item);
          });
          status.appendChild(list);
        }
      }).catch(function () { form.submit(); });  // logged out, or no JSON: the ordinary post shows why
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fold(document.querySelector("header.top"));
    label(document);
    tick();
    window.setInterval(tick, 1000);
    var live = document.querySelector("[data-live-url]");
    if (live && window.fetch) { poll(live); }
    if (window.fetch && window.FormData) { document.querySelectorAll("form[data-inline]").forEach(inline); }
  });
})();
