// Our own small script (no build step): a button marked data-print prints the page.
document.addEventListener('click', function (e) {
  if (e.target.closest && e.target.closest('[data-print]')) {
    window.print();
  }
});
