// The registration form's home list: typing in the filter box keeps only matching grids.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input.home-filter")) {
    const select = document.getElementById(box.dataset.target);
    if (!select) continue;
    box.addEventListener("input", () => {
      const words = box.value.trim().toLowerCase();
      let first = null;
      for (const option of select.options) {
        if (!option.value) continue;
        const shown = !words || option.text.toLowerCase().includes(words);
        option.hidden = !shown;
        if (shown && !first) first = option;
      }
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = first.value;
    });
  }
});
