// Soft hyphens (the |hyphenate filter) let narrow columns break long words, but they must not
// travel with copied text: a name pasted into a mail or a search field reads as written.
document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  const text = selection ? selection.toString() : "";
  if (!text.includes("\u00ad") || !event.clipboardData) return;
  const copied = document.createElement("div");
  for (let index = 0; index < selection.rangeCount; index += 1) {
    copied.append(selection.getRangeAt(index).cloneContents());
  }
  event.clipboardData.setData("text/plain", text.replaceAll("\u00ad", ""));
  event.clipboardData.setData("text/html", copied.innerHTML.replaceAll("\u00ad", ""));
  event.preventDefault();
});
