// Warns before an unused session ends and offers to continue (WCAG 2.2.1); when it ends anyway,
// keeps what was typed in this tab and puts it back after the next login (klockaretorpet/sessions.py).
(() => {
  const draftKey = `klk-draft:${location.pathname}`;
  const sharedEndKey = "klk-session-ends-at";
  // The hidden version of what the form edits travels with the text: should someone else have
  // saved in between, the restored form is refused as stale (naming who) instead of overwriting.
  const typedFields =
    "textarea, input[type=text], input[type=number], input[type=date], input[type=month], input[type=email], input[type=url], input:not([type]), input[type=hidden][name=version]";

  function formsToKeep() {
    return [...document.querySelectorAll("form[method=post], form[method=POST]")].filter(
      (form) => form.querySelector(typedFields),
    );
  }

  function restoreDraft() {
    const saved = sessionStorage.getItem(draftKey);
    if (!saved) return;
    sessionStorage.removeItem(draftKey);
    let restored = 0;
    const values = JSON.parse(saved);
    for (const form of formsToKeep()) {
      for (const field of form.querySelectorAll(typedFields)) {
        if (field.name in values && field.value !== values[field.name]) {
          field.value = values[field.name];
          if (field.type !== "hidden") restored += 1;
        }
      }
    }
    const notice = document.getElementById("draft-restored");
    if (restored && notice) {
      notice.hidden = false;
      notice.focus();
    }
  }

  function keepDraft() {
    const values = {};
    for (const form of formsToKeep()) {
      for (const field of form.querySelectorAll(typedFields)) {
        if (field.name && field.value) values[field.name] = field.value;
      }
    }
    if (Object.keys(values).length) sessionStorage.setItem(draftKey, JSON.stringify(values));
  }

  document.addEventListener("DOMContentLoaded", restoreDraft);

  // Only a logged-in page has the warning, and with it the session's timing.
  const warning = document.getElementById("session-warning");
  if (!warning) return;
  const settings = warning.dataset;
  const secondsLeft = Number(settings.secondsLeft);
  const warnBefore = Number(settings.warningSeconds) * 1000;
  const extendButton = warning.querySelector("[data-session-extend]");
  const endTime = warning.querySelector("[data-session-end]");
  const finalNotice = warning.querySelector("[data-session-final]");
  let endsAt = Date.now() + secondsLeft * 1000;
  let focusBefore = null;
  // Another tab's use renews the same session: the latest end any tab has heard of counts.
  const sharedEnd = () => Math.max(endsAt, Number(localStorage.getItem(sharedEndKey)) || 0);
  const publish = () => localStorage.setItem(sharedEndKey, String(endsAt));
  publish();

  function end() {
    keepDraft();
    const next = location.pathname + location.search;
    location.assign(`${settings.loginUrl}?session=ended&next=${encodeURIComponent(next)}`);
  }

  function showWarning(at) {
    endTime.dateTime = new Date(at).toISOString();
    endTime.textContent = new Date(at).toLocaleTimeString(document.documentElement.lang, {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: "Europe/Stockholm",
    });
    if (!warning.hidden) return;
    focusBefore = document.activeElement;
    warning.hidden = false;
    extendButton.focus();
  }

  function hideWarning() {
    if (warning.hidden) return;
    warning.hidden = true;
    if (focusBefore && document.contains(focusBefore)) focusBefore.focus();
  }

  function check() {
    const at = sharedEnd();
    const remaining = at - Date.now();
    if (remaining <= 0) end();
    else if (remaining <= warnBefore) showWarning(at);
    else hideWarning();
  }

  extendButton.addEventListener("click", async () => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(settings.extendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    });
    if (!response.ok) {
      end();
      return;
    }
    const left = (await response.json()).seconds_left * 1000;
    endsAt = Date.now() + left;
    publish();
    if (left <= warnBefore) {
      // The sign-in's latest end, not idleness, ends this session: it cannot be extended, so
      // the dialog stays and says so instead of coming back a second later.
      extendButton.hidden = true;
      finalNotice.hidden = false;
      finalNotice.focus();
      return;
    }
    hideWarning();
  });

  // A form sent after the end would meet the login page and lose its text.
  document.addEventListener("submit", (event) => {
    if (sharedEnd() <= Date.now()) {
      event.preventDefault();
      end();
    }
  });

  setInterval(check, 1000);
  document.addEventListener("visibilitychange", check);
})();
