/* The slider captcha: drag the knob (#nc_1_n1z) to the right end of the track.
 * Real mouse (or touch) events only; released past the threshold it posts the share of
 * the track travelled to /login/captcha, which checks it again. A person can do this in
 * a visible browser; the agent is expected to detect it and hand the login over.
 */
(function () {
  'use strict';
  var Site = window.Site;
  var wrapper = Site.byId('nc_1_wrapper');
  var knob = Site.byId('nc_1_n1z');
  var track = Site.byId('nc_1_n1t');
  var bg = Site.byId('nc_1__bg');
  var text = Site.$('.nc-lang-cnt');
  if (!wrapper || !knob || !track) return;
  var minSlide = parseFloat(wrapper.getAttribute('data-min-slide') || '0.9');
  var dragging = false;
  var startX = 0;
  var done = false;

  function maxLeft() { return track.clientWidth - knob.offsetWidth; }

  function place(left) {
    knob.style.left = left + 'px';
    bg.style.width = (left + knob.offsetWidth / 2) + 'px';
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
      Site.byId('nc-slide').value = share.toFixed(3);
      Site.byId('nc-form').submit();
    } else {
      place(0);
    }
  }

  knob.addEventListener('mousedown', function (e) { e.preventDefault(); start(e.clientX); });
  document.addEventListener('mousemove', function (e) { move(e.clientX); });
  document.addEventListener('mouseup', end);
  knob.addEventListener('touchstart', function (e) { start(e.touches[0].clientX); }, { passive: true });
  document.addEventListener('touchmove', function (e) { move(e.touches[0].clientX); }, { passive: true });
  document.addEventListener('touchend', end);
})();
