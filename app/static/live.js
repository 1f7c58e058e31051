/* Keeps a live meeting page in step with the meeting.
 *
 * The page holds one event stream (htmx's SSE extension on #live-root). Each event carries the
 * meeting's new version and the names of the parts to refetch; an event without names, or a
 * page that finds itself behind after reconnecting, refetches every part. Parts are swapped by
 * htmx; what a member was typing survives the swap: values are carried into the new part, and a
 * form that the new part no longer has (the board moved on) is kept aside until it is saved or
 * discarded. No inline script or eval: the page runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  var root = document.getElementById("live-root");
  if (!root || !window.htmx) {
    return;
  }
  var known = Number(root.getAttribute("data-live-version") || 0);
  var status = document.getElementById("live-status");
  var keptBox = document.getElementById("kept-drafts");
  var justOpened = false;
  var pending = {};

  // Which parts an event names: "opinions" also names "opinions-12".
  function named(element, names) {
    var name = element.getAttribute("data-live-fragment");
    return names.some(function (wanted) {
      return name === wanted || name.indexOf(wanted + "-") === 0;
    });
  }

  // Refetch the parts an event names (null: all) in one request; events arriving meanwhile
  // are merged into the next request, so a page never falls behind or floods the server.
  var inFlight = false;
  var queued;  // undefined: nothing waiting; null: every part; else an array of names

  function chosenParts(names) {
    var parts = Array.prototype.slice.call(root.querySelectorAll("[data-live-fragment]"));
    var chosen = names ? parts.filter(function (p) { return named(p, names); }) : parts;
    // A part inside another refetched part comes fresh with it.
    return chosen.filter(function (part) {
      var outer = part.parentElement && part.parentElement.closest("[data-live-fragment]");
      return !(outer && chosen.indexOf(outer) >= 0);
    }).map(function (part) { return part.getAttribute("data-live-fragment"); });
  }

  function refresh(names) {
    if (names === null || queued === null) {
      queued = null;
    } else {
      queued = (queued || []).concat(names.filter(function (n) { return (queued || []).indexOf(n) < 0; }));
    }
    if (!inFlight) {
      send();
    }
  }

  function send() {
    var parts = chosenParts(queued === undefined ? [] : queued);
    queued = undefined;
    if (!parts.length) {
      return;
    }
    inFlight = true;
    var url = root.getAttribute("data-live-src") + "?parts=" + encodeURIComponent(parts.join(","));
    htmx.ajax("GET", url, { source: root, target: root, swap: "none" }).then(done, done);
  }

  function done() {
    inFlight = false;
    if (queued !== undefined) {
      send();
    }
  }

  function showStatus(text) {
    if (!status) {
      return;
    }
    status.textContent = text || "";
    status.hidden = !text;
    root.classList.toggle("live-offline", Boolean(text));
  }

  document.body.addEventListener("htmx:sseOpen", function () {
    justOpened = true;
    showStatus("");
  });

  var ENDED = "Your session has ended. Log in again in another tab; this page keeps what you typed.";

  // Is the session still alive? Asked when the stream drops, and every few minutes, which
  // also keeps the session of an open meeting page from idling out.
  function checkSession() {
    return fetch(root.getAttribute("data-live-keepalive"), {
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store"
    }).then(function (response) {
      var ended = response.status === 401 || response.type === "opaqueredirect";
      if (ended) {
        showStatus(ENDED);
      }
      return !ended;
    }, function () {
      return true;  // the network, not the session: the stream's notice says so
    });
  }
  window.setInterval(checkSession, 5 * 60 * 1000);

  document.body.addEventListener("htmx:sseError", function () {
    showStatus("Connection to the meeting lost. Reconnecting… What you type is kept.");
    checkSession();
  });

  document.body.addEventListener("htmx:sseMessage", function (event) {
    if (event.target.id !== "live-listener") {
      return;
    }
    var data;
    try {
      data = JSON.parse(event.detail.data);
    } catch (error) {
      return;
    }
    var first = justOpened;
    justOpened = false;
    showStatus("");
    if (typeof data.version !== "number" || data.version === known) {
      return;
    }
    // An older version only counts on (re)connecting: the database was restored.
    if (data.version < known && !first) {
      return;
    }
    known = data.version;
    root.setAttribute("data-live-version", String(known));
    var names = Array.isArray(data.fragments) && data.fragments.length ? data.fragments : null;
    refresh(first ? null : names);
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    if (code === 401) {
      showStatus(ENDED);
    } else if (savingForm(event) && code === 400) {
      // The form's security token is out of date (the member logged in again): fetch the parts
      // afresh; what was typed is carried into the new form.
      showStatus(NOT_SAVED + ": the form was out of date. It has been renewed with what you " +
        "typed; save again.");
      refresh(null);
    } else if (savingForm(event)) {
      showStatus(NOT_SAVED + " (" + code + "): what you typed is still in the form. " +
        "Save again in a moment.");
    } else if (code === 404 || code === 403) {
      showStatus("This part of the meeting is no longer available to you. Reload the page.");
    } else {
      showStatus("Part of the page could not be updated (" + code + "). It will try again at the next change.");
    }
  });

  // A form that saves in place (the opinion form) keeps what was typed when saving fails.
  var NOT_SAVED = "Not saved";

  function savingForm(event) {
    var elt = event.detail.elt;
    return elt && elt.tagName === "FORM" && elt.hasAttribute("hx-post");
  }

  document.body.addEventListener("htmx:sendError", function (event) {
    if (savingForm(event)) {
      showStatus(NOT_SAVED + ": the server could not be reached. What you typed is still in " +
        "the form; save again when the connection is back.");
    }
  });

  // A form kept aside (the meeting moved on) that saves: the kept box goes, a note stays, so
  // the case's own form is the only one with its ids when the case comes up again.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var box = savingForm(event) ? event.detail.elt.closest(".kept-draft") : null;
    var answer = event.detail.xhr ? event.detail.xhr.responseText || "" : "";
    if (box && event.detail.xhr.status === 200 && /^\s*<form[^>]*\sdata-saved/.test(answer)) {
      event.detail.shouldSwap = false;
      var note = document.createElement("p");
      note.className = "flash flash-success";
      note.setAttribute("role", "status");
      note.textContent = "The opinion you kept aside is saved.";
      box.replaceWith(note);
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (savingForm(event) && event.detail.successful && status &&
        status.textContent.indexOf(NOT_SAVED) === 0) {
      showStatus("");
    }
  });

  // Keeping what a member types ---------------------------------------------------------------

  function isDirty(control) {
    var type = (control.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button") {
      return false;
    }
    // A form the server refused comes back with the typed values as its defaults: still unsaved.
    if (control.form && control.form.hasAttribute("data-unsaved")) {
      return true;
    }
    if (type === "checkbox" || type === "radio") {
      return control.checked !== control.defaultChecked;
    }
    if (control.tagName === "SELECT") {
      return Array.prototype.some.call(control.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return control.value !== control.defaultValue;
  }

  // Each part arrives as an out-of-band swap into the element with its id.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-live-fragment")) {
      return;
    }
    var incoming = event.detail.fragment;
    var carry = [];
    var keep = [];
    target.querySelectorAll("input, textarea, select").forEach(function (control) {
      var focused = control === document.activeElement;
      if (!isDirty(control) && !focused) {
        return;
      }
      if (control.id && incoming.querySelector("#" + CSS.escape(control.id))) {
        carry.push({
          id: control.id,
          value: control.value,
          checked: control.checked,
          selected: control.tagName === "SELECT"
            ? Array.prototype.map.call(control.options, function (o) { return o.selected; })
            : null,
          focused: focused,
          start: focused && "selectionStart" in control ? control.selectionStart : null,
          end: focused && "selectionEnd" in control ? control.selectionEnd : null
        });
      } else if (control.form && keep.indexOf(control.form) < 0 && isDirty(control)) {
        keep.push(control.form);
      }
    });
    pending[target.getAttribute("data-live-fragment")] = { carry: carry, keep: keep };
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var part = event.target;
    if (!part || !part.hasAttribute || !part.hasAttribute("data-live-fragment")) {
      return;
    }
    var name = part.getAttribute("data-live-fragment");
    var saved = pending[name];
    delete pending[name];
    if (!saved) {
      return;
    }
    saved.carry.forEach(function (entry) {
      var control = document.getElementById(entry.id);
      if (!control) {
        return;
      }
      if (entry.selected) {
        entry.selected.forEach(function (on, index) {
          if (control.options[index]) {
            control.options[index].selected = on;
          }
        });
      } else if (control.type === "checkbox" || control.type === "radio") {
        control.checked = entry.checked;
      } else {
        control.value = entry.value;
      }
      if (entry.focused) {
        control.focus({ preventScroll: true });
        if (entry.start !== null && control.setSelectionRange) {
          try {
            control.setSelectionRange(entry.start, entry.end);
          } catch (error) {
            /* not a text field */
          }
        }
      }
    });
    saved.keep.forEach(keepAside);
  });

  // A form whose part no longer has it (the board moved to another case) is kept, filled in.
  function keepAside(form) {
    if (!keptBox) {
      return;
    }
    var box = document.createElement("section");
    box.className = "card kept-draft";
    var note = document.createElement("p");
    note.className = "flash flash-warning";
    note.textContent = "The meeting moved on while you were writing. What you typed is kept here: " +
      "save it, or discard it.";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.textContent = "Discard";
    discard.addEventListener("click", function () {
      box.remove();
    });
    box.appendChild(note);
    box.appendChild(form);
    box.appendChild(discard);
    keptBox.appendChild(box);
    // htmx let go of the form with the part it came from: take it up again, so that it saves
    // in place from here too.
    htmx.process(form);
  }

  // The timer of the case under discussion --------------------------------------------------

  function clock(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-timer-elapsed]").forEach(function (timer) {
      // Counted from the server's figure at rendering: the member's clock may be wrong.
      if (!timer.liveLoadedAt) {
        timer.liveLoadedAt = now;
      }
      var elapsed = Number(timer.getAttribute("data-timer-elapsed")) +
        Math.floor((now - timer.liveLoadedAt) / 1000);
      var planned = Number(timer.getAttribute("data-timer-planned"));
      var over = elapsed > planned * 60;
      timer.textContent = clock(elapsed) + " of " + planned + " min" + (over ? ", over time" : "");
      timer.classList.toggle("over", over);
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
