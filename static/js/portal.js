// Small aids a keyboard or screen-reader user needs and no markup alone can give.

// A box that scrolls sideways must be reachable by keyboard (tabindex=0), but one whose content
// fits is an empty tab stop: it keeps its tabindex only while it has something to scroll.
function settleScrollRegions() {
  for (const region of document.querySelectorAll(".table-scroll")) {
    if (region.scrollWidth > region.clientWidth + 1) {
      region.setAttribute("tabindex", "0");
    } else if (document.activeElement !== region) {
      region.removeAttribute("tabindex");
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  settleScrollRegions();
  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(settleScrollRegions, 150);
  });
  // A message shown after a save's redirect was present when the page loaded, so no live region
  // reads it: focus brings it to a screen reader. An error summary (autofocus) goes first.
  const messages = document.querySelector("[data-focus-on-load]");
  const focused = document.activeElement;
  if (messages && (!focused || focused === document.body)) messages.focus();
});
