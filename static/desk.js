// Progressive enhancement for supervisors' forms; each works the same without JavaScript.
// "Pilih semua" ticks every listed checkbox; a reject button makes its reason field required,
// so the browser asks for it before sending; a confirm button does not.
(function () {
  var all = document.getElementById('pilih-semua');
  if (all) {
    var box = all.querySelector('input');
    var boxes = all.form ? all.form.querySelectorAll('input[type=checkbox][name]') : [];
    all.hidden = false;
    box.addEventListener('change', function () {
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = box.checked;
    });
  }
  var buttons = document.querySelectorAll('button[name=keputusan]');
  var reason = document.getElementById('alasan');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function (e) {
      if (reason) reason.required = e.currentTarget.value === 'tolak';
    });
  }
})();
