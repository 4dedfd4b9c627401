"use strict";
// Names for the admin's controls that Django's own scripts leave unnamed or named wrongly
// (WCAG 4.1.2). Loaded after the admin's autocomplete.js and inlines.js: jQuery's ready handlers
// and the formset events' listeners run in the order they were added, so the comboboxes and
// new rows exist when these run.
{
  const $ = window.django && django.jQuery;

  function labelOf(select) {
    const label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    if (label && !label.id) label.id = `${select.id}_label`;
    return label;
  }

  // select2 names a combobox by its chosen value alone; a screen reader should hear the field's
  // label first, then the value.
  function nameCombobox(select) {
    const select2 = $(select).data("select2");
    const label = labelOf(select);
    if (!select2 || !label) return;
    const selection = select2.$selection[0];
    const rendered = selection.querySelector(".select2-selection__rendered");
    if (select.multiple) {
      selection.setAttribute("aria-labelledby", label.id);
    } else {
      selection.setAttribute("aria-labelledby", `${label.id} ${rendered.id}`);
      // ARIA 1.2's select-only combobox holds its value as text; select2's read-only
      // "textbox" inside it is one more control without a name that cannot be reached.
      rendered.removeAttribute("role");
      rendered.removeAttribute("aria-readonly");
      // The mouse's "×" that empties the field is not part of its value; select2 makes it anew
      // each time the value changes, after which this runs.
      const hideClearMark = () => {
        for (const mark of rendered.querySelectorAll(".select2-selection__clear")) {
          mark.setAttribute("aria-hidden", "true");
        }
      };
      hideClearMark();
      $(select).on("change", hideClearMark);
    }
    for (const search of select2.$container[0].querySelectorAll(".select2-search__field")) {
      search.setAttribute("aria-labelledby", label.id);
    }
    $(select).on("select2:open", () => {
      for (const search of select2.$dropdown[0].querySelectorAll(".select2-search__field")) {
        search.setAttribute("aria-labelledby", label.id);
      }
    });
  }

  function nameComboboxes(root) {
    for (const select of root.querySelectorAll(".admin-autocomplete:not([name*=__prefix__])")) {
      nameCombobox(select);
    }
  }

  // A row added in the browser is a copy of the empty form: the admin renumbers its ids
  // ("__prefix__" becomes 2) but not the aria attributes that point at them, and renumbers the
  // rows again when one is removed. Each row's references are made to point at its own ids.
  const REFERENCES = ["aria-labelledby", "aria-describedby"];

  function renumberReferences(prefix) {
    const group = document.getElementById(`${prefix}-group`);
    if (!group) return;
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(`${escaped}-(\\d+|__prefix__)`, "g");
    for (const row of group.querySelectorAll(".inline-related:not(.empty-form)")) {
      const index = row.id.slice(prefix.length + 1);
      if (!/^\d+$/.test(index)) continue;
      for (const element of row.querySelectorAll(REFERENCES.map((name) => `[${name}]`).join())) {
        for (const name of REFERENCES) {
          const value = element.getAttribute(name);
          if (value) element.setAttribute(name, value.replace(pattern, `${prefix}-${index}`));
        }
      }
    }
  }

  if ($) $(() => nameComboboxes(document));
  document.addEventListener("formset:added", (event) => {
    renumberReferences(event.detail.formsetName);
    if ($) nameComboboxes(event.target);
  });
  document.addEventListener("formset:removed", (event) => {
    renumberReferences(event.detail.formsetName);
  });
}
