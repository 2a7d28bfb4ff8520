/* The slider captcha: drag the knob (#nc_1_n1z) to the right end of the track (#nc_1_n1t).
 *
 * Real mouse (or touch) events only. Released past the threshold it sends the share of
 * the track travelled to /_____tmd_____/slide, which checks it again and sets the pass
 * cookie. At the top of a tab (the "punish" page) the browser then goes back to the page
 * it was stopped on; inside the login's baxia dialog the page around it is told, and the
 * login goes on. A person can do this in a visible browser; the agent only detects it.
 */
(function () {
  'use strict';
  var Site = window.Site;
  var box = Site.$('.tmd-punish');
  var wrapper = Site.byId('nc_1_wrapper');
  var knob = Site.byId('nc_1_n1z');
  var track = Site.byId('nc_1_n1t');
  var bg = Site.byId('nc_1__bg');
  var text = Site.$('.nc-lang-cnt');
  var error = Site.$('.nc-error-text');
  if (!box || !wrapper || !knob || !track) return;
  var minSlide = parseFloat(wrapper.getAttribute('data-min-slide') || '0.9');
  var pure = box.getAttribute('data-pure') === 'true';
  var dragging = false;
  var startX = 0;
  var done = false;

  function maxLeft() { return track.clientWidth - knob.offsetWidth; }

  function place(left) {
    knob.style.left = left + 'px';
    bg.style.width = (left + knob.offsetWidth / 2) + 'px';
  }

  function reset(message) {
    done = false;
    place(0);
    wrapper.classList.remove(Site.C('nc-success'));
    if (text) text.textContent = 'Please slide to verify';
    if (error) error.textContent = message || '';
  }

  function start(clientX) {
    if (done) return;
    dragging = true;
    startX = clientX - knob.offsetLeft;
    wrapper.classList.add(Site.C('nc-dragging'));
  }

  function move(clientX) {
    if (!dragging) return;
    place(Math.max(0, Math.min(maxLeft(), clientX - startX)));
  }

  function verify(share) {
    fetch(box.getAttribute('data-slide-path'), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ x5secdata: box.getAttribute('data-x5secdata'), slide: share.toFixed(3) })
    }).then(function (response) { return response.json(); }).then(function (answer) {
      if (!answer.success) {
        if (answer.expired) { location.reload(); return; }
        reset(answer.message);
        return;
      }
      if (pure) window.parent.postMessage({ type: 'baxia-solved' }, location.origin);
      else location.href = answer.url || '/';
    }).catch(function () { reset('Network error. Please try again.'); });
  }

  function end() {
    if (!dragging) return;
    dragging = false;
    wrapper.classList.remove(Site.C('nc-dragging'));
    var share = maxLeft() > 0 ? knob.offsetLeft / maxLeft() : 0;
    if (share > minSlide) {
      done = true;
      place(maxLeft());
      wrapper.classList.add(Site.C('nc-success'));
      if (text) text.textContent = 'Verified';
      verify(share);
    } else {
      place(0);
    }
  }

  /* a script's synthetic events do not count: a person's (or a driver's input) only */
  function real(handler) { return function (e) { if (e.isTrusted) handler(e); }; }
  knob.addEventListener('mousedown', real(function (e) { e.preventDefault(); start(e.clientX); }));
  document.addEventListener('mousemove', real(function (e) { move(e.clientX); }));
  document.addEventListener('mouseup', real(end));
  knob.addEventListener('touchstart', real(function (e) { start(e.touches[0].clientX); }), { passive: true });
  document.addEventListener('touchmove', real(function (e) { move(e.touches[0].clientX); }), { passive: true });
  document.addEventListener('touchend', real(end));
})();
