/* The "log in again" page: the agent's browser as a picture, and a person's input sent to it.
 *
 * Pictures: one request at a time for a picture newer than the one shown (the server
 * answers 204 when none came within a few seconds). Input: pointer events (a finger or
 * a mouse) on the picture, in the picture's displayed pixels with its displayed size,
 * sent in order, one request at a time; moves made while a request is on its way go
 * together in the next one, so a drag reaches the browser as press, moves, release.
 * Every POST carries the CSRF token of <meta name="csrf-token"> as X-CSRF-Token.
 */
(function () {
  'use strict';
  var base = document.getElementById('login-again').getAttribute('data-base');
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  function byId(id) { return document.getElementById(id); }
  var screen = byId('screen');
  var statusLine = byId('status');
  var errorLine = byId('error');
  var running = false;
  var framing = false;
  var seq = 0;
  var shownUrl = null;

  function call(path, options) {
    options = options || {};
    options.headers = options.headers || {};
    if (options.method === 'POST') options.headers['X-CSRF-Token'] = csrf;
    options.credentials = 'same-origin';
    return fetch(base + path, options);
  }

  function answer(response) {
    return response.json().then(function (body) {
      if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
      return body;
    }, function () { throw new Error('HTTP ' + response.status + ': reload the page'); });
  }

  function postJson(path, body) {
    return call(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {})
    }).then(answer);
  }

  function showError(error) { errorLine.textContent = error ? (error.message || String(error)) : ''; }

  function show(status) {
    statusLine.textContent = status.message;
    statusLine.setAttribute('data-phase', status.phase);
    running = !status.finished;
    byId('starting').hidden = running;
    byId('live').hidden = !running && seq === 0;
    if (running) startFrames();
  }

  function watchStatus() {
    call('/status').then(answer).then(show, function () {}).then(function () { setTimeout(watchStatus, 1000); });
  }

  /* --- pictures ------------------------------------------------------------------------ */

  function startFrames() {
    if (framing) return;
    framing = true;
    nextFrame();
  }

  function nextFrame() {
    call('/frame?after=' + seq).then(function (response) {
      if (response.status !== 200) return running ? 200 : -1;
      seq = parseInt(response.headers.get('X-Frame'), 10) || seq + 1;
      return response.blob().then(function (blob) {
        var previous = shownUrl;
        shownUrl = URL.createObjectURL(blob);
        screen.src = shownUrl;
        if (previous) setTimeout(function () { URL.revokeObjectURL(previous); }, 1000);
        return 0;
      });
    }).then(function (wait) {
      if (wait < 0) { framing = false; return; }
      setTimeout(nextFrame, wait);
    }, function () { setTimeout(nextFrame, 1000); });
  }

  /* --- input ----------------------------------------------------------------------------- */

  var queue = [];
  var sending = false;

  function isMove(event) { return event && event.kind === 'pointer' && event.phase === 'move'; }

  function send(event) {
    var last = queue[queue.length - 1];
    if (isMove(event) && isMove(last) && last.points.length < 150) {
      last.points = last.points.concat(event.points);
      last.shown = event.shown;
    } else {
      queue.push(event);
    }
    pump();
  }

  function pump() {
    if (sending || !queue.length) return;
    sending = true;
    postJson('/input', queue.shift()).then(function () { showError(null); }, showError).then(function () {
      sending = false;
      pump();
    });
  }

  function at(event) {
    var box = screen.getBoundingClientRect();
    return { point: [event.clientX - box.left, event.clientY - box.top], shown: [box.width, box.height] };
  }

  function pointer(phase, event) {
    var where = at(event);
    send({ kind: 'pointer', phase: phase, points: [where.point], shown: where.shown });
  }

  var held = null;
  screen.addEventListener('pointerdown', function (event) {
    if (!running || held !== null) return;
    event.preventDefault();
    held = event.pointerId;
    try { screen.setPointerCapture(event.pointerId); } catch (ignored) { /* an old browser: no capture */ }
    pointer('down', event);
  });
  screen.addEventListener('pointermove', function (event) {
    if (event.pointerId !== held) return;
    event.preventDefault();
    pointer('move', event);
  });
  function release(event) {
    if (event.pointerId !== held) return;
    held = null;
    pointer('up', event);
  }
  screen.addEventListener('pointerup', release);
  screen.addEventListener('pointercancel', release);
  screen.addEventListener('contextmenu', function (event) { event.preventDefault(); });

  var text = byId('text');
  function sendText() {
    if (!text.value) return;
    send({ kind: 'text', text: text.value });
    text.value = '';
  }
  byId('send').addEventListener('click', sendText);
  text.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') { event.preventDefault(); sendText(); }
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-key]'), function (button) {
    button.addEventListener('click', function () { send({ kind: 'key', key: button.getAttribute('data-key') }); });
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-scroll]'), function (button) {
    button.addEventListener('click', function () {
      send({ kind: 'scroll', dy: parseInt(button.getAttribute('data-scroll'), 10) });
    });
  });

  byId('start').addEventListener('click', function () {
    showError(null);
    postJson('/start').then(show, showError);
  });
  byId('cancel').addEventListener('click', function () { postJson('/cancel').then(show, showError); });

  /* --- a session file exported elsewhere ------------------------------------------------- */

  byId('upload').addEventListener('submit', function (event) {
    event.preventDefault();
    var result = byId('upload-result');
    var file = byId('file').files[0];
    if (!file) { result.textContent = 'Choose the session file first.'; return; }
    var form = new FormData();
    form.append('file', file);
    result.textContent = 'Uploading…';
    call('/session-file', { method: 'POST', body: form }).then(answer).then(function (body) {
      result.textContent = body.message;
    }, function (error) { result.textContent = error.message; });
  });

  watchStatus();
})();
