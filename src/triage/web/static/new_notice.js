// The new-notice page, kept up to date while the caller is on the line: on each answer the
// facts so far go to POST /api/score (as a draft; nothing is stored) and the suggestion,
// the rules that fire with their actions, the 48-hour deadline and "what to ask next" are
// shown. Every word comes from the page (the server's label catalogue); this script only
// shows, hides and orders them. Without it, "Check without saving" does the same.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("new-notice");
  var live = document.getElementById("live");
  if (!form || !live) { return; }
  var words = document.getElementById("live-words").dataset;
  var token = form.querySelector("input[name=csrf_token]").value;
  var lang = document.documentElement.lang === "en" ? "en" : "ja";
  var questions = form.querySelectorAll("[data-field]");
  var result = document.getElementById("live-result");
  var asks = document.getElementById("live-ask");
  var DIGITS = /^[+-]?[0-9]{1,9}$/;
  var timer = null;
  var sent = 0;  // the latest request; an answer to an earlier one is dropped

  // The facts as entry_form.py reads the posted form: an empty answer is not known (left out).
  function facts() {
    var out = { notice_id: "draft" };
    questions.forEach(function (q) {
      var name = q.dataset.field;
      var kind = q.dataset.kind;
      if (kind === "multi") {
        var picked = [];
        q.querySelectorAll("input:checked").forEach(function (c) { picked.push(c.value); });
        if (picked.length) { out[name] = picked; }
        return;
      }
      var text = q.querySelector("[name]").value.trim();
      if (!text) { return; }
      if (kind === "bool" && (text === "yes" || text === "no")) {
        out[name] = text === "yes";
      } else if (kind === "int" && DIGITS.test(text.normalize("NFKC"))) {
        out[name] = parseInt(text.normalize("NFKC"), 10);
      } else {
        out[name] = text;  // the API names what is wrong with it
      }
    });
    return out;
  }

  function say(text) { document.getElementById("live-status").textContent = text || ""; }

  function tierWord(tier) {
    return tier ? words["tier" + tier.charAt(0).toUpperCase() + tier.slice(1)] : words.tierNone;
  }

  // As the page writes a moment (i18n.when_text): to the minute, in its own offset.
  function when(iso) {
    var m = /^([0-9-]{10})T([0-9]{2}:[0-9]{2})(?::[0-9]{2}(?:\.[0-9]+)?)?(.*)$/.exec(iso || "");
    return m ? m[1] + " " + m[2] + m[3] : (iso || "");
  }

  function clearError(span) {
    span.hidden = true;
    span.textContent = "";
    delete span.dataset.live;
    span.parentNode.classList.remove("invalid");
  }

  // The API's errors replace the ones it gave before; the server's own (a time later than
  // the clock, which only saving checks) stay until their field is changed.
  function showErrors(errors) {
    form.querySelectorAll(".field-error[data-live]").forEach(clearError);
    (errors || []).forEach(function (e) {
      var span = e.field ? document.getElementById("err-" + e.field) : null;
      if (!span) { return; }
      span.textContent = e.message;
      span.dataset.live = "1";
      span.hidden = false;
      span.parentNode.classList.add("invalid");
    });
  }

  // The model's questions; "nothing to ask" only once a score says so (null: no score).
  function showAsks(items) {
    document.getElementById("live-nothing-to-ask").hidden = !items || items.length > 0;
    asks.querySelectorAll(".ask-model").forEach(function (li) { li.remove(); });
    (items || []).forEach(function (item) {
      var li = document.createElement("li");
      li.className = "ask-model";
      li.textContent = item.sentence;
      asks.appendChild(li);
    });
  }

  function showScore(score) {
    var tier = document.getElementById("live-tier");
    tier.className = "tier tier-" + score.suggested_tier;
    document.getElementById("live-tier-name").textContent = tierWord(score.suggested_tier);
    document.getElementById("live-model-tier").textContent = tierWord(score.model_tier);
    document.getElementById("live-floor").textContent = tierWord(score.rule_floor);
    live.querySelectorAll("[data-rule]").forEach(function (li) {
      li.hidden = score.rules.indexOf(li.dataset.rule) < 0;
    });
    document.getElementById("live-no-rules").hidden = score.rules.length > 0;
    var list = document.getElementById("live-actions");
    list.querySelectorAll("li").forEach(function (li) { li.hidden = true; });
    score.actions.forEach(function (action) {
      var li = list.querySelector('[data-action="' + CSS.escape(action) + '"]');
      if (!li) {  // an action of a local rule without a label: its id
        li = document.createElement("li");
        li.dataset.action = action;
        li.textContent = action;
      }
      li.hidden = false;
      list.appendChild(li);  // in the score's order
    });
    document.getElementById("live-deadline").textContent = when(score.safety_deadline);
    showAsks(score.ask_next);
    result.hidden = false;
  }

  function update() {
    var draft = facts();
    var missing = 0;
    asks.querySelectorAll("[data-needed]").forEach(function (li) {
      li.hidden = Object.prototype.hasOwnProperty.call(draft, li.dataset.needed);
      if (!li.hidden) { missing += 1; }
    });
    var mine = ++sent;
    if (missing || live.dataset.hasModel !== "1") {
      // Nothing to score yet: the list of what is still needed says why.
      result.hidden = true;
      showAsks(null);
      if (live.dataset.hasModel === "1") { say(words.waiting); }
      return;
    }
    say(words.checking);
    // Without as_of the API scores at the page's clock (pinned or live), as the page does.
    fetch("/api/score?lang=" + lang, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(draft)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (mine !== sent) { return; }
      if (answer.status === 200) {
        showErrors([]);
        showScore(answer.body);
        say("");
      } else if (answer.status === 422 && answer.body.errors) {
        showErrors(answer.body.errors);
        result.hidden = true;
        showAsks(null);
        say(words.invalid.replace("{n}", String(answer.body.errors.length)));
      } else {
        say(words.failed);
      }
    }).catch(function () {
      if (mine === sent) { say(words.failed); }
    });
  }

  function soon(event) {
    var question = event.target.closest("[data-field]");
    var span = question ? question.querySelector(".field-error") : null;
    if (span) { clearError(span); }
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  update();
});
