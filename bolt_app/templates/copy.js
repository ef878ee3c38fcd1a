// Copy buttons: <button data-copy="ID" hidden> copies the text of the element with that id.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var label = button.textContent;
  function show(text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var source = document.getElementById(button.dataset.copy);
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      show("Press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent).then(function () { show("Copied"); }, select);
    } else {
      select();
    }
  });
});
