// A "#token=..." fragment (browsers never send it to the server, so it lands in no log) logs in
// at once; the fragment is cleared from the address bar and history first.
(function () {
  'use strict';
  var m = /^#token=([^&]+)/.exec(window.location.hash);
  if (!m) return;
  window.history.replaceState(null, '', window.location.pathname);
  if (document.getElementById('message').textContent) return; // that token was just refused
  document.getElementById('token').value = decodeURIComponent(m[1]);
  document.getElementById('login').submit();
})();
